"""Half-month rollups of presses, so that a year's report reads thousands of rows, not millions.

SQLite sorts to GROUP BY: counting a year of a national fleet straight from presses takes
seconds per table. Every named period (calendar or cut-off) is a run of whole half-months
(days 1–14 and 15–end), so the counts of each closed half-month are kept here once.

A stored half-month is trusted only while the presses in it are the same ones: a
fingerprint (count, sum of seq, sum of time offsets, read from the covering index in a few
milliseconds) is compared on every use, and the half-month is recounted when presses
arrived late or were re-dated. Only what presses alone decide is stored: counts per (mode,
field, rating), counts per (official as sent, rating), and the flag candidates (a superset,
under the flag rules whose digest is stored). Duty rosters, corrections, dossier counts and
names are read at report time, so editing them never leaves a stale rollup behind.

With several offices a rollup belongs to the office acted for (reference/scope.py) and counts
its subtree's presses: a commune's, a province's are separate caches of the same presses.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from hailong.server.epoch import midnight_ms, now_ms
from hailong.server.reference import scope
from hailong.server.reporting import queries as q
from hailong.server.reporting.flags import FlagRules, flag_candidates
from hailong.server.storage.schema import report_half_counts, report_half_flags, report_halves

HALVES = (report_halves, report_half_counts, report_half_flags)
ROLLUP_MODES = ("store", "read", "off")
# (tz, {(office id, first day): stored row}): every office's stored half-months, read at once.
_known: ContextVar[tuple[str, Mapping] | None] = ContextVar("hailong_halves", default=None)


@dataclass
class Gathered:
    """Counts and flag candidates of a run of days, from rollups and from presses."""

    by_field: Counter = field(default_factory=Counter)  # (mode, field, rating) -> n
    by_official: Counter = field(default_factory=Counter)  # (official as sent, rating) -> n
    candidates: dict = field(default_factory=dict)  # (device, seq) -> press row

    def add(self, other: Gathered) -> None:
        """Add another run of days' counts and candidates to these."""
        self.by_field.update(other.by_field)
        self.by_official.update(other.by_official)
        self.candidates.update(other.candidates)


def gather(
    conn: Connection,
    first: date,
    last: date,
    rules: FlagRules,
    *,
    flags: bool = True,
    rollups: str = "store",
) -> Gathered:
    """Count local days first..last: closed half-months from rollups, the rest from presses.

    `rollups`: "store" saves a half-month it had to recount, in its own short transaction on
    `conn` (which must hold no uncommitted work of the caller's); "read" uses stored ones that
    are still valid and saves nothing; "off" counts everything from presses.
    """
    if rollups not in ROLLUP_MODES:
        raise ValueError(f"rollups must be one of {ROLLUP_MODES}, got {rollups!r}")
    total, valid = Gathered(), []
    now = now_ms()
    for start, end, whole in halves(first, last):
        start_ms, end_ms = (
            midnight_ms(start, rules.tz),
            midnight_ms(end + timedelta(days=1), rules.tz),
        )
        part = None
        if whole and end_ms <= now and rollups != "off":
            part = _refresh(conn, start, start_ms, end_ms, rules, rollups == "store")
            if part is None:
                valid.append(start.isoformat())
                continue
        total.add(part or _count(conn, start_ms, end_ms, rules, flags))
    if valid:
        total.add(_read(conn, rules.tz, valid, flags))
    return total


def halves(first: date, last: date) -> Iterator[tuple[date, date, bool]]:
    """Split local days first..last into half-months: (first day, last day, whole half?)."""
    day = first
    while day <= last:
        start = day.replace(day=1 if day.day < 15 else 15)
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = start.replace(day=14) if start.day == 1 else following - timedelta(days=1)
        yield max(day, start), min(end, last), day == start and end <= last
        day = end + timedelta(days=1)


def rules_digest(rules: FlagRules) -> str:
    """Return a short digest of the flag rules, stored with the candidates they chose."""
    # "padded": candidates now keep burst members beyond the half-month; older rows lack them.
    text = repr(
        ("padded", sorted(rules.hours.items()), rules.holidays, rules.burst_window_s,
         rules.burst_max)
    )  # fmt: skip
    return hashlib.sha1(text.encode()).hexdigest()


def _refresh(conn, start: date, start_ms: int, end_ms: int, rules, store: bool):
    """Recount a closed half-month whose presses changed; None when its rollup is still valid."""
    pad = int(rules.burst_window_s * 1000)
    key = (rules.tz, start.isoformat())
    seen = q.fingerprint(conn, start_ms - pad, end_ms + pad)
    digest = rules_digest(rules)
    stored = _stored(conn, key)
    fresh = stored is not None and stored.rules == digest
    if fresh and (stored.presses, stored.seq_sum, stored.offset_sum) == seen:
        return None
    if not store:
        return _count(conn, start_ms, end_ms, rules, True)
    return _recount(conn, key, start_ms, end_ms, rules, seen, digest)


def stored_halves(conn: Connection, tz: str) -> dict:
    """Return every office's stored half-months in a zone, keyed (office id, first day)."""
    rows = conn.execute(select(report_halves).where(report_halves.c.tz == tz))
    return {(row.office_id, row.first_day): row for row in rows}


@contextmanager
def known_halves(tz: str, found: Mapping) -> Iterator[None]:
    """Answer _refresh's look-ups of stored half-months from `found` (stored_halves) in the block.

    Read in the same snapshot as the block's reads, or before storing (a row stored since is
    only looked up again by a later call, which reads afresh).
    """
    token = _known.set((tz, found))
    try:
        yield
    finally:
        _known.reset(token)


