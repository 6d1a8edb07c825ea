"""Count one date range's ratings per level (the `summary` command), as the report counts them."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from hailong.server.reporting.metrics import LevelStats, stats_from_counts
from hailong.server.reporting.queries import accepted_counts


def level_stats(conn: Connection, start_ms: int, end_ms: int) -> LevelStats:
    """Count the presses that count (live, not excluded) per level in [start_ms, end_ms)."""
    counts = accepted_counts(conn, start_ms, end_ms, "rating")
    return stats_from_counts({rating: n for (rating,), n in counts.items()})
