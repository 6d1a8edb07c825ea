"""Benchmark ingest scale-out: 1, 2 and 3 instances on PostgreSQL beside one on SQLite.

  .venv/bin/python bench/bench_scale.py [--devices 20] [--per-device 2500] [--instances 1,2,3]
                                        [--repeat 3]

Each run gets a fresh mosquitto (persistence on) and a fresh database: simulated kiosks (one
`mosquitto_pub -q 1 -l` per device, as in bench_ingest.py) publish presses → ingest instances
(a `$share/bench/…` subscription when there are several; batches ≤ 1,000, 20 ms) → commit →
retained ack per device; timed from the first publish until every device's ack reaches its last
seq. The baselines in the same run: the raw broker path (mosquitto_pub -l → mosquitto_sub) and
one ingest instance on SQLite (WAL, synchronous=FULL). PostgreSQL runs with fsync on.
CPU seconds per process group (ingest, postgres, mosquitto) are read from /proc over the timed
window, so the figures also say how many presses one core of each handles. The machine is shared
and noisy: every configuration runs --repeat times, interleaved, and the median run is shown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho  # noqa: E402

from bench.bench_ingest import baseline, press  # noqa: E402
from hailong.protocol import Topics, parse_ack  # noqa: E402
from hailong.server.broker.private import Mosquitto  # noqa: E402
from hailong.server.storage.db import open_database  # noqa: E402
from tests.postgres import PostgresCluster  # noqa: E402
from tests.support import collector_toml, wait_collector_online  # noqa: E402

T = Topics()
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """One run's figures."""

    label: str
    rate: float  # presses per second, end to end
    cpu: dict[str, float]  # CPU seconds per process group over the timed window
    elapsed: float

    @property
    def cores(self) -> float:
        """Return how many cores the whole run kept busy on average."""
        return sum(self.cpu.values()) / self.elapsed


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


def publish_all(broker: Mosquitto, names: list[str], per_device: int, folder: Path) -> list:
    """Start one mosquitto_pub -l per device, fed from a file written beforehand."""
    files = []
    for name in names:
        path = folder / f"{name}.txt"
        path.write_bytes(b"\n".join(press(name, s) for s in range(1, per_device + 1)) + b"\n")
        files.append((name, path))
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
        start = time.perf_counter()
        pubs = publish_all(broker, names, args.per_device, folder)
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
        return Result(label, args.devices * args.per_device / elapsed, cpu, elapsed)
    finally:
        broker.stop()


def cpu_of(children: list, cluster, broker: Mosquitto, pubs: list) -> dict[str, float]:
    return {
        "ingest": sum(cpu_seconds(c.pid) for c in children),
        "postgres": postgres_cpu(cluster),
        "mosquitto": cpu_seconds(broker.process.pid),
        "publishers": sum(cpu_seconds(p.pid) for p in pubs),
    }


def median_run(runs: list[Result]) -> Result:
    """Return the run with the median rate."""
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def report(raw: list[float], results: dict[str, list[Result]], n: int) -> None:
    """Print the table docs/performance.md records: medians, with every rate beside them."""
    sqlite = median_run(next(iter(results.values()))).rate
    print(f"\nraw broker path (mosquitto_pub -l → mosquitto_sub): "
          f"{statistics.median(raw):,.0f} presses/s (median)")  # fmt: skip
    print(f"{'run':<26}{'presses/s':>10}{'÷ SQLite':>9}{'ingest':>8}{'postgres':>9}"
          f"{'mosquitto':>10}{'publishers':>11}{'cores':>7}  every run")  # fmt: skip
    for label, runs in results.items():
        r = median_run(runs)
        per = {k: v / n * 1e6 for k, v in r.cpu.items()}
        every = " ".join(f"{x.rate:,.0f}" for x in runs)
        print(f"{label:<26}{r.rate:>10,.0f}{r.rate / sqlite:>9.2f}{per['ingest']:>8.0f}"
              f"{per['postgres']:>9.0f}{per['mosquitto']:>10.0f}{per['publishers']:>11.0f}"
              f"{r.cores:>7.2f}  {every}")  # fmt: skip
    print("(ingest … publishers: CPU µs per press of each process group; cores: CPU busy on "
          f"average over the run, of {os.cpu_count()})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--per-device", type=int, default=2500)
    parser.add_argument("--instances", default="1,2,3", help="PostgreSQL instance counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each configuration")
    args = parser.parse_args()
    n = args.devices * args.per_device
    counts = [int(c) for c in args.instances.split(",")]
    results: dict[str, list[Result]] = {}
    raw = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        cluster = PostgresCluster().start()
        try:
            for i in range(args.repeat):
                folder = Path(tmp) / f"round-{i}"
                raw.append(raw_rate(folder, n))
                for result in one_round(args, counts, folder, cluster):
                    results.setdefault(result.label, []).append(result)
        finally:
            cluster.stop()
    print(f"\n{args.devices} devices × {args.per_device:,} presses = {n:,} per run, "
          f"{args.repeat} runs each")  # fmt: skip
    report(raw, results, n)
    return 0


def raw_rate(folder: Path, n: int) -> float:
    """Measure the raw broker path on a broker of its own."""
    broker = Mosquitto(folder / "raw", users=None, persistence=True).start()
    try:
        return baseline(broker, [press("raw", i) for i in range(1, n + 1)], folder)
    finally:
        broker.stop()


def one_round(args, counts: list[int], folder: Path, cluster) -> list[Result]:
    """Run SQLite with one instance, then PostgreSQL with each instance count."""
    url = f"sqlite:///{folder / 'sqlite.db'}"
    results = [run("SQLite, 1 instance", url, 1, args, folder / "sqlite", None)]
    for c in counts:
        name = cluster.create_database()
        label = f"PostgreSQL, {c} instance{'s' if c > 1 else ''}"
        results.append(run(label, cluster.url(name), c, args, folder / f"pg{c}", cluster))
        cluster.drop_database(name)
    return results


if __name__ == "__main__":
    sys.exit(main())
