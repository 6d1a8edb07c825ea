"""The summary page of a period, and its report as XLSX, PDF or CSV."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request

from hailong.server.errors import ConfigError
from hailong.server.reporting.formats import FORMATS, render
from hailong.server.reporting.metrics import BEST_FIRST
from hailong.server.reporting.reasons import LOW_RATINGS
from hailong.server.web import svg
from hailong.server.web.auth import require_login
from hailong.server.web.choice import period_options
from hailong.server.web.i18n import gettext, level_name, problem, short_title
from hailong.server.web.site import site

bp = Blueprint("summary", __name__)
bp.before_request(require_login)
PAGE_ROWS = 50  # officials and counters shown before "show all"
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


@bp.get("/summary")
def summary():
    """Show one period: totals, levels, trend, coverage, officials, counters, hours, flags."""
    s = site()
    try:
        period = s.requested_period()
    except ValueError as exc:
        return render_template("error.html", message=str(exc)), 400
    figures = s.figures_of(period)
    show_all = request.args.get("all") == "1"
    return render_template(
        "summary.html",
        period=period,
        options=period_options(s.today(), period),
        figures=figures,
        data=figures.data,
        charts=_charts(figures),
        officials=figures.data.officials if show_all else figures.data.officials[:PAGE_ROWS],
        counters=figures.counters if show_all else figures.counters[:PAGE_ROWS],
        show_all=show_all,
        page_rows=PAGE_ROWS,
        formats=FORMATS,
        level_name=level_name,
        reason_levels=", ".join(level_name(level) for level in LOW_RATINGS),
    )


@bp.get("/summary/report.<fmt>")
def download(fmt: str):
    """Send the period's report in one format, built from the same numbers as the page."""
    if fmt not in FORMATS:
        abort(404)
    s = site()
    try:
        period = s.requested_period()
    except ValueError as exc:
        return render_template("error.html", message=str(exc)), 400
    data = s.figures_of(period).data
    name = f"bao-cao-hai-long-{_safe(period.label)}.{fmt}"
    # content_type, not mimetype: Flask appends "; charset=utf-8" to a text/* mimetype again.
    try:
        body = render(data, fmt)
    except ConfigError as exc:  # the report settings lack the office's name or place
        return render_template("error.html", message=problem(exc)), 409
    return Response(body, content_type=MIME[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _charts(figures) -> dict:
    """Draw the page's charts."""
    data = figures.data
    target = data.settings.coverage_target
    return {
        "levels_table": {
            level: svg.meter(data.totals.shares[level], svg.LEVEL_COLOURS[level], level_name(level))
            for level in BEST_FIRST
        },
        "trend": {
            "now": svg.meter(data.trend.current.rate, "#0b4f8a", short_title(data.period)),
            "before": svg.meter(data.trend.previous.rate, "#6b6b6b", short_title(data.previous)),
        },
        "coverage": {
            row.code: svg.coverage_bar(row.coverage, target, gettext("Tỷ lệ đánh giá / hồ sơ"))
            for row in data.fields
            if row.coverage.ratio is not None
        },
        "heat": svg.heat_map(
            figures.heat, figures.heat_max, gettext("Số lượt đánh giá theo giờ và ngày trong tuần")
        ),  # fmt: skip
    }


def _safe(label: str) -> str:
    """Return a period label fit for a file name (custom ranges hold dots)."""
    return re.sub(r"[^0-9A-Za-z-]+", "_", label)
