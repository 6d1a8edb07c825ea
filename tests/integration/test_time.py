"""Time: unsynced presses are re-dated from the boot's anchor; order never depends on wall time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from protocol import Anchor, Health, Topics
from server.db import devices, open_database, presses
from tests.support import collector_toml, mqtt_client, press_bytes, start_ingest, wait_for

T = Topics()


def rows(engine, device):
    with engine.connect() as conn:
        return conn.execute(
            select(presses.c.seq, presses.c.at_ms, presses.c.redated, presses.c.ts)
            .where(presses.c.device == device)
            .order_by(presses.c.seq)
        ).all()


def ms(ts: str) -> int:
    return round(datetime.fromisoformat(ts).timestamp() * 1000)


def test_unsynced_presses_redated_from_anchor_and_later_ones_too(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    kiosk = mqtt_client(broker, client_id="k1")
    wrong = "2000-01-01T00:00:05.000+07:00"  # a Pi without RTC boots into the past
    for seq, mono in ((1, 10.0), (2, 20.5), (3, 31.25)):
        kiosk.publish(T.press("k1"), press_bytes("k1", seq, ts=wrong, synced=False, mono=mono), 1)
    wait_for(lambda: len(rows(engine, "k1")) == 3, 20, "three unsynced presses")
    assert all(r.at_ms == ms(wrong) and not r.redated for r in rows(engine, "k1"))

    anchor = Anchor("boot-a", 100.0, "2024-03-05T08:00:00.000+07:00")
    kiosk.publish(T.health("k1"), Health(session=1, synced=True, anchor=anchor).to_bytes(), 1)
    base = ms(anchor.ts)
    expected = {1: base - 90_000, 2: base - 79_500, 3: base - 68_750}
    wait_for(lambda: all(r.redated for r in rows(engine, "k1")), 20, "re-dating")
    assert {r.seq: r.at_ms for r in rows(engine, "k1")} == expected
    assert all(r.ts == wrong for r in rows(engine, "k1")), "the device's own time is kept"

    # An unsynced press of the same boot arriving after the anchor is re-dated on arrival;
    # a press of another boot is not touched.
    kiosk.publish(T.press("k1"), press_bytes("k1", 4, ts=wrong, synced=False, mono=130.0), 1)
    kiosk.publish(T.press("k1"), press_bytes("k1", 5, ts=wrong, synced=False, mono=5.0,
                                             boot="boot-b"), 1)  # fmt: skip
    wait_for(lambda: len(rows(engine, "k1")) == 5, 20, "two more presses")
    by_seq = {r.seq: r for r in rows(engine, "k1")}
    assert by_seq[4].at_ms == base + 30_000 and by_seq[4].redated
    assert by_seq[5].at_ms == ms(wrong) and not by_seq[5].redated
    kiosk.loop_stop()


def test_backward_clock_jump_changes_no_order_nor_ack(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    kiosk = mqtt_client(broker, client_id="k2")
    stamps = ["2024-03-05T09:00:00.000+07:00", "2024-03-05T09:00:01.000+07:00",
              "2024-03-05T08:00:00.000+07:00", "2024-03-05T08:00:00.500+07:00"]  # fmt: skip
    for seq, ts in enumerate(stamps, start=1):
        kiosk.publish(T.press("k2"), press_bytes("k2", seq, ts=ts), 1)
    wait_for(lambda: len(rows(engine, "k2")) == 4, 20, "four presses")
    with engine.connect() as conn:
        wait_for(lambda: conn.execute(select(devices.c.acked_upto)).scalar() == 4, 10, "ack 4")
    assert [r.seq for r in rows(engine, "k2")] == [1, 2, 3, 4]
    assert [r.at_ms for r in rows(engine, "k2")] == [ms(t) for t in stamps]
    kiosk.loop_stop()
