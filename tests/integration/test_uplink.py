"""The kiosk's uplink and the collector's device tracking, through a real broker."""

from __future__ import annotations

import json
import subprocess

from sqlalchemy import select, update

from hailong.protocol import Config, Status, Topics
from hailong.server.broker.private import Mosquitto
from hailong.server.storage.db import devices, open_database, presses
from tests.support import (
    collector_toml,
    kiosk_toml,
    mqtt_client,
    start_ingest,
    wait_collector_online,
    wait_for,
)

T = Topics()


def device_row(engine, name):
    with engine.connect() as conn:
        return conn.execute(select(devices).where(devices.c.device == name)).first()


def test_config_is_applied_live_persisted_and_carried_by_presses(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    kiosk = procs.start("k1", "hailong.device.cli", "--config", kiosk_toml(tmp_path, broker, "k1"),
                        "run", "--headless")  # fmt: skip
    wait_for(lambda: "connected to the broker" in procs.log("k1"), 20, "k1 to connect")
    admin = mqtt_client(broker, client_id="admin")
    config = Config(counter="Q2", official="cb-07", official_name="Trần Thị Bích",
                    field="ho-tich", field_name="Hộ tịch")  # fmt: skip
    admin.publish(T.config("k1"), config.to_bytes(), 1, True).wait_for_publish(5)
    saved = tmp_path / "k1" / "collector-config.json"
    wait_for(lambda: saved.exists() and "cb-07" in saved.read_text(), 20, "config persisted")
    assert json.loads(saved.read_text())["official_name"] == "Trần Thị Bích"
    assert procs.stop(kiosk) == 0

    # After a restart, the saved config applies before any broker contact: presses carry it.
    broker.kill()
    restarted = procs.start("k1b", "hailong.device.cli", "--config", tmp_path / "k1.toml", "run",
                            "--headless", "--simulate", "50", "--count", "3")  # fmt: skip
    wait_for(lambda: "last seq 0" in procs.log("k1b"), 20, "k1 to start")
    broker.restart()
    wait_collector_online(broker)
    wait_for(lambda: _count(engine) == 3, 30, "three presses")
    with engine.connect() as conn:
        rows = conn.execute(select(presses.c.counter, presses.c.official, presses.c.field)).all()
    assert set(rows) == {("Q2", "cb-07", "ho-tich")}
    admin.loop_stop()
    procs.stop(restarted)


def _count(engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(presses.c.id)).all())


def test_status_health_and_stale_wills(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    kiosk = procs.start("k1", "hailong.device.cli", "--config",
                        kiosk_toml(tmp_path, broker, "k1", health_interval_s=1), "run",
                        "--headless", "--simulate", "20", "--count", "5")  # fmt: skip
    wait_for(lambda: (r := device_row(engine, "k1")) and r.state == "online", 20, "online")
    session = device_row(engine, "k1").state_session
    wait_for(lambda: _health(engine).get("last_seq") == 5, 30, "a health report with last_seq 5")
    health = _health(engine)
    assert health["session"] == session and health["backlog"] == 0
    assert health["version"] and health["uptime"] >= 0

    # A Will from an older session arriving late must not mark the kiosk offline.
    admin = mqtt_client(broker, client_id="admin")
    admin.publish(T.status("k1"), Status("offline", session - 1).to_bytes(), 1).wait_for_publish(5)
    admin.publish(T.health("k1"), b'{"v":1,"session":0}', 0)  # a marker that the will was read
    wait_for(lambda: _health(engine).get("session") == 0, 20, "marker")
    assert device_row(engine, "k1").state == "online"

    # A killed kiosk's Will (its own session) does.
    kiosk.kill()
    kiosk.wait(10)
    wait_for(lambda: device_row(engine, "k1").state == "offline", 30, "the Will")
    assert device_row(engine, "k1").state_session == session
    admin.loop_stop()


def _health(engine) -> dict:
    row = device_row(engine, "k1")
    return json.loads(row.health) if row is not None and row.health else {}


def test_stored_configs_are_republished_on_connect(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    body = Config(official="cb-09", official_name="Lê Văn Cường").to_bytes().decode()
    with engine.begin() as conn:
        conn.execute(devices.insert().values(device="k5", acked_upto=0, config=body))
    received = []
    watcher = mqtt_client(broker, client_id="watch")
    watcher.on_message = lambda _c, _u, msg: received.append(bytes(msg.payload))
    watcher.subscribe(T.config("k5"), 1)
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    wait_for(lambda: received, 20, "k5's retained config")
    assert json.loads(received[-1])["official_name"] == "Lê Văn Cường"
    with engine.begin() as conn:
        conn.execute(update(devices).values(config=None))
    watcher.loop_stop()


def make_ca(folder):
    """Make a throwaway CA and a server certificate for 127.0.0.1 with openssl."""

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=hailong test CA",
        "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
        "-out", "server.csr")  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.crt")  # fmt: skip
    return folder / "ca.crt", folder / "server.crt", folder / "server.key"


def test_kiosk_and_collector_over_tls(tmp_path, procs):
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    ca, cert, key = make_ca(tls_dir)
    users = {"collector": "c-secret", "k1": "k1-secret"}
    broker = Mosquitto(tmp_path / "broker", users=users, tls=(ca, cert, key)).start()
    try:
        collector = collector_toml(tmp_path, broker)
        collector.write_text(
            collector.read_text().replace("[ingest]", f'ca_file = "{ca}"\n[ingest]')
        )
        engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
        procs.start("ingest", "hailong.server.cli", "--config", collector, "ingest")
        kiosk = kiosk_toml(tmp_path, broker, "k1", ca_file=f'"{ca}"')
        procs.start("k1", "hailong.device.cli", "--config", kiosk, "run", "--headless", "--simulate", "50",
                    "--count", "10")  # fmt: skip
        wait_for(lambda: _count(engine) == 10, 30, "ten presses over TLS")
        wait_for(lambda: device_row(engine, "k1").acked_upto == 10, 10, "acked")
    finally:
        broker.kill()
