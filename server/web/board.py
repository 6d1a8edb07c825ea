"""The public board for the office screen, and the A4 poster to print and post: no login.

Only aggregate figures are shown; per-official figures only when [web] board_officials is
true, and then only for officials with enough ratings (as in the report).

A visitor chooses among the published periods and the current month, nothing else: any other
?period= (or a ?from=…&to= range) shows the current month, so an anonymous request never makes
the collector count an arbitrary range. A published period shows the figures as published
(reporting/frozen.py), read once and kept; the current month comes from the page cache.

Each office posts its own results: /board/<office code> and /board/<office code>/poster. With
one office /board and /board/poster show it (the addresses printed before offices existed keep
working); with several /board lists the offices.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, abort, current_app, render_template, request

from hailong.server.epoch import now_ms
from hailong.server.reference import offices
from hailong.server.reporting.frozen import SNAPSHOT, FrozenData, thaw
from hailong.server.reporting.periods import Period, parse_period
from hailong.server.reporting.published import Record, every_record
from hailong.server.web import office as office_scope
from hailong.server.web import svg
from hailong.server.web.choice import current_month
from hailong.server.web.i18n import gettext
from hailong.server.web.site import Site, site

bp = Blueprint("board", __name__)
LIST_TTL_S = 30.0  # how long the list of published periods is kept before it is read again


@bp.get("/board")
def board():
    """Show the only office's board, or list the offices (each posts its own)."""
    every = _offices()
    if len(every) == 1:
        return _page("board.html", every[0])
    return render_template("board_offices.html", offices=every)


@bp.get("/board/poster")
def poster():
    """Show the only office's poster; with several offices, list them."""
    every = _offices()
    if len(every) == 1:
        return _page("poster.html", every[0])
    return render_template("board_offices.html", offices=every)


@bp.get("/board/<code>")
def office_board(code: str):
    """Show one office's period in large type; it reloads itself every board_refresh_s seconds."""
    return _page("board.html", _office(code))


@bp.get("/board/<code>/poster")
def office_poster(code: str):
    """Show one office's period as an A4 poster to print (niêm yết công khai)."""
    return _page("poster.html", _office(code))


def _offices() -> list[offices.Office]:
    with site().engine.connect() as conn:
        return offices.every_office(conn)


def _office(code: str) -> offices.Office:
    with site().engine.connect() as conn:
        found = offices.find(conn, code)
    if found is None:
        abort(404)
    return found


def _page(template: str, office: offices.Office):
    """Render the board or the poster of an office for a published period or the current month."""
    office_scope.leave()  # a signed-in visitor's own office gives way to the one asked for
    office_scope.enter(office.id)
    s = site()
    cache = board_cache(s, office.id)
    period, data = cache.shown(s, request.args.get("period", "").strip()[:40])
    shown = [row for row in data.officials if not row.result.held_back]
    big = template == "board.html"
    # The board's chart is scaled by style.css: drawn narrow enough to stay readable on a phone.
    levels = svg.level_bars(data.totals, gettext("Số lượt theo mức độ hài lòng"),
                            width=680 if big else 640, row=50 if big else 40,
                            font=26 if big else 18)  # fmt: skip
    return render_template(
        template,
        period=period,
        data=data,
        levels=levels,
        officials=shown if s.config.web.board_officials else [],
        refresh_s=s.config.web.board_refresh_s,
        updated=now_ms(),
        published_on=data.published_on if isinstance(data, FrozenData) else None,
        choices=cache.choices(s),
        office=office,
        # One office keeps the addresses printed before offices existed.
        board_endpoint="board.board" if len(_offices()) == 1 else "board.office_board",
        board_args={} if len(_offices()) == 1 else {"code": office.code},
    )


@dataclass
class BoardCache:
    """The published periods (re-read every LIST_TTL_S) and their frozen figures (kept)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    records: dict[str, Record] = field(default_factory=dict)
    read_at: float = -LIST_TTL_S
    frozen: dict[str, FrozenData] = field(default_factory=dict)

    def published(self, s: Site) -> dict[str, Record]:
        """Return label -> record of every published period (the pages' convention first)."""
        with self.lock:
            if time.monotonic() - self.read_at >= LIST_TTL_S:
                with s.engine.connect() as conn:
                    found = every_record(conn)
                mine = s.config.web.convention
                # Both conventions may publish a label: the pages' own wins.
                found.sort(key=lambda r: r.convention == mine)
                self.records = {r.period: r for r in found}
                self.read_at = time.monotonic()
            return self.records

    def shown(self, s: Site, label: str) -> tuple[Period, object]:
        """Return the period to show and its figures: published ones frozen, else this month."""
        record = self.published(s).get(label)
        if record is None or SNAPSHOT not in record.figures:
            period = current_month(s.today(), s.config.web.convention)
            return period, s.figures_of(period).data
        with self.lock:
            if label not in self.frozen:
                period = parse_period(label, record.convention)
                day = date.fromisoformat(record.published_on)
                self.frozen[label] = thaw(record.figures, period, s.settings, day)
            return self.frozen[label].period, self.frozen[label]

    def choices(self, s: Site) -> list[Period]:
        """Return the published periods offered on the board, newest first."""
        records = self.published(s).values()
        periods = [parse_period(r.period, r.convention) for r in records]
        return sorted(periods, key=lambda p: (p.end, -p.days), reverse=True)


def board_cache(_s: Site, office_id: int) -> BoardCache:
    """Return the application's board cache of an office, made on first use."""
    return current_app.extensions.setdefault("hailong.board", {}).setdefault(
        office_id, BoardCache()
    )
