"""Measure the journal's durable write, add(), against history and backlog, beside a plain baseline.

Run: .venv/bin/python bench/bench_journal.py [--samples N] [--dir FOLDER]

Baseline: append one JSON line to a plain file and fsync it (the cheapest durable write there is).
What TinyDB costs a press, side by side: the segment writes alone, without the journal around them,
done by hand as before TinyDB came back (a new segment: an atomic write; then one line pwrite +
fsync a press) and through TinyDB(path, storage=JSONLinesStorage) (the same files and fsyncs).
Journals: 1,000 and 100,000 delivered presses in history, and 10,000 undelivered ones. A press is
add() (what the thanks frame waits for: the latencies) then save_guard() (the seq's guard copy,
which the kiosk writes once the thanks is shown: counted in presses per second, not in latency).
The history is built by writing sealed segments directly (device.segments.store_sealed: one atomic
write per segment, the same files add() produces) instead of 100,000 fsync'd adds, which would take
minutes. All four are timed in turns, sample by sample, so that disk noise hits them alike.
FOLDER must be on the kiosk's real file system: on tmpfs fsync costs nothing and the figures lie.

--sd-card: the same benchmark on an SD-card-like disk, beside the same disk unthrottled. A fresh
ext4 file system on a loop device (backed by a file in /tmp; bench/cgroup.py) takes the journals;
the second time round this process's writes to it are throttled by the cgroup v1 blkio controller
(--iops write operations and --bps bytes per second). Reported: presses per second the journal
sustains (presses written back to back / their total time) and the latencies, per scenario.
Needs root. Everything made (group, loop device, mount, image) is removed however the run ends.
Exit status 1 when a goal is missed (--goal NAME=VALUE sets one for a run: bench/goals.py).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from cgroup import loop_disk, write_throttle
from goals import add_goal_option, chosen_goals
from tinydb import TinyDB
from tinydb.table import Document

from hailong.device.journal import Journal
from hailong.device.line_storage import FILE_MODE, JSONLinesStorage
from hailong.device.segments import encode, segment_path, store_sealed
from hailong.protocol.files import write_atomic

SEGMENT_SIZE = 256
BASELINE = "baseline: line + fsync"
BY_HAND = "segments by hand"  # the segment writes before TinyDB came back
THROUGH_TINYDB = "segments via TinyDB"  # the same writes through TinyDB's insert
SCENARIOS = {  # name: (presses in history, of which undelivered)
    "1k history": (1_000, 0),
    "100k history": (100_000, 0),
    "10k undelivered": (10_000, 10_000),
}
# An SD card (A1 class: >= 500 random write IOPS; a cheap card sustains ~200, ~10 MB/s).
SD_IOPS, SD_BPS = 200, 10 * 1024 * 1024
GOALS = {
    "growth": 1.5,  # worst p99 / 1k-history p99
    "vs_baseline": 10.0,  # worst p99 / baseline p99
    # --sd-card, throttled, worst journal: a kiosk takes at most one press per cooldown (5 s
    # by default), so 10 presses/s is a fiftyfold margin; no write may outlast the whole
    # press -> thanks budget at a Pi's speed (100 ms); the throttle itself holds writes back
    # in slices of up to ~100 ms (see the baseline's p99).
    "sd_p99_ms": 100.0,
    "sd_rate": 10.0,
}


def press(seq: int) -> dict:
    """Return a realistic press, as the kiosk journals it."""
    ts = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=37 * seq)
    return {
        "v": 1,
        "device": "ubnd-phuong-ben-nghe-01",
        "rating": seq % 4 + 1,
        "reason": None,
        "ts": ts.isoformat(timespec="milliseconds"),
        "synced": True,
        "boot": "3f1c9a2e-8d7b-4c55-9e0a-6b2f4d8c1a77",
        "mono": 12345.678 + seq,
        "counter": "Q1",
        "official": "cb-03",
        "field": "ho-tich",
        "dossier": None,
        "mode": "live",
    }


def build_history(folder: Path, presses: int, undelivered: int) -> Journal:
    """Write presses as sealed segments, acknowledge the delivered ones, open the journal."""
    folder.mkdir()
    for first in range(1, presses + 1, SEGMENT_SIZE):
        last = min(first + SEGMENT_SIZE - 1, presses)
        store_sealed(folder, [{**press(seq), "seq": seq} for seq in range(first, last + 1)])
    journal = Journal.open(folder, segment_size=SEGMENT_SIZE)
    journal.mark_delivered(presses - undelivered)
    return journal


# A writer stores press seq and returns how long the press waited for it, in seconds.
Writer = Callable[[int], float]


def baseline_append(file: BinaryIO) -> Writer:
    """Return a writer that appends one JSON line to file and fsyncs it."""

    def append(seq: int) -> float:
        start = time.perf_counter()
        file.write(encode({**press(seq), "seq": seq}) + b"\n")
        file.flush()
        os.fsync(file.fileno())
        return time.perf_counter() - start

    return append


def segments_by_hand(folder: Path, cleanup: ExitStack) -> Writer:
    """Return a writer doing the segment writes by hand: an atomic new file, then line + fsync.

    Its open segment is closed when cleanup closes (an open file keeps --sd-card's disk busy).
    """
    folder.mkdir()
    state = {"fd": -1, "size": 0}
    cleanup.callback(lambda: state["fd"] >= 0 and os.close(state["fd"]))

    def append(seq: int) -> float:
        start = time.perf_counter()
        record = {**press(seq), "seq": seq}
        line = encode(record) + b"\n"
        if seq % SEGMENT_SIZE == 0:
            if state["fd"] >= 0:
                os.close(state["fd"])
            path = write_atomic(segment_path(folder, seq), line, mode=FILE_MODE)
            state["fd"], state["size"] = os.open(path, os.O_WRONLY), len(line)
        else:
            os.pwrite(state["fd"], line, state["size"])
            os.fsync(state["fd"])
            state["size"] += len(line)
        return time.perf_counter() - start

    return append


def segments_via_tinydb(folder: Path, cleanup: ExitStack) -> Writer:
    """Return a writer inserting each press into its segment's TinyDB (JSONLinesStorage)."""
    folder.mkdir()
    dbs: list[TinyDB] = []
    cleanup.callback(lambda: dbs and dbs.pop().close())

    def insert(seq: int) -> float:
        start = time.perf_counter()
        record = {**press(seq), "seq": seq}
        if seq % SEGMENT_SIZE == 0:
            if dbs:
                dbs.pop().close()
            dbs.append(TinyDB(segment_path(folder, seq), storage=JSONLinesStorage, first=seq))
        dbs[0].insert(Document(record, doc_id=seq))
        return time.perf_counter() - start

    return insert


def journal_add(journal: Journal) -> Writer:
    """Return a writer that adds one press to journal, then saves the guard copy as the kiosk does."""

    def add(seq: int) -> float:
        start = time.perf_counter()
        journal.add(press(seq))
        waited = time.perf_counter() - start
        journal.save_guard()  # after the thanks frame: the press does not wait for it
        return waited

    return add


def measure(writers: dict[str, Writer], samples: int,
            in_turns: bool = True) -> dict[str, list[tuple[float, float]]]:  # fmt: skip
    """Time each writer samples times, in turns or each alone; return (press, whole) ms per sample.

    In turns, disk noise hits every writer alike. Alone, a writer has the whole write budget of a
    throttled disk to itself, and its whole time tells the presses per second it sustains.
    """
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in writers}
    order = [(seq, name) for seq in range(samples) for name in writers]
    if not in_turns:
        order.sort(key=lambda step: list(writers).index(step[1]))
    for seq, name in order:
        start = time.perf_counter()
        waited = writers[name](seq)
        times[name].append((waited * 1000, (time.perf_counter() - start) * 1000))
    return times


