"""Late arrivals (bổ sung): presses that reached the collector after their period was published.

A published report never changes. A press pressed in a published period but received after its
publication (a kiosk offline for weeks, a press re-dated into the past) is counted instead in
the report of the period during which it arrived, on a line of its own per published period,
with its own figures. "Arrived" is the collector's receive time (presses.received_ms).

Only published periods of the report's own kind and convention are looked at, so a month's
report lists what arrived late for earlier published months, a year's for earlier years; each
late press shows once in each kind of report, in the one during which it arrived.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.reporting import queries as q
from hailong.server.reporting.metrics import LevelStats, stats_from_counts
from hailong.server.reporting.periods import Period, parse_period
from hailong.server.reporting.published import published_periods
from hailong.server.storage.db import presses


@dataclass(frozen=True)
class LateRow:
    """The presses of one published period that arrived during the report's period."""

    period: Period  # the published period they were pressed in
    published_on: date
    stats: LevelStats


def late_arrivals(conn: Connection, period: Period, zone: str) -> tuple[LateRow, ...]:
    """Return a line per earlier published period with presses that arrived during `period`."""
    if period.kind == "custom":
        return ()
    start_ms, end_ms = period.bounds_ms(zone)
    rows = []
    for label, shown in sorted(published_periods(conn, period.convention).items()):
        earlier = parse_period(label, shown.convention)
        if shown.kind != period.kind or earlier.end >= period.start:
            continue
        since = max(shown.published_ms, start_ms)
        counts = late_counts(conn, earlier.bounds_ms(zone), since, end_ms)
        if counts:
            day = date.fromisoformat(shown.published_on)
            rows.append(LateRow(earlier, day, stats_from_counts(counts)))
    return tuple(rows)


def late_counts(conn: Connection, pressed: tuple[int, int], since: int, until: int) -> Counter:
    """Count per rating the presses that count, pressed in `pressed`, received in [since, until)."""
    if since >= until:
        return Counter()
    found = conn.execute(
        select(presses.c.device, presses.c.seq, presses.c.rating).where(
            q.counted(*pressed), presses.c.received_ms >= since, presses.c.received_ms < until
        )
    ).all()
    if not found:
        return Counter()
    excluded = {(r.device, r.seq) for r in q.excluded_ratings(conn, *pressed)}
    return Counter(rating for device, seq, rating in found if (device, seq) not in excluded)
