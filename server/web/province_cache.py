"""The province page's figures per period, read again only for the communes that changed.

While kiosks press, something in the province changes every second; reading all hundred
communes again for each request would take seconds. A view is kept with the exact mark it was
read after (reporting/marks.py) and the ids of corrections and audit rows then; at the next
request only the communes with a press stored since (its month of the trend with it), a
correction of one of their presses, or a staff change of theirs (an audit row of their office)
are read again (their open half-month: the kept one with the presses since, open_halves.py),
and the report upward is consolidated from their rows and the kept ones; the trend's months
from the communes' half-month rollups where they hold (stored first). A new anchor (presses
may have been re-dated), a change at the root office (the field catalogue, the offices) or a
new tree of offices reads every commune again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from hailong.server.reference import offices, scope
from hailong.server.reporting import marks
from hailong.server.reporting.metrics import LEVELS
from hailong.server.reporting.open_halves import Kept
from hailong.server.reporting.province import OfficeFigures, ProvinceReport
from hailong.server.reporting.queries import change_mark
from hailong.server.reporting.rollup import checked_ranges
from hailong.server.reporting.rollup_batch import ensure_stored
from hailong.server.reporting.trend import monthly_counts, months_before, rolled_monthly_counts
from hailong.server.reporting.upward import (
    consolidated,
    database_figures,
    homes,
    own_row,
    report_rows,
)
from hailong.server.storage.db import audit, corrections, presses
from hailong.server.storage.snapshot import snapshot


@dataclass(frozen=True)
class View:
    """What the page shows of a period: the report upward and each commune's monthly rates."""

    report: ProvinceReport
    months: tuple
    trend: dict[str, list[dict[int, int]]]
    own: str | None = None  # the root office's code when its own kiosks make a row


@dataclass
class _Held:
    """A kept view and what it was read after."""

    state: tuple  # queries.change_mark when it was read
    mark: marks.Mark | None  # (press, anchors, (corrections, audit)); None: read all again
    tree: tuple  # (id, parent id) of every office
    rows: dict[int, OfficeFigures] = field(default_factory=dict)  # commune id -> its row
    trend: dict[str, list[dict[int, int]]] = field(default_factory=dict)
    view: View | None = None
    opened: Kept = field(default_factory=Kept)  # every commune's open half-month at `mark`


