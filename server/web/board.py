"""The public board for the office screen, and the A4 poster to print and post: no login.

Only aggregate figures are shown; per-official figures only when [web] board_officials is
true, and then only for officials with enough ratings (as in the report).
"""

from __future__ import annotations

from flask import Blueprint, render_template

from hailong.server.epoch import now_ms
from hailong.server.web import svg
from hailong.server.web.i18n import gettext
from hailong.server.web.site import site

bp = Blueprint("board", __name__)


@bp.get("/board")
def board():
    """Show the period in large type; the page reloads itself every board_refresh_s seconds."""
    return _page("board.html")


@bp.get("/board/poster")
def poster():
    """Show the period as an A4 poster to print (niêm yết công khai)."""
    return _page("poster.html")


def _page(template: str):
    """Render the board or the poster for the chosen period (this month by default)."""
    s = site()
    try:
        period = s.requested_period()
    except ValueError as exc:
        return render_template("error.html", message=str(exc)), 400
    data = s.figures_of(period).data
    shown = [row for row in data.officials if not row.result.held_back]
    big = template == "board.html"
    levels = svg.level_bars(data.totals, gettext("Số lượt theo mức độ hài lòng"),
                            width=1200 if big else 640, row=64 if big else 40,
                            font=30 if big else 18)  # fmt: skip
    return render_template(
        template,
        period=period,
        data=data,
        levels=levels,
        officials=shown if s.config.web.board_officials else [],
        refresh_s=s.config.web.board_refresh_s,
        updated=now_ms(),
    )
