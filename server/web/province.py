"""The province page: the communes side by side, their trends, and the report upward's downloads.

For the root office's accounts only (of a database of several offices); anyone else gets 404,
as for a page that does not exist. The figures are the report upward's (reporting/upward.py),
read acting for each commune, so the page, the downloads and the published report agree. They
are kept while nothing they show has changed: one token over the whole database read from keys
alone (queries.change_mark), since fingerprinting a province's presses is a scan of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, g, render_template, request

from hailong.server.errors import ConfigError
from hailong.server.reference import offices, scope
from hailong.server.reporting.data import vi_sort_key
from hailong.server.reporting.metrics import stats_from_counts
from hailong.server.reporting.province import BELOW_TARGET, SILENT, ProvinceReport
from hailong.server.reporting.queries import change_mark
from hailong.server.reporting.trend import monthly_counts, months_before
from hailong.server.reporting.upward import consolidated, homes, report_rows
from hailong.server.storage.snapshot import snapshot
from hailong.server.web import svg
from hailong.server.web.auth import require_login
from hailong.server.web.choice import period_options
from hailong.server.web.i18n import lang, problem
from hailong.server.web.office import may_choose
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


@dataclass(frozen=True)
class View:
    """What the page shows of a period: the report upward and each commune's monthly rates."""

    report: ProvinceReport
    months: tuple
    trend: dict[str, list[dict[int, int]]]
    own: str | None = None  # the root office's code when its own kiosks make a row


class ProvinceCache:
    """The province's views per period, recomputed only when something they show has changed."""

    def __init__(self, most: int = 8):
        self.lock, self.kept, self.most = threading.Lock(), OrderedDict(), most

    def view(self, engine, period, settings, today) -> View:
        """Return the view of a period, from the cache while its token holds."""
        root, rows = report_rows(engine, period, settings.zone)
        months = months_before(period)
        with engine.connect() as conn, scope.acting_for(conn, root):
            conn.rollback()
            with snapshot(engine) as read:
                token = (change_mark(read), tuple(o.id for o in rows))
            key = (period, settings, today)
            with self.lock:
                held = self.kept.get(key)
            if held is not None and held[0] == token:
                return held[1]
            report = consolidated(engine, period, settings, today)
            with engine.connect() as read:
                every = offices.every_office(read)
                found = monthly_counts(
                    read, months, settings.zone, {k: v.code for k, v in homes(every, rows).items()}
                )
        own = root.code if any(o.id == root.id for o in rows) else None
        made = View(report, months, found, own)
        with self.lock:
            self.kept[key] = (token, made)
            self.kept.move_to_end(key)
            while len(self.kept) > self.most:
                self.kept.popitem(last=False)
        return made


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
