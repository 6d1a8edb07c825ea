"""The province page: the communes side by side, their trends, and the report upward's downloads.

For the root office's accounts only (of a database of several offices); anyone else gets 404,
as for a page that does not exist. The figures are the report upward's (reporting/upward.py),
read acting for each commune, so the page, the downloads and the published report agree. They
are kept, and only the communes that changed are read again (province_cache.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, render_template, request

from hailong.server.errors import ConfigError
from hailong.server.reporting.data import vi_sort_key
from hailong.server.reporting.metrics import stats_from_counts
from hailong.server.reporting.province import BELOW_TARGET, SILENT
from hailong.server.web import svg
from hailong.server.web.auth import require_login
from hailong.server.web.choice import period_options
from hailong.server.web.i18n import lang, problem
from hailong.server.web.office import may_choose
from hailong.server.web.province_cache import ProvinceCache
from hailong.server.web.site import site
from hailong.server.web.summary import MIME, _safe

bp = Blueprint("province", __name__)
bp.before_request(require_login)
FORMATS = ("xlsx", "pdf", "csv")
# sort key -> (value of a row, default order); None sorts last whatever the order.
SORTS = {
    "rank": (lambda r: r.ranking.rank, "asc"),
    "name": (lambda r: vi_sort_key(r.name), "asc"),
    "ratings": (lambda r: r.stats.total, "desc"),
    "rate": (lambda r: r.ranking.rate_shown, "desc"),  # a held-back office shows none
    "previous": (lambda r: r.trend.previous.rate, "desc"),
    "change": (lambda r: r.trend.rate_diff, "desc"),
    "coverage": (lambda r: r.field_total.percent, "desc"),
}


def _cache() -> ProvinceCache:
    return current_app.extensions.setdefault("hailong_province", ProvinceCache())


def _province_only() -> None:
    """Answer 404 unless the account is the root office's, in a database of several offices."""
    user = g.user
    if user.office_id is None or not may_choose(user):
        abort(404)


def _view():
    """Return (period, view) of the request, or an error page to answer with."""
    s = site()
    try:
        period = s.requested_period()
    except ValueError as exc:
        return None, (render_template("error.html", message=str(exc)), 400)
    return period, _cache().view(s.engine, period, s.settings, s.today())


@bp.get("/province")
def province():
    """Show the communes side by side for a period, sorted as asked."""
    _province_only()
    period, view = _view()
    if period is None:
        return view
    sort = request.args.get("sort", "rank")
    sort = sort if sort in SORTS else "rank"
    order = request.args.get("order", SORTS[sort][1])
    order = order if order in ("asc", "desc") else SORTS[sort][1]
    rows = sorted_rows(view.report.offices, sort, order)
    rates = {code: [_rate(c) for c in months] for code, months in view.trend.items()}
    return render_template(
        "province.html",
        period=period,
        options=period_options(site().today(), period),
        report=view.report,
        rows=rows,
        sort=sort,
        order=order,
        sorts=SORTS,
        months=view.months,
        sparks={row.code: svg.sparkline(rates.get(row.code, []), row.name) for row in rows},
        below=BELOW_TARGET,
        silent=SILENT,
        formats=FORMATS,
        own=view.own,
    )


@bp.get("/province/report.<fmt>")
def download(fmt: str):
    """Send the report upward of the period in one format, from the page's figures."""
    from hailong.server.reporting.formats.province_docs import render_province

    _province_only()
    if fmt not in FORMATS:
        abort(404)
    period, view = _view()
    if period is None:
        return view
    try:
        body = render_province(view.report, fmt, lang())
    except (ConfigError, ValueError) as exc:  # no sender in [province] and no root name
        return render_template("error.html", message=problem(exc)), 409
    name = f"tong-hop-{_safe(period.label)}.{fmt}"
    return Response(body, content_type=MIME[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def sorted_rows(rows, sort: str, order: str) -> list:
    """Sort the offices by one column; an office without a value (no rate, no rank) goes last."""
    value = SORTS[sort][0]
    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: vi_sort_key(r.name))  # ties by name, then the column (stable)
    known.sort(key=value, reverse=order == "desc")
    return known + sorted(unknown, key=lambda r: vi_sort_key(r.name))


def _rate(counts: dict[int, int]) -> float | None:
    """Return a month's satisfaction rate in percent (metrics' rule), None without a rating."""
    return stats_from_counts(counts).rate
