"""Storing batches: exactly once, conflicts, and an ack computed from the database on both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, update

from hailong.protocol import Status
from hailong.server.ingest.intake import Message, RetainedAck, classify
from hailong.server.ingest.watermark import advance_ack
from hailong.server.storage.db import devices, presses, quarantine
from tests.server.batches import NOW, T, press, store
from tests.server.report_world import press_row
from tests.support import press_bytes


def rows(engine, table=presses, *columns):
    with engine.connect() as conn:
        return conn.execute(select(*(columns or [func.count()])).select_from(table)).all()


def test_a_batch_is_stored_and_acked_up_to_its_first_gap(engine):
    out = store(engine, [press("k1", s) for s in (1, 2, 3, 5)] + [press("k2", 1)])
    assert (out.stored, out.duplicates, out.quarantined) == (5, 0, 0)
    assert out.acks == {"k1": 3, "k2": 1}
    assert store(engine, [press("k1", 4)]).acks == {"k1": 5}


def test_repeats_are_ignored_and_a_different_copy_is_quarantined(engine):
    store(engine, [press("k1", 1), press("k1", 2)])
    out = store(engine, [press("k1", 1), press("k1", 2, rating=1), press("k1", 3), press("k1", 3)])
    assert (out.stored, out.duplicates, out.quarantined) == (1, 2, 1)
    assert rows(engine, quarantine, quarantine.c.kind, quarantine.c.seq) == [("conflict", 2)]
    assert rows(engine) == [(3,)] and out.acks == {"k1": 3}


def test_the_watermark_never_goes_down(engine):
    store(engine, [press("k1", 1)])
    with engine.begin() as conn:
        conn.execute(update(devices).values(acked_upto=7))  # as if presses 2..7 were stored
        assert advance_ack(conn, "k1") == 7
    assert rows(engine, devices, devices.c.acked_upto) == [(7,)]


def test_a_retained_ack_above_ours_asks_for_a_resend(engine):
    store(engine, [press("k1", s) for s in (1, 2)])
    out = store(engine, [RetainedAck("k1", 9), RetainedAck("k2", 0)])
    assert out.resend == {"k1": (3, 9)} and out.acks == {"k1": 2}


def test_a_retained_ack_behind_ours_is_published_again(engine):
    # An instance killed between its commit and its publish leaves the broker's copy behind.
    store(engine, [press("k1", s) for s in (1, 2)])
    out = store(engine, [RetainedAck("k1", 1)])
    assert out.resend == {} and out.acks == {"k1": 2}


def status(device: str, state: str, session: int):
    message = Message(T.status(device), Status(state, session).to_bytes(), None, NOW, True)
    return classify(message, T, {})


@pytest.mark.parametrize("order", ["birth-first", "will-first"])
def test_a_sessions_will_wins_over_its_birth_in_either_order(engine, order):
    store(engine, [status("k1", "online", 1)])
    birth, will = status("k1", "online", 2), status("k1", "offline", 2)
    for item in (birth, will) if order == "birth-first" else (will, birth):
        store(engine, [item])  # two ingest instances may apply them in either order
    assert rows(engine, devices, devices.c.state, devices.c.state_session) == [("offline", 2)]
    store(engine, [status("k1", "offline", 1), status("k1", "online", 3)])
    assert rows(engine, devices, devices.c.state, devices.c.state_session) == [("online", 3)]


def test_two_writers_of_one_device_end_with_the_full_ack(engine):
    # Two ingest instances take turns at one device's presses, as a shared subscription does.
    n, errors = 300, []

    def writer(first: int):
        try:
            for seq in range(first, n + 1, 2):
                store(engine, [press("k1", seq), press("k2", seq)])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(first,)) for first in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(rows(engine, devices, devices.c.device, devices.c.acked_upto)) == [
        ("k1", n),
        ("k2", n),
    ]
    assert rows(engine) == [(2 * n,)]


def test_a_copy_committed_by_another_writer_meanwhile_is_a_conflict(engine):
    # A writer that does not take the device lock inserts seq 1 and holds its transaction open
    # while a batch with a different seq 1 runs: that batch must quarantine its copy.
    other = engine.connect()
    other.begin()
    theirs = press_row(
        "k1", 1, 2, datetime(2024, 3, 5, tzinfo=UTC), payload=press_bytes("k1", 1, rating=2)
    )
    other.execute(insert(presses).values(theirs))
    result = {}
    batch = threading.Thread(target=lambda: result.update(out=store(engine, [press("k1", 1)])))
    batch.start()
    batch.join(1.0)  # it waits for the other writer (its insert or its lock)
    other.commit()
    other.close()
    batch.join(30)
    out = result["out"]
    assert (out.stored, out.duplicates, out.quarantined) == (0, 0, 1)
    assert rows(engine, quarantine, quarantine.c.kind) == [("conflict",)]
