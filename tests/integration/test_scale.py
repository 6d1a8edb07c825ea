"""Three ingest instances share the presses on PostgreSQL; one is SIGKILLed mid-stream."""

from __future__ import annotations

from tests.integration.fleet import Fleet
from tests.support import fresh_database, wait_for

PER_KIOSK = 400  # three kiosks: 1,200 presses
INSTANCES = ("a", "b", "c")


def test_three_instances_one_killed_mid_stream_store_everything_once(
    request, tmp_path, broker, procs
):
    url = fresh_database(request, "postgresql", tmp_path)
    options = {"batch_size": 50, "batch_ms": 20, "share_group": "hailong"}
    # A short session: the broker stops handing the dead instance its turn of the presses.
    fleet = Fleet(tmp_path, broker, procs, ingest_options=options, database_url=url,
                  mqtt_options={"session_expiry_s": 2})  # fmt: skip
    fleet.start_instances(*INSTANCES)
    for name in fleet.names:
        fleet.start_kiosk(name, 200, PER_KIOSK)
    wait_for(lambda: fleet.stored() >= 300, 30, "some presses stored")
    fleet.kill_instance("b")
    assert fleet.stored() < 3 * PER_KIOSK, "the kill must land mid-stream"
    fleet.wait_generated({n: PER_KIOSK for n in fleet.names})
    fleet.wait_delivered()
    assert fleet.assert_exact() == {n: PER_KIOSK for n in fleet.names}
    # The broker's retained acks end at the database's watermark, whoever published last.
    wait_for(lambda: fleet.retained_acks() == {n: PER_KIOSK for n in fleet.names}, 10,
             "the retained acks to reach the last seq")  # fmt: skip
    for name in ("a", "c"):
        assert procs.stop(fleet.instances[name]) == 0
    logs = [procs.log(f"ingest-{n}") for n in ("a", "c")]
    assert all("stored=" in log and "Traceback" not in log for log in logs)
