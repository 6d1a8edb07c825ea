"""Half-month rollups of presses, so that a year's report reads thousands of rows, not millions.

SQLite sorts to GROUP BY: counting a year of a national fleet straight from presses takes
seconds per table. Every named period (calendar or cut-off) is a run of whole half-months
(days 1–14 and 15–end), so the counts of each closed half-month are kept here once.

A stored half-month is trusted only while the presses in it are the same ones. It keeps the
change mark it was counted (or last found valid) at (marks.py: every press up to an id, so many
anchors): while the anchors are the same, it holds unless a press stored since falls in it, read
from the primary key (the presses stored since, few). When the anchors changed (presses may have
been re-dated) or a rollup has no mark, its fingerprint (count, sum of seq, sum of time offsets,
from the covering index) is compared instead. Either way a half-month is recounted when presses
arrived late or were re-dated, and one found valid takes the newer mark. Only what presses alone decide is stored: counts per (mode,
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

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from hailong.server.epoch import midnight_ms, now_ms
from hailong.server.reference import scope
from hailong.server.reporting import marks
from hailong.server.reporting import queries as q
from hailong.server.reporting.flags import FlagRules, flag_candidates
from hailong.server.reporting.rollup_store import remark_all, store_halves
from hailong.server.storage.schema import report_half_counts, report_half_flags, report_halves

ROLLUP_MODES = ("store", "read", "off")
# (tz, {(office id, first day): stored row}): every office's stored half-months, read at once.
_known: ContextVar[tuple[str, Mapping] | None] = ContextVar("hailong_halves", default=None)
# The presses stored since some mark, read in the snapshot of the reads that use them.
_arrived: ContextVar[marks.Arrivals | None] = ContextVar("hailong_arrivals", default=None)
# A mark taken before the reads of the block: what rollups counted or found valid there take.
_held: ContextVar[marks.Mark | None] = ContextVar("hailong_mark", default=None)
# (rules, {key: Gathered}): what gather reads, read ahead for many offices at once (counted_ahead).
_ahead: ContextVar[tuple | None] = ContextVar("hailong_ahead", default=None)


@dataclass
class Gathered:
    """Counts and flag candidates of a run of days, from rollups and from presses."""

    by_field: Counter = field(default_factory=Counter)  # (mode, field, rating) -> n
    by_official: Counter = field(default_factory=Counter)  # (official as sent, rating) -> n
    candidates: dict = field(default_factory=dict)  # (device, seq) -> press row

    def count(self, dim: str, mode: str, name: str, rating: int, n: int) -> None:
        """Add a stored rollup row's count (dim "field" or "official")."""
        if dim == "field":
            self.by_field[(mode, name, rating)] += int(n)
        else:
            self.by_official[(name, rating)] += int(n)

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
    check = _Check(conn, rollups == "store")
    for start, end, whole in halves(first, last):
        start_ms, end_ms = (
            midnight_ms(start, rules.tz),
            midnight_ms(end + timedelta(days=1), rules.tz),
        )
        part = None
        if whole and end_ms <= now and rollups != "off":
            part = _refresh(check, start, start_ms, end_ms, rules)
            if part is None:
                valid.append(start.isoformat())
                continue
        total.add(part or _from_presses(conn, start_ms, end_ms, rules, flags))
    check.flush()
    if valid:
        total.add(_from_rollups(conn, rules, valid, flags))
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


class _Check:
    """What validating a run of half-months needs once: the connection, a mark, the arrivals."""

    def __init__(self, conn: Connection, store: bool):
        self.conn, self.store = conn, store
        self.mark = _held.get()
        if store and self.mark is None and not conn.in_transaction():
            self.mark = marks.take(conn)  # before any read that validates or counts
        self.seen: marks.Arrivals | None = None
        self.valid: list[tuple] = []  # (key, stored row) found valid, to take the newer mark

    def flush(self) -> None:
        """Give the half-months found valid the newer mark, in one short transaction."""
        if not (self.store and self.valid and self.mark is not None):
            self.valid = []
            return
        found = {(scope.office_id(), key[1]): row for key, row in self.valid}
        tz = self.valid[0][0][0]
        self.valid = []
        self.conn.commit()  # end the read: the write below must not hold up ingest for long
        remark_all(self.conn, tz, found, found, self.mark, owned=True)

    def arrivals(self, since: int) -> marks.Arrivals:
        """Return the presses stored after `since` (held by the caller, or read once here)."""
        held = _arrived.get()
        if held is not None and held.since <= since:
            return held
        if self.seen is None or self.seen.since > since:
            self.seen = marks.arrivals(self.conn, since)
        return self.seen


def _refresh(check: _Check, start: date, start_ms: int, end_ms: int, rules):
    """Recount a closed half-month whose presses changed; None when its rollup is still valid."""
    pad = int(rules.burst_window_s * 1000)
    key = (rules.tz, start.isoformat())
    digest = rules_digest(rules)
    stored = _stored(check.conn, key)
    fresh = stored is not None and stored.rules == digest
    if fresh and _holds(check, stored, key, start_ms - pad, end_ms + pad):
        return None
    if not check.store:
        return _count(check.conn, start_ms, end_ms, rules, True)
    return _recount(check, key, start_ms, end_ms, rules, digest)


