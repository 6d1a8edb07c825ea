"""Count one date range's live presses per level (the `summary` command)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from hailong.server.reporting.metrics import LevelStats, stats_from_counts
from hailong.server.storage.db import presses


def level_stats(conn: Connection, start_ms: int, end_ms: int) -> LevelStats:
    """Count live presses per level in [start_ms, end_ms)."""
    rows = conn.execute(
        select(presses.c.rating, func.count())
        .where(presses.c.at_ms >= start_ms, presses.c.at_ms < end_ms, presses.c.mode == "live")
        .group_by(presses.c.rating)
    ).all()
    return stats_from_counts(dict(rows))
