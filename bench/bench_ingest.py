"""Benchmark the collector's end-to-end ingest and a kiosk's drain after an outage.

  .venv/bin/python bench/bench_ingest.py [--devices 20] [--per-device 2500] [--drain 10000]

(a) sustained ingest: simulated kiosks publish presses (QoS 1) → mosquitto → ingest → SQLite
    commit → retained ack per device; measured until every device's ack reaches its last seq.
    Baseline in the same run: the raw broker path, mosquitto_pub -l → mosquitto_sub, same
    payloads (at most 50,000 lines per publisher: mosquitto_pub 2.0.11 stops early beyond 65,535).
    Goal: ≥ 10,000 presses/s and ≥ one third of the baseline.
(b) drain: a real kiosk process starts with 10,000 undelivered presses in its journal; measured
    from the kiosk's start until its journal's ack watermark reaches the last seq. Goal ≤ 5 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho  # noqa: E402

from hailong.protocol import Topics, parse_ack  # noqa: E402
from hailong.server.broker.private import Mosquitto  # noqa: E402
from tests.support import collector_toml, journal_acked, kiosk_toml, wait_collector_online  # noqa: E402

T = Topics()


def press(device: str, seq: int) -> bytes:
    """Return a realistic press payload."""
    return (
        f'{{"v":1,"device":"{device}","seq":{seq},"rating":{1 + seq % 4},"reason":null,'
        f'"ts":"2024-03-05T08:30:00.123+07:00","synced":true,"boot":"b","mono":{seq}.5,'
        f'"counter":"Q1","official":"cb-01","field":"ho-tich","dossier":null,"mode":"live"}}'
    ).encode()


def baseline(broker: Mosquitto, payloads: list[bytes], folder: Path) -> float:
    """Return presses/s through mosquitto_pub -l → mosquitto_sub on the same broker."""
    n = len(payloads)
    chunks = [payloads[i : i + 50_000] for i in range(0, n, 50_000)]
    sub = subprocess.Popen(["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-q", "1",
                            "-t", "bench/raw", "-C", str(n)], stdout=subprocess.DEVNULL)  # fmt: skip
    time.sleep(0.5)  # let the subscription land before the clock starts
    files = []
    for i, chunk in enumerate(chunks):
        path = folder / f"raw-{i}.txt"
        path.write_bytes(b"\n".join(chunk) + b"\n")
        files.append(path)
    start = time.perf_counter()
    pubs = [
        subprocess.Popen(
            [
                "mosquitto_pub",
                "-h",
                broker.host,
                "-p",
                str(broker.port),
                "-q",
                "1",
                "-t",
                "bench/raw",
                "-l",
            ],
            stdin=open(f, "rb"),
        )  # fmt: skip
        for f in files
    ]
    for p in pubs:
        p.wait(300)
    sub.wait(300)
    return n / (time.perf_counter() - start)


def start_ingest(broker: Mosquitto, folder: Path, log: str) -> subprocess.Popen:
    """Start an ingest process with bench batching and wait until it has subscribed."""
    config = collector_toml(folder, broker, batch_size=1000, batch_ms=20)
    ingest = subprocess.Popen([sys.executable, "-m", "hailong.server.cli", "--config", str(config),
                               "ingest"], cwd=ROOT, stdout=open(folder / log, "wb"),
                              stderr=subprocess.STDOUT)  # fmt: skip
    wait_collector_online(broker)
    return ingest


def end_to_end(broker: Mosquitto, devices: int, per_device: int, folder: Path) -> float:
    """Return presses/s from first publish to the last device's ack reaching its last seq."""
    ingest = start_ingest(broker, folder, "ingest.log")
    try:
        names = [f"sim-{i:03d}" for i in range(devices)]
        done = threading.Event()
        acked: dict[str, int] = {}

        def on_ack(_c, _u, msg):
            acked[msg.topic.split("/")[-2]] = parse_ack(msg.payload).upto
            if len(acked) == devices and all(v >= per_device for v in acked.values()):
                done.set()

        watcher = client("watcher")
        watcher.on_message = on_ack
        watcher.subscribe(T.all_of("ack"), 1)
        time.sleep(0.3)
        files = []
        for name in names:  # one mosquitto_pub per simulated kiosk, like the baseline's
            path = folder / f"{name}.txt"
            path.write_bytes(b"\n".join(press(name, s) for s in range(1, per_device + 1)) + b"\n")
            files.append((name, path))
        start = time.perf_counter()
        pubs = [subprocess.Popen(["mosquitto_pub", "-h", broker.host, "-p", str(broker.port),
                                  "-q", "1", "-t", T.press(name), "-l"], stdin=open(path, "rb"))
                for name, path in files]  # fmt: skip
        if not done.wait(600):
            raise SystemExit("end-to-end run did not finish in 600 s")
        elapsed = time.perf_counter() - start
        for p in pubs:
            p.wait(60)
        watcher.loop_stop()
        return devices * per_device / elapsed
    finally:
        ingest.terminate()
        ingest.wait(30)


