"""Each office's monthly accepted ratings over a run of months, in one query for every office.

The province page draws a small multiple of each commune's monthly satisfaction rate. Reading a
report per office and month would be a hundred offices times twelve reports; instead the live
presses of the whole run are counted once, grouped by office, month and rating (the month is a
CASE over the months' UTC bounds, the same SQL on SQLite and PostgreSQL), the presses a
correction excludes are taken out as every report takes them out (queries.accepted_counts), and
each office's counts go to the commune whose subtree holds it. The months need not follow each
other: the province page counts again only the months that got presses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.reference import scope
from hailong.server.reporting import queries as q
from hailong.server.reporting.metrics import LEVELS
from hailong.server.reporting.periods import Period, custom, named
from hailong.server.storage.schema import devices, presses, report_half_counts


def months_before(period: Period, count: int = 12) -> tuple[Period, ...]:
    """Return the `count` months ending with the month that holds the period's last day."""
    year, month = period.end.year, period.end.month
    if period.convention == "cutoff" and period.end.day > 14:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    found = []
    for _ in range(count):
        found.append(named("month", year, month, period.convention))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return tuple(reversed(found))


def monthly_counts(conn: Connection, months: Sequence[Period], tz: str,
                   home: Mapping[int, str]) -> dict[str, list[dict[int, int]]]:  # fmt: skip
    """Return office code -> accepted ratings per level of each month, for the offices in `home`.

    `home` maps an office id to the code of the row it counts in (a site to its commune);
    presses of offices not in it are not read. Call outside any office scope, or for the root.
    """
    bounds = [m.bounds_ms(tz) for m in months]
    found = {code: [Counter() for _ in months] for code in set(home.values())}
    if not bounds:
        return {code: [] for code in found}
    start, end = min(b[0] for b in bounds), max(b[1] for b in bounds)
    which = case(*((and_(presses.c.at_ms >= a, presses.c.at_ms < b), i)
                   for i, (a, b) in enumerate(bounds)), else_=len(bounds))  # fmt: skip
    mine = presses.c.office_id.in_(sorted(home))
    rows = conn.execute(
        select(presses.c.office_id, which, presses.c.rating, func.count())
        .where(q.counted(start, end), mine)
        .group_by(presses.c.office_id, which, presses.c.rating)
    )  # fmt: skip
    counts = Counter({(office, index, rating): n for office, index, rating, n in rows})
    excluded = q.excluded_ratings(conn, start, end)  # another office's: dropped below
    office_of = dict(conn.execute(select(devices.c.device, devices.c.office_id)).all())
    counts = q.take_out_excluded(
        counts,
        excluded,
        lambda r: (office_of.get(r.device), _index(bounds, round(r.at.timestamp() * 1000)),
                   r.rating),
    )  # fmt: skip
    for (office, index, rating), n in counts.items():
        code = home.get(office)
        if code is not None and 0 <= index < len(months):
            found[code][int(index)][int(rating)] += n
    return {code: [{level: c[level] for level in LEVELS} for c in rows]
            for code, rows in found.items()}  # fmt: skip


def _index(bounds: Sequence[tuple[int, int]], at_ms: int) -> int:
    """Return the month of a press time, as the query's CASE does."""
    return next((i for i, (_s, stop) in enumerate(bounds) if at_ms < stop), len(bounds))


def rolled_monthly_counts(conn: Connection, months: Sequence[Period], settings,
                          communes: Mapping[int, tuple[str, tuple[int, ...]]]) -> dict:  # fmt: skip
    """Return what monthly_counts does for these communes, their rollups read where valid.

    `communes`: id -> (code, its subtree's office ids). A closed half-month whose rollup is
    stored and still valid (rollup_batch.stale_halves, in this snapshot) gives its live counts;
    any other part of a month is counted from presses, grouped for every commune that needs it.
    The presses a correction excludes are taken out of both, as monthly_counts does.
    """
    from hailong.server.reporting import marks
    from hailong.server.reporting.rollup import halves, stored_halves
    from hailong.server.reporting.rollup_batch import oldest_mark, stale_halves

    tz, rules = settings.zone, settings.flag_rules
    pad, now = int(rules.burst_window_s * 1000), now_ms()
    parts = []  # (month index, first day, start, end, closed)
    for index, month in enumerate(months):
        for first, last, whole in halves(month.start, month.end):
            start, end = custom(first, last).bounds_ms(tz)
            parts.append((index, first.isoformat(), start, end, whole and end <= now))
    subtrees = {cid: members for cid, (_code, members) in communes.items()}
    checked = [(day, a - pad, b + pad) for _i, day, a, b, closed in parts if closed]
    found = stored_halves(conn, tz, subtrees, {day for day, _a, _b in checked})
    oldest = oldest_mark(found)
    seen = None if oldest is None else marks.arrivals(conn, oldest)
    stale, _prints = stale_halves(conn, found, checked, subtrees, rules, seen)
    counts: Counter = Counter()  # (commune id, month index, rating) -> n
    index_of = {day: i for i, day, _a, _b, _c in parts}
    t = report_half_counts.c
    stored = conn.execute(
        select(t.office_id, t.first_day, t.rating, func.sum(t.n))
        .where(t.tz == tz, t.dim == "field", t.mode == "live", t.office_id.in_(sorted(subtrees)),
               t.first_day.in_(sorted(index_of)))
        .group_by(t.office_id, t.first_day, t.rating)
    )  # fmt: skip
    for office, day, rating, n in stored:
        if (office, day) in found and (office, day) not in stale:
            counts[(office, index_of[day], rating)] += int(n)
    home = {member: cid for cid, members in subtrees.items() for member in members}
    for index, day, start, end, closed in parts:
        wanted = [cid for cid in subtrees if not closed or (cid, day) in stale
                  or (cid, day) not in found]  # fmt: skip
        if not wanted:
            continue
        with scope.counting_presses_of([m for cid in wanted for m in subtrees[cid]]):
            rows = conn.execute(
                select(presses.c.office_id, presses.c.rating, func.count())
                .where(q.counted(start, end)).group_by(presses.c.office_id, presses.c.rating)
            )  # fmt: skip
            for office, rating, n in rows:
                counts[(home[office], index, rating)] += n
    start, end = parts[0][2], parts[-1][3]
    bounds = [m.bounds_ms(tz) for m in months]
    office_of = dict(conn.execute(select(devices.c.device, devices.c.office_id)).all())
    counts = q.take_out_excluded(
        counts,
        q.excluded_ratings(conn, start, end),
        lambda r: (home.get(office_of.get(r.device)),
                   _index(bounds, round(r.at.timestamp() * 1000)), r.rating),
    )  # fmt: skip
    found_counts = {code: [Counter() for _ in months] for code, _m in communes.values()}
    for (cid, index, rating), n in counts.items():
        if cid in communes and 0 <= index < len(months):
            found_counts[communes[cid][0]][int(index)][int(rating)] += n
    return {code: [{level: c[level] for level in LEVELS} for c in rows]
            for code, rows in found_counts.items()}  # fmt: skip
