"""The ingest benchmarks' shared workload: presses, publishers, the raw broker baseline, one timed run.

bench_ingest.py and bench_scale.py measure the same thing at different scales: simulated kiosks
(one `mosquitto_pub -q 1 -l` each) publish presses → mosquitto (persistence on) → ingest
instance(s) → commit → retained ack per device; timed from the first publish until every
device's ack reaches its last seq, with the CPU seconds of each process group read from /proc.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho

from hailong.protocol import Topics, parse_ack
from hailong.server.broker.private import Mosquitto
from hailong.server.storage.db import open_database
from tests.postgres import PostgresCluster
from tests.support import collector_toml, wait_collector_online

ROOT = Path(__file__).resolve().parent.parent
T = Topics()
TICK = os.sysconf("SC_CLK_TCK")


def press(device: str, seq: int) -> bytes:
    """Return a realistic press payload."""
    return (
        f'{{"v":1,"device":"{device}","seq":{seq},"rating":{1 + seq % 4},"reason":null,'
        f'"ts":"2024-03-05T08:30:00.123+07:00","synced":true,"boot":"b","mono":{seq}.5,'
        f'"counter":"Q1","official":"cb-01","field":"ho-tich","dossier":null,"mode":"live"}}'
    ).encode()


def baseline(broker: Mosquitto, devices: int, per_device: int, folder: Path) -> float:
    """Return presses/s through mosquitto_pub -l → mosquitto_sub on the same broker.

    The publishers are the ingest runs' own (publish_all: one per simulated kiosk, the same
    payloads on the same topics); one mosquitto_sub -q 1 takes them all, in place of ingest.
    """
    n = devices * per_device
    sub = subprocess.Popen(["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-q", "1",
                            "-t", T.all_of("press"), "-C", str(n)], stdout=subprocess.DEVNULL)  # fmt: skip
    time.sleep(0.5)  # let the subscription land before the clock starts
    files = publisher_files([f"raw-{i:03d}" for i in range(devices)], per_device, folder)
    start = time.perf_counter()
    pubs = start_publishers(broker, files)
    for p in pubs:
        p.wait(300)
    sub.wait(300)
    return n / (time.perf_counter() - start)


@dataclass
class Result:
    """One run's figures."""

    label: str
    rate: float  # presses per second, end to end
    cpu: dict[str, float]  # CPU seconds per process group over the timed window
    elapsed: float
    batches: int = 0  # transactions the ingest instances committed (from their last log line)

    @property
    def cores(self) -> float:
        """Return how many cores the whole run kept busy on average."""
        return sum(self.cpu.values()) / self.elapsed


def committed(log: Path) -> int:
    """Return how many batches an ingest process said it committed when it stopped."""
    found = re.findall(rb"batches=(\d+)", log.read_bytes())
    return int(found[-1]) if found else 0


def cpu_seconds(pid: int, children: bool = False) -> float:
    """Return a process's user+system CPU seconds (with its reaped children's when asked)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: backends that exited
    return ticks / TICK


def postgres_cpu(cluster: PostgresCluster | None) -> float:
    """Return the CPU seconds of the postmaster, its live backends and those that exited."""
    if cluster is None:
        return 0.0
    root = cluster.process.pid
    total = cpu_seconds(root, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if parent == root:
                total += cpu_seconds(int(entry.name))
    return total


def start_instances(config: Path, n: int, folder: Path, broker: Mosquitto) -> list:
    """Start n ingest processes and wait until each has connected."""
    children = []
    for i in range(n):
        log = folder / f"ingest-{i}.log"
        children.append(subprocess.Popen(
            [sys.executable, "-m", "hailong.server.cli", "--config", str(config), "ingest",
             "--instance", str(i)], cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
        ))  # fmt: skip
    deadline = time.monotonic() + 60
    for i in range(n):
        while b"connected to" not in (folder / f"ingest-{i}.log").read_bytes():
            if time.monotonic() > deadline:
                raise SystemExit(f"ingest instance {i} did not connect; see {folder}")
            time.sleep(0.05)
    wait_collector_online(broker)
    time.sleep(0.5)  # the last SUBSCRIBE lands after "connected to" is logged
    return children


def watch_acks(broker: Mosquitto, names: list[str], per_device: int) -> threading.Event:
    """Subscribe to the acks; return an event set once every device is acked to the end."""
    done, acked = threading.Event(), {}
    watcher = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="watcher",
                          protocol=paho.MQTTv5)  # fmt: skip

    def on_ack(_c, _u, msg):
        acked[msg.topic.split("/")[-2]] = parse_ack(msg.payload).upto
        if len(acked) == len(names) and min(acked.values()) >= per_device:
            done.set()

    watcher.on_message = on_ack
    watcher.connect(broker.host, broker.port)
    watcher.subscribe(T.all_of("ack"), 1)
    watcher.loop_start()
    done.watcher = watcher
    return done


def publisher_files(names: list[str], per_device: int, folder: Path) -> list[tuple[str, Path]]:
    """Write each simulated kiosk's presses, one line each, for its mosquitto_pub -l."""
    files = []
    for name in names:
        path = folder / f"{name}.txt"
        path.write_bytes(b"\n".join(press(name, s) for s in range(1, per_device + 1)) + b"\n")
        files.append((name, path))
    return files


def start_publishers(broker: Mosquitto, files: list[tuple[str, Path]]) -> list:
    """Start one mosquitto_pub -q 1 -l per kiosk on its press topic."""
    return [subprocess.Popen(["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-q", "1",
                              "-t", T.press(name), "-l"], stdin=open(path, "rb"))
            for name, path in files]  # fmt: skip


def run(label: str, url: str, n: int, args, folder: Path, cluster) -> Result:
    """Time one configuration end to end; return its rate and CPU use."""
    folder.mkdir(parents=True)
    broker = Mosquitto(folder / "broker", users=None, persistence=True).start()
    try:
        open_database(url).dispose()  # migrate once before the instances start
        group = "bench" if n > 1 else ""
        config = collector_toml(folder, broker, url, batch_size=1000, batch_ms=20,
                                share_group=group)  # fmt: skip
        children = start_instances(config, n, folder, broker)
        names = [f"sim-{i:03d}" for i in range(args.devices)]
        done = watch_acks(broker, names, args.per_device)
        time.sleep(0.3)
        before = cpu_of(children, cluster, broker, [])
        files = publisher_files(names, args.per_device, folder)
        start = time.perf_counter()
        pubs = start_publishers(broker, files)
        if not done.wait(600):
            raise SystemExit(f"{label} did not finish in 600 s; see {folder}")
        elapsed = time.perf_counter() - start
        after = cpu_of(children, cluster, broker, pubs)  # publishers not reaped yet: readable
        for p in pubs:
            p.wait(60)
        done.watcher.loop_stop()
        for child in children:
            child.terminate()
            child.wait(30)
        cpu = {k: after[k] - before[k] for k in after}
        batches = sum(committed(folder / f"ingest-{i}.log") for i in range(n))
        return Result(label, args.devices * args.per_device / elapsed, cpu, elapsed, batches)
    finally:
        broker.stop()


def cpu_of(children: list, cluster, broker: Mosquitto, pubs: list) -> dict[str, float]:
    return {
        "ingest": sum(cpu_seconds(c.pid) for c in children),
        "postgres": postgres_cpu(cluster),
        "mosquitto": cpu_seconds(broker.process.pid),
        "publishers": sum(cpu_seconds(p.pid) for p in pubs),
    }
