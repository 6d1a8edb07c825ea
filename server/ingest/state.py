"""Whether ingest is storing presses: the row each instance writes, and how pages judge it.

Ingest writes its row in every commit's transaction (so a commit and its time are one fact) and
when it starts holding presses for lack of disk space. The devices page and /healthz read the
rows through ingest_health; this module touches nothing but SQLAlchemy, so the web may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hailong.server.storage.schema import devices, ingest_state


@dataclass(frozen=True)
class IngestHealth:
    """What the pages say about ingest: its last commit, any hold, the kiosks online."""

    last_commit_ms: int | None
    held_since_ms: int | None  # an instance holds presses for lack of disk space since
    free_bytes: int | None  # the free space the holding instance measured
    online: int  # kiosks whose last word was online
    stale: bool  # kiosks are online but nothing was committed for too long

    @property
    def failing(self) -> bool:
        """Tell whether presses are not being stored now."""
        return self.stale or self.held_since_ms is not None


def record_commit(conn: Connection, instance: str, at_ms: int) -> None:
    """Note a commit of this instance (call inside the batch's transaction); it holds nothing."""
    _upsert(conn, instance, last_commit_ms=at_ms, held_since_ms=None)


def record_held(conn: Connection, instance: str, since_ms: int, free_bytes: int) -> None:
    """Note that this instance holds presses unacked since since_ms, with free_bytes left."""
    _upsert(conn, instance, held_since_ms=since_ms, free_bytes=free_bytes)


def _upsert(conn: Connection, instance: str, **values) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(ingest_state).values(instance=instance[:128], **values)
    conn.execute(insert.on_conflict_do_update(index_elements=["instance"], set_=values))


def ingest_health(conn: Connection, at_ms: int, stale_after_ms: int) -> IngestHealth:
    """Judge ingest at at_ms: stale when kiosks are online and no commit is recent enough."""
    s = ingest_state.c
    last, held = conn.execute(select(func.max(s.last_commit_ms), func.min(s.held_since_ms))).one()
    free = None
    if held is not None:
        free = conn.execute(select(s.free_bytes).where(s.held_since_ms == held)).scalars().first()
    online = conn.execute(
        select(func.count()).select_from(devices).where(devices.c.state == "online")
    ).scalar_one()
    stale = online > 0 and (last is None or at_ms - last > stale_after_ms)
    return IngestHealth(last, held, free, online, stale)