def _holds(check: _Check, stored, key, start_ms: int, end_ms: int) -> bool:
    """Tell whether a stored half-month still counts exactly the presses in [start, end)."""
    conn, mark = check.conn, check.mark
    if stored.press_mark is not None:
        seen = check.arrivals(stored.press_mark)
        if seen.anchors == stored.anchor_mark:
            if seen.touch(scope.press_offices(), start_ms, end_ms, stored.press_mark):
                return False
            if check.store and mark is not None and mark.anchors == stored.anchor_mark:
                check.valid.append((key, stored))
            return True
    found = q.fingerprint(conn, start_ms, end_ms)
    if (stored.presses, stored.seq_sum, stored.offset_sum) != found:
        return False
    if check.store and mark is not None:
        check.valid.append((key, stored))
    return True


def stored_halves(conn: Connection, tz: str, offices=None, days=None) -> dict:
    """Return the stored half-months in a zone, keyed (office id, first day).

    Every office's and day's, or only those of `offices` and `days` when given.
    """
    t = report_halves.c
    query = select(report_halves).where(t.tz == tz)
    if offices is not None:
        query = query.where(t.office_id.in_(sorted(offices)))
    if days is not None:
        query = query.where(t.first_day.in_(sorted(days)))
    return {(row.office_id, row.first_day): row for row in conn.execute(query)}


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


def _recount(check: _Check, key, start_ms: int, end_ms: int, rules, digest: str) -> Gathered:
    """Count a half-month from presses and store it in its own short transaction."""
    conn, pad = check.conn, int(rules.burst_window_s * 1000)
    seen = q.fingerprint(conn, start_ms - pad, end_ms + pad)  # after the mark, before counting
    part = _count(conn, start_ms, end_ms, rules, True)
    conn.commit()  # end the read transaction: the write below must not hold up ingest for long
    store_halves(conn, [(None, key, part, seen)], digest, check.mark)
    return part


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
        part.count(dim, mode, name, rating, n)
    if flags:
        f = report_half_flags.c
        rows = select(f.device, f.seq, f.rating, f.at_ms, f.counter, f.field, f.mode, f.official)
        rows = rows.where(f.tz == tz, f.first_day.in_(first_days), scope.owned(report_half_flags))
        part.candidates = {(r[0], r[1]): tuple(r) for r in conn.execute(rows).all()}
    return part


def parts_of(first: date, last: date, tz: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Return what gather reads of first..last: closed half-months' first days, open ranges."""
    now, closed, ranges = now_ms(), [], []
    for start, end, whole in halves(first, last):
        start_ms, end_ms = midnight_ms(start, tz), midnight_ms(end + timedelta(days=1), tz)
        if whole and end_ms <= now:
            closed.append(start.isoformat())
        else:
            ranges.append((start_ms, end_ms))
    return closed, ranges


@contextmanager
def counted_ahead(rules: FlagRules, parts: Mapping) -> Iterator[None]:
    """Take what gather reads from `parts` in the block, when read ahead for many offices.

    Keys: (office, start, end) for a range counted from presses (rollup_batch.count_open),
    (office, first days, flags) for valid rollups read (rollup_batch.read_stored).
    """
    token = _ahead.set((rules, parts))
    try:
        yield
    finally:
        _ahead.reset(token)


def _taken(rules, key: tuple) -> Gathered | None:
    """Return the part read ahead for the office acted for under `key` (None when none)."""
    held = _ahead.get()
    if held is None or held[0] != rules:
        return None
    return held[1].get((scope.office_id(), *key))


def _from_presses(conn, start_ms: int, end_ms: int, rules, flags: bool) -> Gathered:
    """Count a run of days from presses, or take it as counted ahead."""
    part = _taken(rules, (start_ms, end_ms))
    if part is None:
        return _count(conn, start_ms, end_ms, rules, flags)
    return part if flags else Gathered(part.by_field, part.by_official, {})


def _from_rollups(conn, rules, days: list[str], flags: bool) -> Gathered:
    """Read the valid stored half-months `days`, or take them as read ahead."""
    part = _taken(rules, (tuple(days), flags))
    return _read(conn, rules.tz, days, flags) if part is None else part


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


@contextmanager
def known_arrivals(seen: marks.Arrivals | None, mark: marks.Mark | None = None) -> Iterator[None]:
    """Validate rollups with `seen` (read in the block's snapshot) and store them at `mark`."""
    tokens = (_arrived.set(seen), _held.set(mark))
    try:
        yield
    finally:
        _held.reset(tokens[1])
        _arrived.reset(tokens[0])


def refresh(conn: Connection, first: date, last: date, rules: FlagRules) -> None:
    """Store the rollups of the closed half-months of first..last whose presses changed.

    A snapshot reads rollups but never writes them: this runs before it, on its own connection.
    """
    now = now_ms()
    check = _Check(conn, True)
    for start, end, whole in halves(first, last):
        start_ms = midnight_ms(start, rules.tz)
        end_ms = midnight_ms(end + timedelta(days=1), rules.tz)
        if whole and end_ms <= now:
            _refresh(check, start, start_ms, end_ms, rules)
            conn.commit()  # end each read at once: a long one holds up SQLite's checkpoints
    check.flush()
