"""Benchmark ingest scale-out: 1, 2 and 3 instances on PostgreSQL beside one on SQLite.

  .venv/bin/python bench/bench_scale.py [--devices 20] [--per-device 2500] [--instances 1,2,3]
                                        [--repeat 3]

Each run gets a fresh mosquitto (persistence on) and a fresh database: simulated kiosks (one
bench/mqtt_pub.py per device sending signed presses, as in bench_ingest.py: ingest checks every
HMAC) publish presses → ingest instances
(a `$share/bench/…` subscription when there are several; batches ≤ 1,000, 20 ms) → commit →
retained ack per device; timed from the first publish until every device's ack reaches its last
seq. The baselines in the same run: the raw broker path (the same publishers and packets
→ one mosquitto_sub) and
one ingest instance on SQLite (WAL, synchronous=FULL). PostgreSQL runs with fsync on.
CPU seconds per process group (ingest, postgres, mosquitto) are read from /proc over the timed
window, so the figures also say how many presses one core of each handles. The machine is shared
and noisy: every configuration runs --repeat times, interleaved, and the median run is shown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workload import Result, baseline, run  # noqa: E402
from hailong.server.broker.private import Mosquitto  # noqa: E402
from tests.postgres import PostgresCluster  # noqa: E402


def median_run(runs: list[Result]) -> Result:
    """Return the run with the median rate."""
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def report(raw: list[float], results: dict[str, list[Result]], n: int) -> None:
    """Print the table docs/performance.md records: medians, with every rate beside them."""
    sqlite = median_run(next(iter(results.values()))).rate
    print(f"\nraw broker path (the signed publishers → mosquitto_sub): "
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
                raw.append(raw_rate(folder, args))
                for result in one_round(args, counts, folder, cluster):
                    results.setdefault(result.label, []).append(result)
        finally:
            cluster.stop()
    print(f"\n{args.devices} devices × {args.per_device:,} presses = {n:,} per run, "
          f"{args.repeat} runs each")  # fmt: skip
    report(raw, results, n)
    return 0


def raw_rate(folder: Path, args) -> float:
    """Measure the raw broker path on a broker of its own."""
    broker = Mosquitto(folder / "raw", users=None, persistence=True).start()
    try:
        return baseline(broker, args.devices, args.per_device, folder)
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