def client(client_id: str, port: int | None = None) -> paho.Client:
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    c.max_inflight_messages_set(1000)
    c.connect("127.0.0.1", port or BROKER_PORT)
    c.loop_start()
    return c


def drain(broker: Mosquitto, n: int, folder: Path) -> tuple[float, float]:
    """Return (seconds from kiosk start, seconds from its connection) to drain n presses."""
    ingest = start_ingest(broker, folder, "ingest2.log")
    try:
        kiosk = fill_and_start(folder, broker, n)
        start = time.perf_counter()
        log = folder / "kd.log"
        connected = None
        deadline = start + 120
        while journal_acked(folder / "kd") < n and time.perf_counter() < deadline:
            if connected is None and b"connected to the broker" in log.read_bytes():
                connected = time.perf_counter()
            time.sleep(0.01)
        total = time.perf_counter() - start
        kiosk.terminate()
        kiosk.wait(30)
        if journal_acked(folder / "kd") < n:
            raise SystemExit("drain did not finish in 120 s")
        return total, total - ((connected or start) - start)
    finally:
        ingest.terminate()
        ingest.wait(30)


def fill_and_start(folder: Path, broker: Mosquitto, n: int) -> subprocess.Popen:
    """Journal n presses for device kd (as an outage would leave them), then start the kiosk."""
    from hailong.device.segments import store_sealed

    records = [{**json.loads(press("kd", s))} for s in range(1, n + 1)]
    state = folder / "kd" / "journal"
    state.mkdir(parents=True, exist_ok=True)
    for i in range(0, n, 256):
        store_sealed(state, records[i : i + 256])
    (state / "meta.json").write_text(json.dumps({"v": 1, "seq": n, "session": 1}))
    config = kiosk_toml(folder, broker, "kd", inflight=INFLIGHT)
    return subprocess.Popen([sys.executable, "-m", "hailong.device.cli", "--config", str(config), "run",
                             "--headless"], cwd=ROOT, stdout=open(folder / "kd.log", "wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip


BROKER_PORT = 0
INFLIGHT = 1000


def main() -> int:
    global BROKER_PORT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--per-device", type=int, default=2500)
    parser.add_argument("--drain", type=int, default=10_000)
    args = parser.parse_args()
    n = args.devices * args.per_device
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        folder = Path(tmp)
        broker = Mosquitto(folder / "broker", users=None, persistence=True).start()
        BROKER_PORT = broker.port
        try:
            raw = baseline(broker, [press("raw", i) for i in range(1, n + 1)], folder)
            e2e = end_to_end(broker, args.devices, args.per_device, folder)
            total, connected = drain(broker, args.drain, folder)
        finally:
            broker.stop()
    ok_rate, ok_ratio, ok_drain = e2e >= 10_000, e2e >= raw / 3, total <= 5.0
    print(f"\n{'measure':<52}{'figure':>14}  goal")
    print(f"{'raw broker path (mosquitto_pub -l → mosquitto_sub)':<52}{raw:>10,.0f} /s  baseline")
    print(f"{f'end-to-end ingest ({args.devices} devices, {n:,} presses)':<52}{e2e:>10,.0f} /s"
          f"  ≥ 10,000/s {'OK' if ok_rate else 'MISSED'}")  # fmt: skip
    print(f"{'end-to-end ÷ raw':<52}{e2e / raw:>14.2f}  ≥ 0.33 {'OK' if ok_ratio else 'MISSED'}")
    print(f"{f'drain {args.drain:,} journaled presses (from kiosk start)':<52}{total:>12.2f} s"
          f"  ≤ 5 s {'OK' if ok_drain else 'MISSED'}")  # fmt: skip
    print(f"{'   of which after the connection':<52}{connected:>12.2f} s")
    return 0 if ok_rate and ok_ratio and ok_drain else 1


if __name__ == "__main__":
    sys.exit(main())