def _stored(conn, key):
    """Return the stored row of a half-month of the office acted for (None when none)."""
    held, office = _known.get(), scope.office_id()
    if held is not None and held[0] == key[0] and office is not None:
        return held[1].get((office, key[1]))
    return conn.execute(
        select(report_halves).where(
            report_halves.c.tz == key[0],
            report_halves.c.first_day == key[1],
            scope.owned(report_halves),
        )
    ).first()


def _recount(conn, key, start_ms: int, end_ms: int, rules, seen, digest: str) -> Gathered:
    """Count a half-month from presses and store it in its own short transaction."""
    part = _count(conn, start_ms, end_ms, rules, True)
    tz, first_day = key
    conn.commit()  # end the read transaction: the write below must not hold up ingest for long
    try:
        with conn.begin():
            for table in HALVES:
                mine = scope.owned(table)
                conn.execute(
                    delete(table).where(table.c.tz == tz, table.c.first_day == first_day, mine)
                )
            _write(conn, key, part, seen, digest)
    except IntegrityError:
        pass  # another report stored the same half-month at the same moment: its rows will do
    return part


def _write(conn, key, part: Gathered, seen, digest: str) -> None:
    """Insert one half-month's fingerprint, counts and flag candidates."""
    tz, first_day = key
    mine = {"tz": tz, "first_day": first_day} | scope.owner()
    conn.execute(report_halves.insert().values(
        **scope.owner(),
        tz=tz, first_day=first_day, presses=seen[0], seq_sum=seen[1], offset_sum=seen[2],
        rules=digest, built_ms=now_ms(),
    ))  # fmt: skip
    counts = [
        {"dim": "field", "mode": m, "key": f, "rating": r, "n": n}
        for (m, f, r), n in part.by_field.items()
    ] + [
        {"dim": "official", "mode": "live", "key": o, "rating": r, "n": n}
        for (o, r), n in part.by_official.items()
    ]
    if counts:
        conn.execute(report_half_counts.insert(), [mine | c for c in counts])
    names = ("device", "seq", "rating", "at_ms", "counter", "field", "mode", "official")
    flags = [dict(zip(names, row, strict=True)) for row in part.candidates.values()]
    if flags:
        conn.execute(report_half_flags.insert(), [mine | f for f in flags])


def _read(conn, tz: str, first_days: list[str], flags: bool) -> Gathered:
    """Return the summed counts of stored half-months and, when asked, their flag candidates."""
    t = report_half_counts.c
    part = Gathered()
    counts = (
        select(t.dim, t.mode, t.key, t.rating, func.sum(t.n))
        .where(t.tz == tz, t.first_day.in_(first_days), scope.owned(report_half_counts))
        .group_by(t.dim, t.mode, t.key, t.rating)
    )
    for dim, mode, name, rating, n in conn.execute(counts):
        if dim == "field":
            part.by_field[(mode, name, rating)] += int(n)
        else:
            part.by_official[(name, rating)] += int(n)
    if flags:
        f = report_half_flags.c
        rows = select(f.device, f.seq, f.rating, f.at_ms, f.counter, f.field, f.mode, f.official)
        rows = rows.where(f.tz == tz, f.first_day.in_(first_days), scope.owned(report_half_flags))
        part.candidates = {(r.device, r.seq): tuple(r) for r in conn.execute(rows)}
    return part


def _count(conn, start_ms: int, end_ms: int, rules, flags: bool) -> Gathered:
    """Count a run of days straight from presses."""
    pad = int(rules.burst_window_s * 1000)
    return Gathered(
        Counter(q.counts_by_field(conn, start_ms, end_ms)),
        Counter(q.counts_by_sent_official(conn, start_ms, end_ms)),
        flag_candidates(conn, start_ms, end_ms, rules, pad) if flags else {},
    )


def checked_ranges(first: date, last: date, rules: FlagRules) -> list[tuple[str, int, int]]:
    """Return (first day, start, end) of each range whose fingerprint validates a rollup."""
    pad, now, found = int(rules.burst_window_s * 1000), now_ms(), []
    for start, end, whole in halves(first, last):
        start_ms = midnight_ms(start, rules.tz)
        end_ms = midnight_ms(end + timedelta(days=1), rules.tz)
        if whole and end_ms <= now:
            found.append((start.isoformat(), start_ms - pad, end_ms + pad))
    return found


def all_stored(prints: Mapping, stored: Mapping, checked, office_ids, rules: FlagRules) -> bool:
    """Tell whether every office's rollup of every checked half-month is stored and still valid.

    `prints` as queries.fingerprints_of returns them, `stored` as stored_halves: _refresh's test.
    """
    digest = rules_digest(rules)
    for office in office_ids:
        for day, start_ms, end_ms in checked:
            row = stored.get((office, day))
            if row is None or row.rules != digest or (row.presses, row.seq_sum, row.offset_sum) \
                    != prints.get((office, start_ms, end_ms)):  # fmt: skip
                return False
    return True


def refresh(conn: Connection, first: date, last: date, rules: FlagRules) -> None:
    """Store the rollups of the closed half-months of first..last whose presses changed.

    A snapshot reads rollups but never writes them: this runs before it, on its own connection.
    """
    now = now_ms()
    for start, end, whole in halves(first, last):
        start_ms = midnight_ms(start, rules.tz)
        end_ms = midnight_ms(end + timedelta(days=1), rules.tz)
        if whole and end_ms <= now:
            _refresh(conn, start, start_ms, end_ms, rules, True)
            conn.commit()  # end each read at once: a long one holds up SQLite's checkpoints
