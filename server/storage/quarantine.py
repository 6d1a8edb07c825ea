"""Quarantine rejected messages within bounds, so that no kiosk can fill the collector's disk.

Each stored row keeps the first `keep_bytes` of the payload, the whole payload's length and its
SHA-256: enough to see what was sent and to match it against a copy, never megabytes. Each
device may fill `per_hour` rows in a UTC hour; beyond that its rejects are only counted (with
their bytes) in quarantine_hours, which also counts the rows kept.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hailong.server.ingest.intake import Rejected
from hailong.server.storage.schema import quarantine, quarantine_hours

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class QuarantineLimits:
    """How much of each rejected message is kept, and how many rows a device fills per hour."""

    keep_bytes: int = 1024
    per_hour: int = 200


DEFAULT_LIMITS = QuarantineLimits()


def quarantine_rejects(conn: Connection, rejects: list[Rejected], limits: QuarantineLimits) -> int:
    """Store what the hourly allowance takes, count every reject; return how many were dropped."""
    if not rejects:
        return 0
    room = _room_left(conn, rejects, limits.per_hour)
    kept, dropped = [], []
    for r in rejects:
        key = _hour_key(r)
        if room.get(key, 0) > 0:
            room[key] -= 1
            kept.append(r)
        else:
            dropped.append(r)
    if kept:
        conn.execute(quarantine.insert(), [_row(r, limits.keep_bytes) for r in kept])
    _count(conn, kept, dropped)
    return len(dropped)


def _hour_key(r: Rejected) -> tuple[str, int]:
    return r.device or "", r.message.received_ms - r.message.received_ms % HOUR_MS


def _room_left(conn: Connection, rejects: list[Rejected], per_hour: int) -> dict:
    """Return how many more rows each (device, hour) of the batch may store."""
    keys = {_hour_key(r) for r in rejects}
    room = dict.fromkeys(keys, per_hour)
    h = quarantine_hours.c
    # One query for the batch: a flood of bad input from many kiosks must not cost a round
    # trip per kiosk.
    wanted = or_(*(and_(h.device == device, h.hour_ms == hour) for device, hour in sorted(keys)))
    for device, hour, used in conn.execute(select(h.device, h.hour_ms, h.kept).where(wanted)):
        room[(device, hour)] -= used
    return room


def _row(r: Rejected, keep_bytes: int) -> dict:
    m = r.message
    return {
        "received_ms": m.received_ms, "topic": m.topic[:1024], "device": r.device, "seq": r.seq,
        "kind": r.kind, "reason": r.reason[:1024], "payload": m.payload[:keep_bytes],
        "sig": None if m.sig is None else m.sig[:256], "length": len(m.payload),
        "sha256": hashlib.sha256(m.payload).hexdigest(),
    }  # fmt: skip


def _count(conn: Connection, kept: list[Rejected], dropped: list[Rejected]) -> None:
    """Add the batch's rejects to each (device, hour)'s counts, whichever instance got there first."""
    n_kept = Counter(_hour_key(r) for r in kept)
    n_dropped = Counter(_hour_key(r) for r in dropped)
    n_bytes = Counter()
    for r in dropped:
        n_bytes[_hour_key(r)] += len(r.message.payload)
    rows = [
        {"device": d, "hour_ms": h, "kept": n_kept[(d, h)], "dropped": n_dropped[(d, h)],
         "dropped_bytes": n_bytes[(d, h)]}
        for d, h in sorted(set(n_kept) | set(n_dropped))
    ]  # fmt: skip
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(quarantine_hours)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["device", "hour_ms"],
            set_={
                name: quarantine_hours.c[name] + insert.excluded[name]
                for name in ("kept", "dropped", "dropped_bytes")
            },
        ),
        rows,
    )
