"""Read the numbers of a date range out of the database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .db import presses, quarantine
from .metrics import LevelStats, stats_from_counts


def day_bounds_ms(first: date, last: date, tz: tzinfo) -> tuple[int, int]:
    """Return [start, end) in UTC epoch ms for local days first..last inclusive."""
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tz)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def level_stats(conn: Connection, start_ms: int, end_ms: int) -> LevelStats:
    """Count live presses per level in [start_ms, end_ms)."""
    rows = conn.execute(
        select(presses.c.rating, func.count())
        .where(presses.c.at_ms >= start_ms, presses.c.at_ms < end_ms, presses.c.mode == "live")
        .group_by(presses.c.rating)
    ).all()
    return stats_from_counts(dict(rows))


def raw_counts(conn: Connection, start_ms: int, end_ms: int) -> dict[str, int]:
    """Count every stored press by mode, and the quarantined messages, in the range."""
    in_range = (presses.c.at_ms >= start_ms) & (presses.c.at_ms < end_ms)
    modes = dict(conn.execute(
        select(presses.c.mode, func.count()).where(in_range).group_by(presses.c.mode)
    ).all())  # fmt: skip
    held = conn.execute(
        select(func.count()).where(
            quarantine.c.received_ms >= start_ms, quarantine.c.received_ms < end_ms
        )
    ).scalar_one()
    return {"live": modes.get("live", 0), "test": modes.get("test", 0), "quarantined": held}
