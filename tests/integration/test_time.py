"""Time: unsynced presses are re-dated from the boot's anchor; order never depends on wall time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from hailong.protocol import Anchor, Health, Topics
from hailong.server.storage.db import devices, open_database, presses
from tests.support import collector_toml, mqtt_client, press_bytes, start_ingest, wait_for

T = Topics()
DEVICES = ("k1", "k2", "k3")
PER_DEVICE = 400
WRONG = "2000-01-01T00:00:05.000+07:00"  # a Pi without a real-time clock boots into the past


def ms(ts: str) -> int:
    return round(datetime.fromisoformat(ts).timestamp() * 1000)


def rows(engine, device):
    with engine.connect() as conn:
        return conn.execute(
            select(presses.c.seq, presses.c.at_ms, presses.c.redated, presses.c.ts)
            .where(presses.c.device == device)
            .order_by(presses.c.seq)
        ).all()


def stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(presses)).scalar_one()


def test_unsynced_presses_are_redated_from_their_boots_anchor(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    kiosk = mqtt_client(broker, client_id="kiosks")
    mono = lambda seq: 10.0 + seq * 1.25  # noqa: E731 - seconds since boot at each press
    for seq in range(1, 301):  # 900 unsynced presses before any anchor
        for d in DEVICES:
            kiosk.publish(T.press(d), press_bytes(d, seq, ts=WRONG, synced=False,
                                                  mono=mono(seq), boot=f"boot-{d}"), 1)  # fmt: skip
    wait_for(lambda: stored(engine) == 900, 60, "900 unsynced presses")
    assert all(r.at_ms == ms(WRONG) and not r.redated for r in rows(engine, "k1"))

    anchors = {d: Anchor(f"boot-{d}", 1000.0, f"2024-03-0{i}T08:00:00.000+07:00")
               for i, d in enumerate(DEVICES, start=4)}  # fmt: skip
    for d, anchor in anchors.items():
        kiosk.publish(T.health(d), Health(session=1, synced=True, anchor=anchor).to_bytes(), 1)
    for seq in range(301, PER_DEVICE + 1):  # unsynced presses of the same boots after the anchor
        for d in DEVICES:
            kiosk.publish(T.press(d), press_bytes(d, seq, ts=WRONG, synced=False,
                                                  mono=mono(seq), boot=f"boot-{d}"), 1)  # fmt: skip
    kiosk.publish(T.press("k1"), press_bytes("k1", PER_DEVICE + 1, ts=WRONG, synced=False,
                                             mono=5.0, boot="boot-other"), 1)  # fmt: skip
    wait_for(lambda: stored(engine) == 3 * PER_DEVICE + 1, 60, "all presses")
    for d, anchor in anchors.items():
        expect = {s: ms(anchor.ts) - round((1000.0 - mono(s)) * 1000) for s in range(1, 401)}
        wait_for(lambda d=d: all(r.redated for r in rows(engine, d)[:PER_DEVICE]), 20, "re-dating")
        got = {r.seq: r.at_ms for r in rows(engine, d)[:PER_DEVICE]}
        assert got == expect, f"{d} re-dated from its own anchor"
        assert all(r.ts == WRONG for r in rows(engine, d)), "the device's own time is kept"
    other = rows(engine, "k1")[-1]
    assert other.seq == PER_DEVICE + 1 and other.at_ms == ms(WRONG) and not other.redated
    kiosk.loop_stop()


def test_backward_clock_jumps_change_no_order_nor_ack(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    kiosk = mqtt_client(broker, client_id="kiosks")
    base = ms("2024-03-05T09:00:00.000+07:00")

    def stamp(seq: int) -> str:
        # Every 100 presses the clock jumps back an hour (an NTP correction, say).
        at = base + seq * 1000 - (seq // 100) * 3_600_000
        return datetime.fromtimestamp(at / 1000).astimezone().isoformat(timespec="milliseconds")

    for seq in range(1, PER_DEVICE + 1):
        for d in DEVICES:
            kiosk.publish(T.press(d), press_bytes(d, seq, ts=stamp(seq)), 1)
    wait_for(lambda: stored(engine) == 3 * PER_DEVICE, 60, "all presses")
    with engine.connect() as conn:
        wait_for(lambda: set(conn.execute(select(devices.c.acked_upto)).scalars()) == {PER_DEVICE},
                 20, "every ack at 400")  # fmt: skip
    for d in DEVICES:
        got = rows(engine, d)
        assert [r.seq for r in got] == list(range(1, PER_DEVICE + 1))
        assert [r.at_ms for r in got] == [ms(stamp(s)) for s in range(1, PER_DEVICE + 1)]
    kiosk.loop_stop()
