"""Profile one ingest instance on bench_ingest.py's workload with py-spy; print where the time goes.

  .venv/bin/pip install py-spy   # a developer's tool, not a dependency of the product
  .venv/bin/python bench/profile_ingest.py [--database sqlite|postgresql] [--devices 20]
                                           [--per-device 2500] [--top 30] > bench/profiles/X.txt

py-spy samples every thread of the running `hailong-collector ingest` (paho's network thread and
the batch loop) while the simulated kiosks publish; only samples holding the GIL are kept
(`--gil`), since the GIL is what one ingest process runs out of. The summary lists functions by
own time (samples where they are the innermost Python frame) and by cumulative time (anywhere on
the stack), as shares of all samples, and the share of each thread.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.signed_kiosks import connect_publishers, finish, go, signed_fleet  # noqa: E402
from bench.workload import watch_acks  # noqa: E402
from hailong.server.broker.private import Mosquitto  # noqa: E402
from hailong.server.storage.db import open_database  # noqa: E402
from tests.postgres import PostgresCluster  # noqa: E402
from tests.support import collector_toml, wait_collector_online  # noqa: E402


def profile(url: str, args, folder: Path) -> Path:
    """Run the workload against one ingest instance under py-spy; return the raw samples file."""
    broker = Mosquitto(folder / "broker", users=None, persistence=True).start()
    try:
        open_database(url).dispose()
        names = [f"sim-{i:03d}" for i in range(args.devices)]
        fleet = signed_fleet(names, args.per_device, folder)  # registered keys: HMAC checked
        config = collector_toml(folder, broker, url, batch_size=1000, batch_ms=20,
                                keys_dir=str(fleet.keys_dir))  # fmt: skip
        ingest = subprocess.Popen(
            [sys.executable, "-m", "hailong.server.cli", "--config", str(config), "ingest"],
            cwd=ROOT, stdout=open(folder / "ingest.log", "wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_collector_online(broker)
        done = watch_acks(broker, names, args.per_device)
        raw = folder / "samples.txt"
        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                str(ingest.pid), "--format", "raw", "--threads", "--rate", "250",
                                "--output", str(raw), *(["--idle"] if args.idle else ["--gil"]),
                                *(["--native"] if args.native else [])],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(1.0)  # py-spy attaches
        pubs = connect_publishers(broker, fleet.files)
        go(pubs)
        if not done.wait(600):
            raise SystemExit(f"the run did not finish in 600 s; see {folder}")
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
        finish(pubs)
        done.watcher.loop_stop()
        ingest.terminate()
        ingest.wait(30)
        return raw
    finally:
        broker.stop()


def summarise(raw: Path, top: int) -> str:
    """Return own and cumulative shares per function, and per thread, of the raw samples."""
    own, cumulative, threads = Counter(), Counter(), Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        thread, frames = frames[0], [_short(f) for f in frames[1:]]
        total += n
        threads[_thread_name(thread, frames)] += n
        if frames:
            own[frames[-1]] += n
        for f in set(frames):
            cumulative[f] += n
    lines = [f"{total} samples (250/s)", "", "by thread:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in threads.most_common()]
    lines += ["", f"top {top} by own time:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    lines += ["", f"top {top} by cumulative time:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in cumulative.most_common(top)]
    return "\n".join(lines) + "\n"


def _short(frame: str) -> str:
    """Drop the line number and shorten the path: 'func (file.py)'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for cut in ("site-packages/", "lib/python3"):
        if cut in path:
            path = path.split(cut, 1)[1]
    return f"{name} ({path})"


def _thread_name(thread: str, frames: list[str]) -> str:
    if any(f.startswith("_thread_main") or f.startswith("loop_forever") for f in frames):
        return "paho network thread"
    if any(f.startswith("run (") and "process.py" in f for f in frames):
        return "ingest batch loop"
    return thread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--per-device", type=int, default=2500)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--idle",
        action="store_true",
        help="sample waiting threads too (wall time), not only the GIL holder",
    )
    parser.add_argument(
        "--native",
        action="store_true",
        help="include C frames (sqlite3, json, psycopg, the kernel's calls)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profile-ingest-") as tmp:
        folder = Path(tmp)
        if args.database == "sqlite":
            raw = profile(f"sqlite:///{folder / 'collector.db'}", args, folder)
            print(summarise(raw, args.top), end="")
            return 0
        cluster = PostgresCluster().start()
        try:
            raw = profile(cluster.url(cluster.create_database()), args, folder)
            print(summarise(raw, args.top), end="")
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
