"""The ingest benchmarks' simulated kiosks: registered keys, presses signed as a kiosk signs them.

Each simulated kiosk has its own random HMAC key, written as `<device>.key` into a folder the
collector's `keys_dir` names, so ingest verifies every press it takes. Its presses are built
before the clock starts as the MQTT 5 PUBLISH packets a kiosk sends (device/uplink.py): QoS 1 on
its press topic, the payload's HMAC (`hailong.protocol.sign`) in the `sig` user property,
encoded by paho's own Properties as the kiosk's paho encodes it. One `bench/mqtt_pub.py` per
kiosk sends them (`mosquitto_pub -l` cannot give each line its own property); the raw broker
baseline sends the very same files.

After a run, `check_verified` shows that ingest really checked them: one press signed with a
wrong key is sent last and must land in quarantine as a bad signature, and every stored press
must carry the signature that verifies under its kiosk's key, the quarantine holding nothing else.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, select

from bench.mqtt_pub import varint
from hailong.protocol import SIG_PROPERTY, Topics, sign, verify
from hailong.server.broker.private import Mosquitto
from hailong.server.storage.db import connect
from hailong.server.storage.schema import presses, quarantine

ROOT = Path(__file__).resolve().parent.parent
T = Topics()
PUBLISHER = ROOT / "bench" / "mqtt_pub.py"


def press(device: str, seq: int) -> bytes:
    """Return a realistic press payload (compact JSON, as a kiosk publishes it)."""
    return (
        f'{{"v":1,"device":"{device}","seq":{seq},"rating":{1 + seq % 4},"reason":null,'
        f'"ts":"2024-03-05T08:30:00.123+07:00","synced":true,"boot":"b","mono":{seq}.5,'
        f'"counter":"Q1","official":"cb-01","field":"ho-tich","dossier":null,"mode":"live"}}'
    ).encode()


def signed_publish(topic: str, payload: bytes, key: bytes, mid: int) -> bytes:
    """Return the MQTT 5 PUBLISH (QoS 1) a kiosk sends: the payload's HMAC in `sig`."""
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = (SIG_PROPERTY, sign(key, payload))
    name = topic.encode()
    body = len(name).to_bytes(2) + name + mid.to_bytes(2) + props.pack() + payload
    return b"\x32" + varint(len(body)) + body


@dataclass
class Fleet:
    """Simulated kiosks: their names, keys (in keys_dir) and packet files."""

    names: list[str]
    per_device: int
    keys: dict[str, bytes]
    keys_dir: Path
    files: list[tuple[str, Path]]
    forged: Path  # one press of names[0] past its last seq, signed with a key nobody holds


def signed_fleet(names: list[str], per_device: int, folder: Path) -> Fleet:
    """Give each kiosk a key (written to folder/keys) and write its signed presses' packets."""
    keys_dir = folder / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys, files = {}, []
    for name in names:
        keys[name] = secrets.token_bytes(32)
        (keys_dir / f"{name}.key").write_text(keys[name].hex() + "\n")
        path = folder / f"{name}.mqtt"
        path.write_bytes(b"".join(signed_publish(T.press(name), press(name, s), keys[name],
                                                 s % 65535 + 1)
                                  for s in range(1, per_device + 1)))  # fmt: skip
        files.append((name, path))
    forged = folder / "forged.mqtt"
    seq = per_device + 1
    forged.write_bytes(signed_publish(T.press(names[0]), press(names[0], seq),
                                      secrets.token_bytes(32), 1))  # fmt: skip
    return Fleet(names, per_device, keys, keys_dir, files, forged)


def connect_publishers(broker: Mosquitto, files: list[tuple[str, Path]]) -> list:
    """Start one bench/mqtt_pub.py per kiosk; return once each is connected, waiting for go."""
    pubs = [subprocess.Popen([sys.executable, str(PUBLISHER), broker.host, str(broker.port),
                              f"pub-{name}", str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
            for name, path in files]  # fmt: skip
    for p in pubs:
        if p.stdout.readline() != b"ready\n":  # it exits (EOF) when it cannot connect
            raise SystemExit(f"a publisher did not connect (exit {p.wait(30)})")
    return pubs


def go(pubs: list) -> None:
    """Let every connected publisher send."""
    for p in pubs:
        p.stdin.write(b"go\n")
        p.stdin.flush()


def finish(pubs: list, timeout: float = 60) -> None:
    """Wait for the publishers; raise SystemExit when one failed."""
    for p in pubs:
        code = p.wait(timeout)
        p.stdin.close()
        p.stdout.close()
        if code:
            raise SystemExit(f"a publisher exited {code}")


def publish(broker: Mosquitto, files: list[tuple[str, Path]]) -> None:
    """Send packet files now and wait until the broker has taken them all."""
    pubs = connect_publishers(broker, files)
    go(pubs)
    finish(pubs)


def check_verified(url: str, fleet: Fleet, broker: Mosquitto, logs: list[Path]) -> str:
    """Show that ingest checked every press's HMAC and accepted them; raise SystemExit if not.

    Call it after the timed window, while ingest still runs: the forged press must be
    quarantined as a bad signature (so the keys were loaded and checked), then every stored
    press must verify under its kiosk's key with the sig it came with.
    """
    publish(broker, [("forged", fleet.forged)])
    engine = connect(url)
    try:
        deadline = time.monotonic() + 60
        while True:
            with engine.connect() as conn:
                kinds = conn.execute(select(quarantine.c.device, quarantine.c.kind)).all()
            if kinds or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if [tuple(k) for k in kinds] != [(fleet.names[0], "signature")]:
            raise SystemExit(f"quarantine holds {kinds}, not just the forged press: see {logs}")
    finally:
        engine.dispose()
    n = len(fleet.names) * fleet.per_device
    stored, good, _ = count_verified(url, fleet.keys)
    if stored != n or good != n:
        raise SystemExit(f"{stored:,} presses stored, {good:,} with a verified sig; want {n:,}")
    return f"HMAC checked: {good:,} presses stored with a verified sig, the forged one quarantined"


def count_verified(url: str, keys: dict[str, bytes]) -> tuple[int, int, int]:
    """Return (presses stored, of them with a sig verifying under their kiosk's key, quarantined)."""
    engine = connect(url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(presses)).scalar_one()
            held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
            rows = conn.execute(select(presses.c.device, presses.c.payload, presses.c.sig))
            good = sum(d in keys and verify(keys[d], bytes(p), s) for d, p, s in rows)
    finally:
        engine.dispose()
    return stored, good, held