class ProvinceCache:
    """The province's views per period, each commune read again only when it changed."""

    def __init__(self, most: int = 8):
        self.lock, self.kept, self.most = threading.Lock(), OrderedDict(), most

    def view(self, engine: Engine, period, settings, today) -> View:
        """Return the view of a period: kept, or with the communes that changed read again."""
        key = (period, settings, today)
        with engine.connect() as conn:
            every = offices.every_office(conn)
            tree = tuple(sorted((o.id, o.parent_id) for o in every))
            root = every[0]
            with scope.acting_for(conn, root):
                conn.rollback()
                with snapshot(engine) as read:
                    state = change_mark(read)
        with self.lock:
            held = self.kept.get(key)
        if held is not None and held.state == state and held.tree == tree:
            return held.view
        with engine.connect() as conn:
            mark = marks.take(conn, _marks)  # before every read below
        made = self._read(engine, period, settings, today, every, held, mark, state, tree)
        with self.lock:
            self.kept[key] = made
            self.kept.move_to_end(key)
            while len(self.kept) > self.most:
                self.kept.popitem(last=False)
        return made.view

    def _read(self, engine, period, settings, today, every, held, mark, state, tree) -> _Held:
        """Read the communes that changed since `held` (every one without it) into a new view."""
        root, rows = report_rows(engine, period, settings.zone)
        home = homes(every, rows)
        months = months_before(period)
        bounds = [m.bounds_ms(settings.zone) for m in months]
        again, cells = None, set()
        if held is not None and held.tree == tree and held.mark is not None:
            with snapshot(engine) as read:
                again, cells = _changed(read, held.mark, root.id, home, bounds)
        if again is None:  # everything
            again, cells = (
                {o.id for o in rows},
                {(o.id, i) for o in rows for i in range(len(months))},
            )
        every_one = held is None or again == {o.id for o in rows}
        kept = {} if every_one else dict(held.rows)
        opened = Kept(None if every_one else held.opened.halves)
        skip = [o.code for o in rows if o.id not in again]
        for row in database_figures(engine, period, settings, today, skip=skip, mark=mark,
                                    kept=opened):  # fmt: skip
            kept[next(o.id for o in rows if o.code == row.code)] = row
        trend = {} if held is None else {k: list(v) for k, v in held.trend.items()}
        wanted = sorted({i for _o, i in cells})
        if wanted:
            shown = [months[i] for i in wanted]
            touched = {c for c, _i in cells}
            # The root's own row is counted from presses: rollups keyed by the root are the
            # whole province's (upward.database_figures).
            communes_of = {o.id: (o.code, tuple(k for k, v in home.items() if v.id == o.id))
                           for o in rows if o.id in touched and not own_row(o)}  # fmt: skip
            checked = [r for m in shown
                       for r in checked_ranges(m.start, m.end, settings.flag_rules)]  # fmt: skip
            if communes_of:
                ensure_stored(engine, {k: v[1] for k, v in communes_of.items()}, checked,
                              settings.flag_rules, mark)  # fmt: skip
            with snapshot(engine) as read:
                found = rolled_monthly_counts(read, shown, settings, communes_of) \
                    if communes_of else {}  # fmt: skip
                if root.id in touched and any(own_row(o) for o in rows):
                    found.update(monthly_counts(read, shown, settings.zone, {root.id: root.code}))
            for commune in rows:
                if commune.code not in found:
                    continue
                line = trend.setdefault(commune.code, [_zero() for _ in months])
                for n, i in enumerate(wanted):
                    if (commune.id, i) in cells:
                        line[i] = found[commune.code][n]
        ordered = [kept[o.id] for o in rows if o.id in kept]
        report = consolidated(engine, period, settings, today, rows=ordered)
        view = View(report, months, {o.code: trend.get(o.code, [_zero() for _ in months])
                                     for o in rows},
                    root.code if any(own_row(o) for o in rows) else None)  # fmt: skip
        return _Held(state, mark, tree, kept, trend, view, opened)


def _marks(conn: Connection) -> tuple:
    """Return the highest correction and audit ids (read under marks.take's lock)."""
    found = conn.execute(
        select(
            select(func.coalesce(func.max(corrections.c.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(audit.c.id), 0)).scalar_subquery(),
        )
    ).one()
    return int(found[0]), int(found[1])


def _changed(conn: Connection, mark: marks.Mark, root: int, home: dict, bounds: list):
    """Return (communes to read again, (commune, month index) to count again) since `mark`.

    (None, …): every commune (a new anchor, a change at the root office).
    """
    seen = marks.arrivals(conn, mark.press)
    if seen.anchors != mark.anchors:
        return None, set()
    corrected, audited = mark.others
    touched = {home[o].id for o in seen.offices() if o in home}
    cells = set()
    for office, found in seen.times.items():
        if office not in home:
            continue
        for at_ms, _id in found:
            cells |= {(home[office].id, i) for i, (a, b) in enumerate(bounds) if a <= at_ms < b}
    moved = conn.execute(
        select(presses.c.office_id, presses.c.at_ms)
        .join(corrections, (corrections.c.device == presses.c.device)
              & (corrections.c.seq == presses.c.seq))
        .where(corrections.c.id > corrected)
    ).all()  # fmt: skip
    for office, at_ms in moved:
        if office in home:
            touched.add(home[office].id)
            cells |= {(home[office].id, i) for i, (a, b) in enumerate(bounds) if a <= at_ms < b}
    staff = set(conn.execute(select(audit.c.office_id).where(audit.c.id > audited).distinct())
                .scalars())  # fmt: skip
    if root in staff:
        return None, set()
    touched |= {home[o].id for o in staff if o in home}
    return touched, cells


def _zero() -> dict[int, int]:
    return {level: 0 for level in LEVELS}
