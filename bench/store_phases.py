"""Time store_batch's phases in one process, without MQTT: where a batch's database time goes.

  .venv/bin/python bench/store_phases.py [--database sqlite|postgresql] [--batches 50]

Batches of 1,000 presses of 20 kiosks (bench/signed_kiosks.py's payloads, each signed with its
kiosk's key and classified as ingest does, HMAC checked) are stored one after another, each in
its own transaction with the ingest's record_commit, on a fresh SQLite file (WAL, synchronous=FULL) or a fresh database of a throwaway PostgreSQL cluster
(tests/postgres.py). Printed per press, after 5 warm-up batches: the whole transaction's wall
time and this process's CPU, the commit, and each phase of store_batch (wall and CPU; on
PostgreSQL the difference is mostly the server's time). A profile, not a benchmark: no goal.
"""

from __future__ import annotations

import argparse
import collections
import functools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.signed_kiosks import press  # noqa: E402
from hailong.protocol import Topics, sign  # noqa: E402
from hailong.server.ingest.intake import Message, classify  # noqa: E402
from hailong.server.ingest.state import record_commit  # noqa: E402
from hailong.server.storage import batch  # noqa: E402
from hailong.server.storage.db import open_database  # noqa: E402
from tests.postgres import PostgresCluster  # noqa: E402

# Whichever of these batch.py has (older versions named their phases differently: run this
# on an older checkout to compare); a phase inside another is counted in both.
PHASES = ("lock_devices", "_store_presses", "_deduplicate", "_insert_presses", "exclude_repeats",
          "quarantine_rejects", "advance_acks", "advance_after_batch")  # fmt: skip
WARM = 5


def timed(phase: str, spent: dict):
    """Wrap batch's function `phase` so that its wall and CPU seconds add up in spent."""
    work = getattr(batch, phase)

    @functools.wraps(work)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return work(*args, **kwargs)
        finally:
            spent[phase][0] += time.perf_counter() - wall
            spent[phase][1] += time.process_time() - cpu

    return wrapper


def batches(count: int, size: int = 1000, devices: int = 20) -> list[list]:
    """Return count batches of classified presses, each kiosk's seqs going on from batch to batch."""
    topics, seq = Topics(), collections.Counter()
    keys = {f"sim-{i:03d}": bytes([i]) * 32 for i in range(devices)}
    out = []
    for _ in range(count):
        items = []
        for i in range(size):
            device = f"sim-{i % devices:03d}"
            seq[device] += 1
            payload = press(device, seq[device])
            message = Message(topics.press(device), payload, sign(keys[device], payload), 1)
            items.append(classify(message, topics, keys))
        out.append(items)
    return out


def measure(url: str, count: int) -> None:
    """Store the batches and print the per-press times."""
    engine = open_database(url)
    spent = collections.defaultdict(lambda: [0.0, 0.0])
    for phase in PHASES:
        if hasattr(batch, phase):
            setattr(batch, phase, timed(phase, spent))
    work = batches(count + WARM)
    total = [0.0, 0.0, 0.0]  # wall, CPU, commit
    try:
        for n, items in enumerate(work):
            if n == WARM:
                spent.clear()
                total = [0.0, 0.0, 0.0]
            wall, cpu = time.perf_counter(), time.process_time()
            with engine.begin() as conn:
                batch.store_batch(conn, items, 1)
                record_commit(conn, "bench", 1)
                committing = time.perf_counter()
            total[2] += time.perf_counter() - committing
            total[0] += time.perf_counter() - wall
            total[1] += time.process_time() - cpu
    finally:
        engine.dispose()
    presses = count * len(work[0])
    us = lambda seconds: seconds / presses * 1e6  # noqa: E731
    print(f"{engine.dialect.name}: {presses:,} presses in batches of {len(work[0]):,}")
    print(f"  transaction {us(total[0]):6.2f} µs/press wall, {us(total[1]):6.2f} CPU; "
          f"commit {us(total[2]):.2f} wall")  # fmt: skip
    for phase in (p for p in PHASES if p in spent):
        wall, cpu = spent[phase]
        print(f"  {phase:<22}{us(wall):6.2f} µs/press wall, {us(cpu):6.2f} CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--batches", type=int, default=50)
    args = parser.parse_args()
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="store-phases-") as folder:
            measure(f"sqlite:///{folder}/collector.db", args.batches)
        return 0
    cluster = PostgresCluster().start()
    try:
        measure(cluster.url(cluster.create_database()), args.batches)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
