"""Benchmark one ingest instance against the raw broker path, on SQLite and PostgreSQL; a kiosk's drain.

  .venv/bin/python bench/bench_ingest.py [--runs 3] [--devices 20] [--per-device 2500]
                                         [--drain 10000]

(a) Each run measures, one after the other and each on a fresh mosquitto (persistence on):
    the raw broker path, the same simulated kiosks' publishers (same signed packets, same
    topics) → one MQTT 5 mosquitto_sub -q 1 in place of ingest;
    then one `hailong-collector ingest` (batches ≤ 1,000, 20 ms) on a fresh SQLite file (WAL,
    synchronous=FULL), then on a fresh PostgreSQL database (tests/postgres.py's cluster, fsync
    on). Simulated kiosks (bench/signed_kiosks.py: each with its key registered in the
    collector's keys_dir, one bench/mqtt_pub.py each, QoS 1, 20 in flight) publish presses
    signed as a kiosk signs them (HMAC in the `sig` user property) → mosquitto → ingest, which
    checks every HMAC → commit → retained ack per device; timed until every device's ack
    reaches its last seq. After the timed window a press signed with a wrong key must land in
    quarantine and every stored press must verify under its kiosk's key (else the run fails).
    The CPU seconds of the ingest process (user + system, from /proc) over the timed window,
    divided by the presses, give its CPU per press.
    Goals, on the medians of the runs' figures: ingest on SQLite ≥ 0.5 of the same run's raw
    path and ≥ 10,000 presses/s; ≤ 40 µs of ingest CPU per press on each backend; PostgreSQL
    ≥ 0.8 of SQLite's rate in the same run.
(b) drain: a real kiosk process starts with 10,000 undelivered presses in its journal; measured
    from the kiosk's start until its journal's ack watermark reaches the last seq. Goal ≤ 5 s.
    --drain 0 skips it.
Exits non-zero when a goal is missed (--goal NAME=VALUE sets one for a run: bench/goals.py).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.goals import add_goal_option, chosen_goals  # noqa: E402
from bench.signed_kiosks import count_verified, press  # noqa: E402
from bench.workload import Result, baseline, run  # noqa: E402
from hailong.server.broker.private import Mosquitto  # noqa: E402
from tests.postgres import PostgresCluster  # noqa: E402
from tests.support import collector_toml, journal_acked, kiosk_toml, wait_collector_online  # noqa: E402

INFLIGHT = 1000  # the kiosk's in-flight window in the drain
# Medians of the runs: SQLite ÷ raw path, SQLite presses/s, ingest CPU µs a press (each
# backend), PostgreSQL ÷ SQLite; the drain's seconds.
GOALS = {"ratio": 0.5, "sqlite_rate": 10_000, "cpu_us": 40, "pg_share": 0.8, "drain_s": 5}


@dataclass
class Round:
    """One run's figures: the raw path and one ingest instance on each backend."""

    raw: float
    sqlite: Result
    pg: Result

    @property
    def ratio(self) -> float:
        """Return ingest on SQLite ÷ the raw broker path."""
        return self.sqlite.rate / self.raw

    @property
    def pg_share(self) -> float:
        """Return PostgreSQL's rate ÷ SQLite's."""
        return self.pg.rate / self.sqlite.rate


def one_round(args, folder: Path, cluster: PostgresCluster) -> Round:
    """Measure the raw path, then ingest on SQLite, then on PostgreSQL."""
    broker = Mosquitto(folder / "raw", users=None, persistence=True).start()
    try:
        raw = baseline(broker, args.devices, args.per_device, folder)
    finally:
        broker.stop()
    sqlite = run("SQLite", f"sqlite:///{folder / 'sqlite.db'}", 1, args, folder / "sqlite", None)
    name = cluster.create_database()
    try:
        pg = run("PostgreSQL", cluster.url(name), 1, args, folder / "pg", cluster)
    finally:
        cluster.drop_database(name)
    return Round(raw, sqlite, pg)


def per_press(result: Result, group: str, n: int) -> float:
    """Return a process group's CPU µs per press."""
    return result.cpu[group] / n * 1e6


def table(rounds: list[Round], n: int) -> list[tuple]:
    """Return each run's row of figures and the medians' row."""
    rows = [
        (f"{i}", r.raw, r.sqlite.rate, r.ratio, r.pg.rate, r.pg_share,
         per_press(r.sqlite, "ingest", n), per_press(r.pg, "ingest", n),
         per_press(r.pg, "postgres", n), per_press(r.sqlite, "mosquitto", n),
         n / max(r.sqlite.batches, 1), n / max(r.pg.batches, 1))
        for i, r in enumerate(rounds, 1)
    ]  # fmt: skip
    medians = tuple(statistics.median(row[k] for row in rows) for k in range(1, len(rows[0])))
    return rows + [("median", *medians)]


