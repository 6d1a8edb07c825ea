"""Nothing lost, nothing counted twice: real processes killed by PID mid-stream."""

from __future__ import annotations

import pytest

from tests.integration.fleet import Fleet
from tests.support import wait_for

PER_KIOSK = 400  # three kiosks: 1,200 presses per scenario


def start_fleet(fleet: Fleet, rate: float = 300) -> dict[str, int]:
    fleet.start_collector()
    counts = {}
    for name in fleet.names:
        fleet.start_kiosk(name, rate, PER_KIOSK)
        counts[name] = PER_KIOSK
    return counts


def test_collector_killed_mid_batch_and_restarted(tmp_path, broker, procs):
    fleet = Fleet(tmp_path, broker, procs, ingest_options={"batch_size": 50, "batch_ms": 20})
    counts = start_fleet(fleet)
    wait_for(lambda: fleet.stored() >= 300, 30, "some presses stored")
    fleet.kill_collector()
    at_kill = fleet.stored()
    assert at_kill < sum(counts.values()), "the kill must land mid-stream"
    fleet.wait_generated(counts)
    fleet.start_collector()
    fleet.wait_delivered()
    assert sum(fleet.assert_exact().values()) == 3 * PER_KIOSK


def test_kiosk_killed_mid_stream_and_restarted(tmp_path, broker, procs):
    fleet = Fleet(tmp_path, broker, procs)
    start_fleet(fleet, rate=200)
    wait_for(lambda: fleet.last_seq("k2") >= 100, 30, "k2 to press")
    fleet.kill_kiosk("k2")
    made = fleet.last_seq("k2")
    assert made < PER_KIOSK
    fleet.start_kiosk("k2", 300, PER_KIOSK - made)
    fleet.wait_generated({"k1": PER_KIOSK, "k2": PER_KIOSK, "k3": PER_KIOSK})
    fleet.wait_delivered()
    fleet.assert_exact()


@pytest.mark.parametrize("persistence", [True, False], ids=["persistent", "volatile"])
def test_broker_killed_mid_stream_and_restarted(tmp_path, procs, persistence):
    from hailong.server.broker.private import Mosquitto

    broker = Mosquitto(tmp_path / "broker", users=None, persistence=persistence).start()
    try:
        fleet = Fleet(tmp_path, broker, procs)
        start_fleet(fleet, rate=200)
        wait_for(lambda: fleet.stored() >= 200, 30, "some presses stored")
        broker.kill()
        fleet.wait_generated({n: PER_KIOSK for n in fleet.names})
        broker.restart()
        fleet.wait_delivered()
        fleet.assert_exact()
    finally:
        broker.kill()


def test_ten_thousand_journaled_while_broker_down_then_drained(tmp_path, procs):
    from hailong.server.broker.private import Mosquitto

    broker = Mosquitto(tmp_path / "broker", users=None, persistence=True).start()
    try:
        fleet = Fleet(tmp_path, broker, procs, ingest_options={"batch_size": 1000})
        fleet.start_collector()
        broker.kill()
        counts = {"k1": 10_000, "k2": 500, "k3": 500}
        for name, count in counts.items():
            fleet.start_kiosk(name, 3000 if count > 1000 else 200, count)
        fleet.wait_generated(counts, timeout=150)
        assert fleet.stored() == 0 and fleet.acked("k1") == 0
        broker.restart()
        fleet.wait_delivered(timeout=120)
        assert fleet.assert_exact() == counts
    finally:
        broker.kill()


def duplicate_every_press(broker, prefix="hailong/v1"):
    """Subscribe to every press and publish it once more: every press arrives twice."""
    import paho.mqtt.client as paho
    from paho.mqtt.subscribeoptions import SubscribeOptions

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="doubler",
                         protocol=paho.MQTTv5)  # fmt: skip
    copies = []

    def on_message(c, _u, msg):
        copies.append(msg.topic)
        c.publish(msg.topic, msg.payload, 1)

    client.on_message = on_message
    # noLocal: the doubler must not receive (and double again) its own copies.
    options = SubscribeOptions(qos=1, noLocal=True)
    client.on_connect = lambda c, *_: c.subscribe(f"{prefix}/+/press", options=options)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client, copies


def test_every_press_delivered_twice_and_a_replay_are_stored_once(tmp_path, broker, procs):
    import paho.mqtt.client as paho

    from hailong.protocol import Config, Topics

    doubler, copies = duplicate_every_press(broker)
    try:
        fleet = Fleet(tmp_path, broker, procs)
        wait_for(lambda: doubler.is_connected(), 10, "the doubler")
        start_fleet(fleet)
        fleet.wait_generated({n: PER_KIOSK for n in fleet.names})
        fleet.wait_delivered()
        fleet.assert_exact()
        assert len(copies) >= 3 * PER_KIOSK
    finally:
        doubler.loop_stop()
        doubler.disconnect()

    # The collector asks k1 to send its whole archive again: nothing changes.
    before = fleet.stored()
    admin = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    admin.connect(broker.host, broker.port)
    admin.loop_start()
    admin.publish(
        Topics().config("k1"), Config(resend_from=1).to_bytes(), 1, True
    ).wait_for_publish(5)
    admin.loop_stop()
    wait_for(lambda: "replayed 400 archived presses" in procs.log("k1"), 20, "k1 to replay")
    fleet.stop_collector()
    assert fleet.stored() == before
    assert "duplicates=" in procs.log("ingest")
    duplicates = int(procs.log("ingest").split("duplicates=")[-1].split(",")[0])
    assert duplicates >= 3 * PER_KIOSK + 400, "every copy and every replayed press was a duplicate"
    fleet.assert_exact()


def test_database_restored_from_older_copy_is_recovered_by_resend(tmp_path, broker, procs):
    import sqlite3

    fleet = Fleet(tmp_path, broker, procs)
    start_fleet(fleet, rate=150)
    wait_for(lambda: fleet.stored() >= 300, 30, "some presses stored")
    backup = tmp_path / "backup.db"
    with sqlite3.connect(tmp_path / "collector.db") as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    fleet.wait_generated({n: PER_KIOSK for n in fleet.names})
    fleet.wait_delivered()
    fleet.stop_collector()

    fleet.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"collector.db{suffix}").unlink(missing_ok=True)
    backup.rename(tmp_path / "collector.db")
    assert fleet.stored() < 3 * PER_KIOSK, "the restored copy lacks presses"

    fleet.start_collector()
    wait_for(lambda: fleet.stored() == 3 * PER_KIOSK, 60, "the kiosks to resend what was lost")
    fleet.assert_exact()
    wait_for(lambda: "recovered up to" in procs.log("ingest"), 20, "resend_from to be cleared")
