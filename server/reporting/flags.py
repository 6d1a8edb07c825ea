"""The flag queries: which presses may be outside office hours or in a burst (a superset).

SQL narrows a period's presses to the few that may be flagged, read from the covering index;
metrics.accepted_and_filtered then judges each candidate with the one office-hours rule
(hours.OfficeHours.is_open) and the one burst rule, so the two can never disagree on a flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, String, and_, false, func, literal, or_, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from hailong.server.epoch import from_ms
from hailong.server.reporting.hours import OfficeHours
from hailong.server.reporting.queries import counted, press_columns
from hailong.server.storage.db import presses

DAY_MS = 86_400_000
# 1970-01-01 was a Thursday: (days since the epoch + 3) % 7 is the weekday, Monday = 0.
EPOCH_WEEKDAY = 3
# How many (device, window) pairs one IN (...) names; keeps statements well under every
# dialect's limits on bound parameters.
WINDOWS_PER_QUERY = 2_000


@dataclass(frozen=True)
class FlagRules:
    """What makes a press odd: office hours per weekday, holidays, zone and burst limits."""

    hours: Mapping[int, Sequence[tuple[str, str]]]
    holidays: tuple[date, ...]
    tz: str
    burst_window_s: float
    burst_max: int

    @property
    def office(self) -> OfficeHours:
        """Return the office hours these rules flag presses outside of."""
        return OfficeHours(self.hours, self.holidays, self.tz)


def flag_candidates(
    conn: Connection, start_ms: int, end_ms: int, rules: FlagRules, pad_ms: int = 0
) -> dict[tuple[str, int], tuple]:
    """Fetch the live presses in a range that may be flagged: a superset, metrics decides.

    Bursts are looked for among the presses up to `pad_ms` beyond each end, and those members
    are kept: a burst across the boundary of two adjacent ranges is then judged whole from
    either side, so a press's flag never depends on the period a report covers. Whoever counts
    the flags counts only the presses inside its own range.
    """
    # Plain tuples, keyed by position: a silent office's half-month is thousands of candidates.
    among = true()
    found = {r[:2]: r for r in map(tuple, _outside_hours(conn, start_ms, end_ms, rules, among))}
    for row in map(tuple, _burst_members(conn, start_ms - pad_ms, end_ms + pad_ms, rules, among)):
        found[row[:2]] = row
    return found


def candidates_added(conn: Connection, start_ms: int, end_ms: int, rules: FlagRules,
                     pad_ms: int, added) -> dict[tuple[str, int], tuple]:  # fmt: skip
    """Fetch the candidates flag_candidates finds that presses `added` (stored since) bring.

    Every earlier candidate stays one: being outside office hours is a press's own, and a busy
    window only gains presses. What is new: the added presses outside office hours, and burst
    members near an added press. A burst window holding an added press (bucket b) can turn
    busy; its members are in windows b-1..b+1, judged from windows b-2..b+2, all read whole.
    `added`: rows with id, device and at_ms.
    """
    width = max(1, int(rules.burst_window_s * 1000))
    ids = [r.id for r in added if start_ms <= r.at_ms < end_ms]
    found = {}
    if ids:
        odd = _outside_hours(conn, start_ms, end_ms, rules, presses.c.id.in_(sorted(ids)))
        found = {r[:2]: r for r in map(tuple, odd)}
    near = [and_(presses.c.device == r.device, presses.c.at_ms >= (r.at_ms // width - 2) * width,
                 presses.c.at_ms < (r.at_ms // width + 3) * width)
            for r in added if start_ms - pad_ms <= r.at_ms < end_ms + pad_ms]  # fmt: skip
    if near:  # windows read whole: each member found is one (beyond b±1 maybe not all of them)
        members = _burst_members(conn, start_ms - pad_ms, end_ms + pad_ms, rules, or_(*near))
        found |= {r[:2]: r for r in map(tuple, members)}
    return found


def _outside_hours(conn: Connection, start_ms: int, end_ms: int, rules: FlagRules, among):
    """Return live presses that may fall outside office hours.

    Local time is UTC plus the zone's offset; where the zone changes offset inside the range,
    a press is a candidate if it is outside under any of the offsets.
    """
    offsets = _offsets_ms(start_ms, end_ms, rules.tz)
    outside = or_(*(_outside(offset, rules.office) for offset in offsets))
    query = press_columns().where(counted(start_ms, end_ms), among, outside)
    return conn.execute(query).all()


def _burst_members(conn: Connection, start_ms: int, end_ms: int, rules: FlagRules,
                   among) -> list:  # fmt: skip
    """Return live presses near a window holding at least half a burst on one device.

    A burst (more than `burst_max` presses within the window) spans at most two consecutive
    windows of one device, so one of them holds at least half of it.
    """
    width = max(1, int(rules.burst_window_s * 1000))
    bucket = (presses.c.at_ms // width).label("bucket")
    busy = conn.execute(
        select(presses.c.device, bucket)
        .where(counted(start_ms, end_ms), among)
        .group_by(presses.c.device, bucket)
        .having(func.count() >= (rules.burst_max + 2) // 2)
    ).all()
    near = sorted({(device, b + step) for device, b in busy for step in (-1, 0, 1)})
    if conn.dialect.name == "postgresql":
        # The windows as a table joined by hash: a list of (kiosk, window) pairs is compared
        # pair by pair on every press of the range (seconds for a hundred offices at once).
        windows = (
            func.unnest(
                literal([d for d, _b in near], ARRAY(String)),
                literal([b for _d, b in near], ARRAY(BigInteger)),
            )
            .table_valued("device", "bucket")
            .render_derived(name="w")
        )
        on = and_(
            windows.c.device == presses.c.device, windows.c.bucket == presses.c.at_ms // width
        )
        return conn.execute(
            press_columns().join(windows, on).where(counted(start_ms, end_ms), among)
        ).all()
    members = []
    for first in range(0, len(near), WINDOWS_PER_QUERY):
        chunk = near[first : first + WINDOWS_PER_QUERY]
        window = tuple_(presses.c.device, presses.c.at_ms // width).in_(chunk)
        query = press_columns().where(counted(start_ms, end_ms), among, window)
        members += conn.execute(query).all()
    return members


def _offsets_ms(start_ms: int, end_ms: int, tz: str) -> list[int]:
    """Return every UTC offset (ms) the zone uses in the range, checked at each day's start."""
    zone, seen = ZoneInfo(tz), set()
    for moment in range(start_ms, end_ms + DAY_MS, DAY_MS):
        at = from_ms(min(moment, end_ms), zone)
        seen.add(int(at.utcoffset().total_seconds() * 1000))
    return sorted(seen)


def _outside(offset: int, office: OfficeHours):
    """Return the condition "outside office hours" for local time = UTC + offset.

    The SQL form of OfficeHours.is_open, over the same spans; it only narrows the candidates
    (metrics judges each one with is_open), so the two cannot disagree on a flag.
    """
    holidays = office.holiday_numbers()
    local = presses.c.at_ms + offset
    day, moment = local // DAY_MS, local % DAY_MS
    weekday = (day + EPOCH_WEEKDAY) % 7
    open_spans = [
        and_(weekday == wd, moment >= start, moment < end)
        for wd, spans in office.spans_ms().items()
        for start, end in spans
    ]
    inside = or_(*open_spans) if open_spans else false()
    return or_(~inside, day.in_(holidays)) if holidays else ~inside
