"""Bounded quarantine and ingest's state row, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from hailong.server.ingest.intake import Message, classify
from hailong.server.ingest.state import ingest_health, record_commit, record_held
from hailong.server.storage.batch import store_batch
from hailong.server.storage.db import devices, quarantine
from hailong.server.storage.quarantine import HOUR_MS, QuarantineLimits
from hailong.server.storage.schema import quarantine_hours
from tests.server.batches import NOW, T

LIMITS = QuarantineLimits(keep_bytes=16, per_hour=3)


def junk(device: str, payload: bytes, at_ms: int = NOW):
    """Return a rejected press as ingest would hand it to the store."""
    return classify(Message(T.press(device), payload, None, at_ms), T, {})


def store(engine, items, now: int = NOW):
    with engine.begin() as conn:
        return store_batch(conn, items, now, LIMITS)


def hours(engine) -> dict:
    h = quarantine_hours.c
    with engine.connect() as conn:
        rows = conn.execute(select(h.device, h.hour_ms, h.kept, h.dropped, h.dropped_bytes))
        return {(r.device, r.hour_ms): (r.kept, r.dropped, r.dropped_bytes) for r in rows}


def test_a_rejected_message_keeps_its_first_bytes_its_length_and_its_hash(engine):
    payload = b"x" * 100_000
    assert store(engine, [junk("k1", payload)]).quarantined == 1
    with engine.connect() as conn:
        row = conn.execute(select(quarantine)).one()
    assert row.payload == payload[:16] and row.length == 100_000
    assert row.sha256 == hashlib.sha256(payload).hexdigest()


def test_beyond_the_hourly_allowance_rejects_are_counted_not_stored(engine):
    hour = NOW - NOW % HOUR_MS
    first = store(engine, [junk("k1", b"a" * 50), junk("k1", b"b"), junk("k2", b"c")])
    second = store(engine, [junk("k1", b"d" * 7) for _ in range(4)])
    assert (first.dropped, second.dropped) == (0, 3), "k1's allowance of 3 spans batches"
    later = store(engine, [junk("k1", b"e", at_ms=hour + HOUR_MS)])
    assert later.dropped == 0, "a new hour, a new allowance"
    assert hours(engine) == {
        ("k1", hour): (3, 3, 21),
        ("k2", hour): (1, 0, 0),
        ("k1", hour + HOUR_MS): (1, 0, 0),
    }
    with engine.connect() as conn:
        assert len(conn.execute(select(quarantine.c.id)).all()) == 5


def test_ingest_health_judges_the_last_commit_while_kiosks_are_online(engine):
    with engine.begin() as conn:
        conn.execute(devices.insert().values(device="k1", acked_upto=0))
    with engine.connect() as conn:
        assert not ingest_health(conn, NOW, 60_000).stale, "no kiosk online: nothing expected"
    with engine.begin() as conn:
        conn.execute(devices.update().values(state="online"))
        record_commit(conn, "a", NOW - 90_000)
        record_commit(conn, "b", NOW - 30_000)  # a second instance, more recent
    with engine.connect() as conn:
        found = ingest_health(conn, NOW, 60_000)
        assert (found.last_commit_ms, found.stale, found.failing) == (NOW - 30_000, False, False)
        assert ingest_health(conn, NOW + 31_000, 60_000).stale
    with engine.begin() as conn:
        record_held(conn, "a", NOW, 5_000)
    with engine.connect() as conn:
        found = ingest_health(conn, NOW, 60_000)
    assert (found.held_since_ms, found.free_bytes, found.failing) == (NOW, 5_000, True)
    with engine.begin() as conn:
        record_commit(conn, "a", NOW + 1)  # storing again: the hold is over
    with engine.connect() as conn:
        assert ingest_health(conn, NOW + 1, 60_000).held_since_ms is None
