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
    from server.broker import Mosquitto

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
