"""The rollups of many offices at once: which are stale, and counting them in grouped passes.

The report upward and the province page read a hundred communes. Asking rollup.py office by
office costs a round of queries per office and half-month; here the stored half-months of every
office are judged together (the presses stored since the oldest mark, read once), and the stale
ones are counted one half-month at a time for every office that needs it: each query groups by
office what rollup._count asks of one, and the rows are split by office after. The counts are
the same by construction: every rule groups within an office (bursts within a kiosk).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from hailong.server.reference import scope
from hailong.server.reporting import marks
from hailong.server.reporting import queries as q
from hailong.server.reporting.flags import FlagRules, flag_candidates
from hailong.server.reporting.rollup import Gathered, rules_digest, stored_halves
from hailong.server.reporting.rollup_store import remark_all, store_halves
from hailong.server.storage.db import devices, presses
from hailong.server.storage.schema import report_half_counts, report_half_flags
from hailong.server.storage.snapshot import snapshot

MIXED = -1  # a kiosk with presses of two office rows in a range
HALVES_PER_WRITE = 25  # office half-months stored per transaction: short ones, ingest waits less


def stale_halves(conn: Connection, found: Mapping, checked, homes: Mapping[int, tuple[int, ...]],
                 rules: FlagRules, seen: marks.Arrivals | None) -> tuple[dict, dict]:  # fmt: skip
    """Return {(office, first day): why} of the half-months not stored or no longer valid.

    And the fingerprints it read (queries.fingerprints_of's), for the reads that follow.

    `found` as stored_halves, `checked` as checked_ranges, `homes` each office row's subtree,
    `seen` the presses stored since the oldest mark among them (read in the same snapshot, None
    when none has one). The rows without a mark, or marked before the anchors changed, are
    checked by fingerprint (one grouped query a range, for every office), as _holds does.
    """
    digest, stale, printed, prints = rules_digest(rules), {}, [], {}
    for office, subtree in homes.items():
        for day, start_ms, end_ms in checked:
            row = found.get((office, day))
            if row is None or row.rules != digest:
                stale[(office, day)] = "missing"
            elif row.press_mark is None or seen is None or seen.anchors != row.anchor_mark:
                printed.append((office, day, start_ms, end_ms))
            elif seen.touch(subtree, start_ms, end_ms, row.press_mark):
                stale[(office, day)] = "arrived"
    if printed:
        ranges = sorted({(a, b) for _o, _d, a, b in printed})
        home = {member: office for office, subtree in homes.items() for member in subtree}
        prints = q.fingerprints_of(conn, ranges, home)
        for office, day, start_ms, end_ms in printed:
            row = found[(office, day)]
            if (row.presses, row.seq_sum, row.offset_sum) != prints.get((office, start_ms, end_ms)):
                stale[(office, day)] = "changed"
    return stale, prints


def oldest_mark(found: Mapping) -> int | None:
    """Return the lowest press mark of the stored half-months (None when none has one)."""
    held = [row.press_mark for row in found.values() if row.press_mark is not None]
    return min(held) if held else None


def recount(conn: Connection, stale, checked, homes: Mapping[int, tuple[int, ...]],
            rules: FlagRules, mark: marks.Mark | None) -> None:  # fmt: skip
    """Count and store the stale (office row, first day) half-months, one grouped pass a half.

    `checked` as rollup.checked_ranges, `homes` each office row's subtree; `mark` taken before
    (what the counts are valid at, marks.take). `conn` holds no transaction: each half-month's
    reads end before its rows are written, a few offices' at a time.
    """
    pad, digest = int(rules.burst_window_s * 1000), rules_digest(rules)
    padded = {day: (a, b) for day, a, b in checked}
    by_day: dict[str, list[int]] = {}
    for office, day in stale:
        by_day.setdefault(day, []).append(office)
    pending: list[tuple] = []
    for day, rows in sorted(by_day.items()):
        a, b = padded[day]
        home = {member: office for office in rows for member in homes[office]}
        prints = q.fingerprints_of(conn, [(a, b)], home)  # after the mark, before counting
        parts = _count_grouped(conn, a + pad, b - pad, rules, home)
        conn.commit()  # end the reads: the writes below must not hold up ingest for long
        pending += [(office, (rules.tz, day), parts[office], prints[(office, a, b)])
                    for office in rows]  # fmt: skip
        while len(pending) >= HALVES_PER_WRITE:
            store_halves(conn, pending[:HALVES_PER_WRITE], digest, mark)
            pending = pending[HALVES_PER_WRITE:]
    if pending:
        store_halves(conn, pending, digest, mark)


def _count_grouped(conn: Connection, start_ms: int, end_ms: int, rules: FlagRules,
                   home: Mapping[int, int], rows_of=None) -> dict[int, Gathered]:  # fmt: skip
    """Count [start, end) as rollup._count does for each office row, grouped by office.

    `rows_of`: each kiosk's office row when the caller read it from the presses.
    """
    parts = {office: Gathered() for office in set(home.values())}
    c = presses.c
    with scope.counting_presses_of(home):
        fields = conn.execute(
            select(c.office_id, c.mode, c.field, c.rating, func.count())
            .where(q.in_range(start_ms, end_ms))
            .group_by(c.office_id, c.mode, c.field, c.rating)
        )  # fmt: skip
        for office, mode, field, rating, n in fields:
            parts[home[office]].by_field[(mode, field, rating)] += n
        named = conn.execute(
            select(c.office_id, c.official, c.rating, func.count())
            .where(q.counted(start_ms, end_ms), c.official.is_not(None))
            .group_by(c.office_id, c.official, c.rating)
        )  # fmt: skip
        for office, official, rating, n in named:
            parts[home[office]].by_official[(official, rating)] += n
        candidates = flag_candidates(
            conn, start_ms, end_ms, rules, int(rules.burst_window_s * 1000)
        )
    if rows_of is None:
        office_of = _offices_of(conn, {key[0] for key in candidates}, home)
        rows_of = {device: home[office] for device, office in office_of.items()}
    for key, row in candidates.items():
        parts[rows_of[key[0]]].candidates[key] = row
    for part in parts.values():  # as rollup._count builds them
        part.by_field, part.by_official = Counter(part.by_field), Counter(part.by_official)
    return parts


def count_open(conn: Connection, ranges, homes: Mapping[int, tuple[int, ...]],
               rules: FlagRules) -> tuple[dict, dict]:  # fmt: skip
    """Count each office row's `ranges` from presses as gather does, one grouped pass a range.

    Returns ({(office row, start, end): Gathered} for rollup.counted_ahead, {(start, end):
    {kiosk: its office row, or MIXED}}). A row sharing a kiosk with another row in a range (a
    kiosk moved between them) is left out: its bursts and candidates would mix, so gather
    counts it alone. `conn` reads in one snapshot.
    """
    pad, found, kiosks_of = int(rules.burst_window_s * 1000), {}, {}
    home = {member: office for office, subtree in homes.items() for member in subtree}
    if not home:
        return found, kiosks_of
    c = presses.c
    for start_ms, end_ms in ranges:
        with scope.counting_presses_of(home):
            kiosks = conn.execute(
                select(c.device, c.office_id).distinct()
                .where(q.in_range(start_ms - pad, end_ms + pad))
            ).all()  # fmt: skip
        rows_of: dict[str, set[int]] = {}
        for device, office in kiosks:
            rows_of.setdefault(device, set()).add(home[office])
        mixed = set().union(*(rows for rows in rows_of.values() if len(rows) > 1))
        kiosks_of[(start_ms, end_ms)] = {
            device: MIXED if len(rows) > 1 else next(iter(rows)) for device, rows in rows_of.items()
        }  # fmt: skip
        alone = {member: office for member, office in home.items() if office not in mixed}
        if not alone:
            continue
        office_of = {device: next(iter(rows)) for device, rows in rows_of.items()}
        parts = _count_grouped(conn, start_ms, end_ms, rules, alone, office_of)
        found |= {(office, start_ms, end_ms): part for office, part in parts.items()}
    return found, kiosks_of


def read_stored(conn: Connection, tz: str, rows, days: list[str],
                flags: bool) -> dict[tuple, Gathered]:  # fmt: skip
    """Read the stored half-months `days` of every office row as rollup._read does for one.

    Returns {(office row, days, flags): Gathered} for rollup.counted_ahead; gather takes it
    only when it finds exactly these days valid.
    """
    t, found = report_half_counts.c, {(row, tuple(days), flags): Gathered() for row in rows}
    counts = conn.execute(
        select(t.office_id, t.dim, t.mode, t.key, t.rating, func.sum(t.n))
        .where(t.tz == tz, t.first_day.in_(days), t.office_id.in_(sorted(rows)))
        .group_by(t.office_id, t.dim, t.mode, t.key, t.rating)
    )  # fmt: skip
    for office, dim, mode, name, rating, n in counts:
        found[(office, tuple(days), flags)].count(dim, mode, name, rating, n)
    if flags:
        f = report_half_flags.c
        held = conn.execute(
            select(f.office_id, f.device, f.seq, f.rating, f.at_ms, f.counter, f.field, f.mode,
                   f.official)
            .where(f.tz == tz, f.first_day.in_(days), f.office_id.in_(sorted(rows)))
        )  # fmt: skip
        for office, *row in held:
            found[(office, tuple(days), flags)].candidates[(row[0], row[1])] = tuple(row)
    return found


def _offices_of(conn: Connection, kiosks: set[str], home: Mapping[int, int]) -> dict[str, int]:
    """Return the office of each kiosk among `home`'s offices (a kiosk's, its presses' else)."""
    found = dict(conn.execute(
        select(devices.c.device, devices.c.office_id)
        .where(devices.c.device.in_(sorted(kiosks)), devices.c.office_id.in_(sorted(home)))
    ).all())  # fmt: skip
    missing = sorted(kiosks - set(found))
    if missing:  # presses stored with an office their kiosk's row does not name
        found |= dict(conn.execute(
            select(presses.c.device, presses.c.office_id).distinct()
            .where(presses.c.device.in_(missing), presses.c.office_id.in_(sorted(home)))
        ).all())  # fmt: skip
    return found


def ensure_stored(engine: Engine, homes: Mapping[int, tuple[int, ...]], checked,
                  rules: FlagRules, mark: marks.Mark | None = None) -> None:  # fmt: skip
    """Count and store the rollups of `checked` half-months that are missing or stale.

    For reads that use the rollups where valid and count the rest (trend.rolled_monthly_counts):
    after this, the rest is what changed since. `mark`: the caller's, taken before; presses
    stored after it are left to those reads (counted there), not recounted here.
    """
    if mark is None:
        with engine.connect() as conn:
            mark = marks.take(conn)  # before every read below
    with snapshot(engine) as conn:
        found = stored_halves(conn, rules.tz, homes, {day for day, _a, _b in checked})
        oldest = oldest_mark(found)
        upto = None if mark is None else mark.press
        seen = None if oldest is None else marks.arrivals(conn, oldest, upto)
        stale, _prints = stale_halves(conn, found, checked, homes, rules, seen)
    with engine.connect() as conn:
        if stale:
            recount(conn, stale, checked, homes, rules, mark)
        every = [(office, day) for office in homes for day, _a, _b in checked]
        remark_all(conn, rules.tz, found, [k for k in every if k not in stale], mark)