def report(rows: list[tuple], rounds: list[Round], args) -> bool:
    """Print the runs and the goals; return whether every goal is met."""
    n = args.devices * args.per_device
    print(f"\n{args.devices} devices × {args.per_device:,} presses = {n:,} per run")
    head = ("run", "raw /s", "SQLite /s", "÷ raw", "PG /s", "PG÷SQLite", "µs SQLite",
            "µs PG", "µs postgres", "µs mosquitto", "batch SQLite", "batch PG")  # fmt: skip
    print("  ".join(f"{h:>12}" for h in head))
    for row in rows:
        label, raw, lite, ratio, pg, share, *cpu = row
        cells = [label, f"{raw:,.0f}", f"{lite:,.0f}", f"{ratio:.2f}", f"{pg:,.0f}", f"{share:.2f}"]
        print("  ".join(f"{c:>12}" for c in cells + [f"{c:.0f}" for c in cpu]))
    print("(µs: CPU per press of the ingest process on SQLite and on PostgreSQL, of the PostgreSQL "
          "server, of mosquitto in the SQLite run; batch: presses per committed batch)")  # fmt: skip
    _, _raw, lite, ratio, _pg, share, cpu_lite, cpu_pg, *_ = rows[-1]
    for i, r in enumerate(rounds, 1):
        print(f"run {i}: SQLite: {r.sqlite.checked}; PostgreSQL: {r.pg.checked}")
    g = args.goals
    goals = [
        ("ingest ÷ raw broker path (median)", f"{ratio:.2f}", f"≥ {g['ratio']:g}",
         ratio >= g["ratio"]),
        ("ingest on SQLite (median)", f"{lite:,.0f} /s", f"≥ {g['sqlite_rate']:,.0f} /s",
         lite >= g["sqlite_rate"]),
        ("ingest CPU per press, SQLite (median)", f"{cpu_lite:.1f} µs", f"≤ {g['cpu_us']:g} µs",
         cpu_lite <= g["cpu_us"]),
        ("ingest CPU per press, PostgreSQL (median)", f"{cpu_pg:.1f} µs", f"≤ {g['cpu_us']:g} µs",
         cpu_pg <= g["cpu_us"]),
        ("PostgreSQL ÷ SQLite (median)", f"{share:.2f}", f"≥ {g['pg_share']:g}",
         share >= g["pg_share"]),
    ]  # fmt: skip
    print()
    for what, figure, goal, ok in goals:
        print(f"{what:<44}{figure:>14}  {goal:<12}{'OK' if ok else 'MISSED'}")
    return all(ok for *_, ok in goals)


def start_ingest(broker: Mosquitto, folder: Path, log: str, keys_dir: Path) -> subprocess.Popen:
    """Start an ingest process with bench batching and wait until it has subscribed."""
    config = collector_toml(folder, broker, batch_size=1000, batch_ms=20, keys_dir=str(keys_dir))
    ingest = subprocess.Popen([sys.executable, "-m", "hailong.server.cli", "--config", str(config),
                               "ingest"], cwd=ROOT, stdout=open(folder / log, "wb"),
                              stderr=subprocess.STDOUT)  # fmt: skip
    wait_collector_online(broker)
    return ingest


def drain(broker: Mosquitto, n: int, folder: Path) -> tuple[float, float]:
    """Return (seconds from kiosk start, seconds from its connection) to drain n presses.

    The kiosk holds a key registered with ingest: it signs each press as it sends it, and
    ingest checks each signature (every stored press's sig is verified afterwards).
    """
    key = secrets.token_bytes(32)
    (folder / "keys").mkdir(parents=True)
    for path in (folder / "keys" / "kd.key", folder / "kd.key"):
        path.write_text(key.hex() + "\n")
    ingest = start_ingest(broker, folder, "ingest2.log", folder / "keys")
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
        stored, good, held = count_verified(f"sqlite:///{folder / 'collector.db'}", {"kd": key})
        if not stored == good == n or held:
            raise SystemExit(f"drain: {stored:,} stored, {good:,} verified, {held} quarantined")
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
    config = kiosk_toml(folder, broker, "kd", top={"signing_key_file": folder / "kd.key"},
                        inflight=INFLIGHT)  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "hailong.device.cli", "--config", str(config), "run",
                             "--headless"], cwd=ROOT, stdout=open(folder / "kd.log", "wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--per-device", type=int, default=2500)
    parser.add_argument("--drain", type=int, default=10_000)
    add_goal_option(parser, GOALS)
    args = parser.parse_args()
    args.goals = chosen_goals(parser, GOALS, args.goal)
    n = args.devices * args.per_device
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        cluster = PostgresCluster().start()
        try:
            rounds = [one_round(args, Path(tmp) / f"run-{i}", cluster) for i in range(args.runs)]
        finally:
            cluster.stop()
        ok = report(table(rounds, n), rounds, args)
        if args.drain:
            broker = Mosquitto(Path(tmp) / "drain" / "broker", users=None, persistence=True).start()
            try:
                total, connected = drain(broker, args.drain, Path(tmp) / "drain")
            finally:
                broker.stop()
            ok_drain = total <= args.goals["drain_s"]
            print(f"{f'drain {args.drain:,} journaled presses (from kiosk start)':<44}"
                  f"{total:>12.2f} s  ≤ {args.goals['drain_s']:<4g} s     "
                  f"{'OK' if ok_drain else 'MISSED'}")  # fmt: skip
            print(f"{'   of which after the connection':<44}{connected:>12.2f} s")
            ok = ok and ok_drain
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
