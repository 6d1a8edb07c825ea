"""Helpers the tests share: polling with a deadline, and config files for real processes."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest

from hailong.server.broker.private import COLLECTOR_USER, Mosquitto

BACKENDS = ("sqlite", "postgresql")


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll predicate until it returns a truthy value or timeout passes (then fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def fresh_database(request, backend: str, folder: Path) -> str:
    """Return the URL of an empty database of the backend, dropped when the request ends."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'collector.db'}"
    cluster = request.getfixturevalue("postgres")  # the session's cluster, see conftest.py
    name = cluster.create_database()
    request.addfinalizer(lambda: cluster.drop_database(name))
    return cluster.url(name)


def write_password(folder: Path, user: str, password: str) -> Path:
    """Write a password file readable by its owner only."""
    path = folder / f"{user}.password"
    path.write_text(password)
    path.chmod(0o600)
    return path


def collector_toml(folder: Path, broker: Mosquitto, database: str | None = None,
                   mqtt: dict | None = None, **ingest) -> Path:  # fmt: skip
    """Write a collector config for this broker and a database (a SQLite file in folder)."""
    database = database or f"sqlite:///{folder / 'collector.db'}"
    lines = [f'database = "{database}"', "[mqtt]", f"port = {broker.port}"]
    lines += [f"{k} = {v}" for k, v in (mqtt or {}).items()]
    if broker.users is not None:
        pw = write_password(folder, COLLECTOR_USER, broker.users[COLLECTOR_USER])
        lines.append(f'password_file = "{pw}"')
    lines.append(f'client_id = "collector-{secrets.token_hex(3)}"')
    lines.append("[ingest]")
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in ingest.items()]
    path = folder / "collector.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def kiosk_toml(folder: Path, broker: Mosquitto, device: str, top: dict | None = None,
               kiosk: dict | None = None, **mqtt) -> Path:  # fmt: skip
    """Write a kiosk config for this broker with a journal under folder/device (and [kiosk] keys)."""
    lines = [f'device = "{device}"', f'state_dir = "{folder / device}"']
    lines += [f'{k} = "{v}"' for k, v in (top or {}).items()]
    lines += ["[mqtt]", f"port = {broker.port}"]
    if broker.users is not None:
        pw = write_password(folder, device, broker.users[device])
        lines.append(f'password_file = "{pw}"')
    lines += [f"{k} = {v}" for k, v in mqtt.items()]
    lines += ["[kiosk]", "cooldown_s = 0.0"]
    lines += [f'{k} = "{v}"' for k, v in (kiosk or {}).items()]
    lines += ["[screen]", "enabled = false"]
    path = folder / f"{device}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def journal_acked(state_dir: Path) -> int:
    """Peek at a running kiosk's delivery watermark (the journal's ack file) without its lock."""
    path = state_dir / "journal" / "ack.json"
    try:
        return json.loads(path.read_text())["upto"]
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def mqtt_client(broker: Mosquitto, user: str | None = None, client_id: str = ""):
    """Return a connected MQTT 5 paho client (as user, with its password) with its loop running."""
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=paho.MQTTv5)  # fmt: skip
    if user is not None:
        client.username_pw_set(user, broker.users[user])
    client.connect(broker.host, broker.port)
    client.loop_start()
    wait_for(client.is_connected, 10, f"{user or 'anonymous'} to connect")
    return client


def press_bytes(device: str, seq: int, **fields) -> bytes:
    """Return the payload of a valid press, with fields overriding the defaults."""
    from hailong.protocol import Press

    base = {"device": device, "seq": seq, "rating": 4, "ts": "2024-03-05T08:30:00.000+07:00",
            "synced": True, "boot": "boot-a", "mono": 100.0 + seq}  # fmt: skip
    return Press(**{**base, **fields}).to_bytes()


def wait_collector_online(broker: Mosquitto, timeout: float = 20) -> None:
    """Wait for the collector's retained status to say online: it has subscribed by then."""
    from hailong.protocol import Topics

    user = None if broker.users is None else next(u for u in broker.users if u != COLLECTOR_USER)
    client = mqtt_client(broker, user, client_id=f"watch-{secrets.token_hex(3)}")
    states: list[bytes] = []
    client.on_message = lambda _c, _u, msg: states.append(bytes(msg.payload))
    client.subscribe(Topics().collector_status, 1)
    try:
        wait_for(lambda: states and b'"online"' in states[-1], timeout, "the collector online")
    finally:
        client.loop_stop()
        client.disconnect()


def start_ingest(procs, config: Path, broker: Mosquitto, name: str = "ingest"):
    """Start the ingest process (its log: <name>.log) and return once it listens."""
    child = procs.start(name, "hailong.server.cli", "--config", config, "ingest")
    wait_collector_online(broker)
    return child