def press_ms(times: list[tuple[float, float]]) -> list[float]:
    """Return what each press waited for, in milliseconds."""
    return [waited for waited, _ in times]


def rate(times: list[tuple[float, float]]) -> float:
    """Return the presses per second sustained: presses over their whole time, guard included."""
    return len(times) / (sum(whole for _, whole in times) / 1000)


def percentiles(values: list[float]) -> tuple[float, float]:
    """Return p50 and p99 of values."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def report(times: dict[str, list[tuple[float, float]]], goals: dict[str, float]) -> bool:
    """Print the table and the goals; return whether every goal is met."""
    figures = {name: percentiles(press_ms(values)) for name, values in times.items()}
    print(f"{'durable write':<28}{'p50 ms':>9}{'p99 ms':>9}{'p99 / baseline':>16}")
    base_p99 = figures[BASELINE][1]
    for name, (p50, p99) in figures.items():
        print(f"{name:<28}{p50:>9.3f}{p99:>9.3f}{p99 / base_p99:>15.1f}x")
    hand, tiny = figures[BY_HAND], figures[THROUGH_TINYDB]
    print(f"TinyDB's insert path costs a press {tiny[0] - hand[0]:+.3f} ms at p50, "
          f"{tiny[1] - hand[1]:+.3f} ms at p99 (same run, segments of {SEGMENT_SIZE})")  # fmt: skip
    worst_p99 = max(p99 for name, (_, p99) in figures.items() if name in SCENARIOS)
    growth = goal("worst p99 / 1k-history p99", worst_p99 / figures["1k history"][1],
                  goals["growth"])  # fmt: skip
    versus = goal("worst p99 / baseline p99", worst_p99 / base_p99, goals["vs_baseline"])
    return growth and versus


def goal(label: str, value: float, limit: float) -> bool:
    """Print whether value stays within limit; return it."""
    print(f"goal: {label} = {value:.2f} <= {limit}: {'met' if value <= limit else 'MISSED'}")
    return value <= limit


def run(root: Path, samples: int, in_turns: bool = True) -> dict[str, list[tuple[float, float]]]:
    """Build the histories under root and time every writer; return the times."""
    started = time.perf_counter()
    journals = {
        name: build_history(root / name.replace(" ", "-"), *shape)
        for name, shape in SCENARIOS.items()
    }
    print(f"built histories in {time.perf_counter() - started:.1f} s under {root}")
    with ExitStack() as cleanup:
        for journal in journals.values():
            cleanup.callback(journal.close)
        baseline = cleanup.enter_context((root / "baseline.jsonl").open("ab"))
        writers = {BASELINE: baseline_append(baseline)}
        writers[BY_HAND] = segments_by_hand(root / "by-hand", cleanup)
        writers[THROUGH_TINYDB] = segments_via_tinydb(root / "tinydb", cleanup)
        writers |= {name: journal_add(journal) for name, journal in journals.items()}
        return measure(writers, samples, in_turns)


def sd_card(samples: int, iops: int, bps: int) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """Time the writers on a fresh loop device, unthrottled then throttled like an SD card."""
    prefix = "bench-journal-sd-"
    with (
        tempfile.TemporaryDirectory(prefix=prefix, dir="/tmp") as temp,
        loop_disk(Path(temp), 512) as (mount, device),
    ):
        figures = {"loop device, unthrottled": run(fresh(mount / "plain"), samples, False)}
        with write_throttle(device, iops, bps):
            name = f"throttled: {iops} writes/s, {bps / 2**20:g} MB/s"
            figures[name] = run(fresh(mount / "throttled"), samples, False)
    return figures


def fresh(folder: Path) -> Path:
    """Create an empty folder; return it."""
    folder.mkdir()
    return folder


def sd_report(figures: dict[str, dict[str, list[tuple[float, float]]]],
              goals: dict[str, float]) -> bool:  # fmt: skip
    """Print presses/s and latencies per disk and scenario; return whether the goals are met."""
    print(f"{'disk':<40}{'scenario':<18}{'presses/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for disk, times in figures.items():
        for name, values in times.items():
            p50, p99 = percentiles(press_ms(values))
            print(f"{disk:<40}{name:<18}{rate(values):>10.0f}{p50:>9.2f}{p99:>9.2f}")
    slow = list(figures.values())[-1]
    journals = {name: values for name, values in slow.items() if name in SCENARIOS}
    worst_rate = min(rate(v) for v in journals.values())
    worst_p99 = max(percentiles(press_ms(v))[1] for v in journals.values())
    rate_met = worst_rate >= goals["sd_rate"]
    print(f"goal: throttled worst presses/s = {worst_rate:.1f} >= {goals['sd_rate']:g}: "
          f"{'met' if rate_met else 'MISSED'}")  # fmt: skip
    return goal("throttled worst p99 ms", worst_p99, goals["sd_p99_ms"]) and rate_met


def main() -> int:
    """Time the writes and print the figures; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8 * SEGMENT_SIZE)
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="where to write (real disk)")
    parser.add_argument("--sd-card", action="store_true", help="on a throttled loop device")
    parser.add_argument("--iops", type=int, default=SD_IOPS, help="with --sd-card: writes/s")
    parser.add_argument("--bps", type=int, default=SD_BPS, help="with --sd-card: bytes/s")
    add_goal_option(parser, GOALS)
    args = parser.parse_args()
    goals = chosen_goals(parser, GOALS, args.goal)
    if args.sd_card:
        met = sd_report(sd_card(args.samples, args.iops, args.bps), goals)
        return 0 if met else 1
    with tempfile.TemporaryDirectory(prefix="bench-journal-", dir=args.dir) as temp:
        times = run(Path(temp), args.samples)
    print(f"{args.samples} samples each, segments of {SEGMENT_SIZE} presses; add() = one line "
          "appended + fsync (a new segment: an atomic write); latencies are add() alone")  # fmt: skip
    for name, values in times.items():
        guard = " (with the guard copy after each)" if name in SCENARIOS else ""
        print(f"{name:<28}{rate(values):>9.0f} presses/s{guard}")
    return 0 if report(times, goals) else 1


if __name__ == "__main__":
    sys.exit(main())
