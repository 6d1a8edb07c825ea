"""Measure the real kiosk process at full speed and, with --cpu-quota, at a Raspberry Pi's speed.

Run: .venv/bin/python bench/bench_kiosk.py [--cpu-quota 0.125] [--quick] [--dir FOLDER]

Every figure comes from `hailong-kiosk run` children (SDL dummy video, gpiozero mock pins, a real
journal on disk, a private mosquitto and a real `hailong-collector ingest` acking on SQLite). With
--cpu-quota C each measurement runs twice in the same invocation: unrestricted, then inside a
cgroup v1 cpu group of C cores (period 10 ms: a long period would let a burst run, then stall it,
which reads as latency; bench/cgroup.py). The child joins the group before exec.
(a) press -> thanks frame drawn (bench/kiosk_child.py: a feeder thread in the kiosk process puts
    ButtonPressed events in its inbox; includes the durable journal write, whose own p50 / p99 is
    printed beside). Baseline: the bare Screen.draw of the same thanks frame, in the same process.
(b) process start -> idle screen drawn: the kiosk says READY=1 to $NOTIFY_SOCKET (sd_notify) once
    its first frame is on the screen; its journal holds --history delivered presses. Median of
    --starts starts. Baseline: `python -c "import pygame"` run to its end.
(c) idle CPU and RSS over the window (60 s, 10 s with --quick) after the last start, all kiosks
    side by side with a sleeping python and a python that imported pygame.
(d) drain: a headless kiosk starts with --drain undelivered presses; seconds from its start until
    its journal's ack watermark reaches the last one.
FOLDER (the journals) must be on the kiosk's real file system: each press is fsync'd before it shows.
Exit status 1 when a goal is missed (--goal NAME=VALUE sets one for a run: bench/goals.py).
"""

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack, nullcontext
from pathlib import Path

import kiosk_runs as runs
from cgroup import CpuQuota
from goals import add_goal_option, chosen_goals

sys.path.insert(0, str(runs.ROOT))
from hailong.server.broker.private import Mosquitto  # noqa: E402
from tests.support import collector_toml, wait_collector_online  # noqa: E402

# Goals per mode (full: one core, quota: --cpu-quota): press p99 ms, start s, drain s; idle CPU
# % of a core and RSS MB are the same for both.
GOALS = {
    "full_p99_ms": 50.0, "full_start_s": 5.0, "full_drain_s": 5.0,
    "quota_p99_ms": 100.0, "quota_start_s": 5.0, "quota_drain_s": 30.0,
    "idle_cpu_pct": 1.0, "rss_mb": 80.0,
}  # fmt: skip


def percentiles(values: list[float]) -> tuple[float, float]:
    """Return p50 and p99 of values."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def goal(label: str, value: float, limit: float) -> bool:
    """Print whether value stays within limit; return it."""
    print(f"goal: {label} = {value:.2f} <= {limit:g}: {'met' if value <= limit else 'MISSED'}")
    return value <= limit


def start_ingest(folder: Path, broker: Mosquitto, stack: ExitStack) -> None:
    """Start a real collector ingest (SQLite) that acks every kiosk; stop it when stack closes."""
    config = collector_toml(folder, broker, batch_size=1000, batch_ms=20)
    ingest = runs.start(["-m", "hailong.server.cli", "--config", str(config), "ingest"],
                        folder / "ingest.log", None)  # fmt: skip
    stack.callback(runs.stop, ingest)
    wait_collector_online(broker)


def starts(folder, broker, modes, count: int, history: int) -> tuple[dict, dict]:
    """Start each mode's kiosk count times, in turns; return start seconds and the last kiosks."""
    seconds: dict[str, list[float]] = {mode: [] for mode in modes}
    for mode in modes:
        runs.fill_journal(folder / f"start-{mode}", f"start-{mode}", history, history)
    kiosks = {}
    for n in range(count):
        for mode, quota in modes.items():
            child, took = runs.start_to_ready(folder, broker, quota, f"start-{mode}")
            seconds[mode].append(took)
            if n < count - 1:
                runs.stop(child)
            else:
                kiosks[mode] = child
    return seconds, kiosks


def baseline_start(folder: Path, quota: CpuQuota | None) -> float:
    """Return seconds to start python, import pygame and exit, in the mode's cgroup."""
    started = time.monotonic()
    runs.start(["-c", "import pygame"], folder / "baseline.log", quota).wait(60)
    return time.monotonic() - started


def measure(folder: Path, modes: dict, args) -> dict[str, dict]:
    """Run every measurement for every mode; return the figures by mode."""
    figures: dict[str, dict] = {mode: {} for mode in modes}
    with ExitStack() as stack:
        broker = Mosquitto(folder / "broker", users=None, persistence=True).start()
        stack.callback(broker.kill)
        start_ingest(folder, broker, stack)
        for mode, quota in modes.items():
            figures[mode]["press"] = runs.press_latency(folder, broker, mode, quota, args.presses)
            figures[mode]["import pygame s"] = baseline_start(folder, quota)
        seconds, kiosks = starts(folder, broker, modes, args.starts, args.history)
        sleeper = f"import time; time.sleep({args.window + 60})"
        others = {
            "sleep": runs.start(["-c", sleeper], folder / "sleep.log", None),
            "pygame": runs.start(["-c", f"import pygame; {sleeper}"], folder / "pg.log", None),
        }
        try:
            time.sleep(2)  # let start-up work (connecting, the first health report) pass
            idle = runs.idle({**kiosks, **others}, args.window)
        finally:
            for child in [*kiosks.values(), *others.values()]:
                runs.stop(child)
        for mode, quota in modes.items():
            figures[mode] |= {"start s": seconds[mode], "idle": idle[mode], "base idle": idle}
            if args.drain:
                figures[mode]["drain s"] = runs.drain(folder, broker, mode, quota, args.drain)
    return figures


def slow_presses(press: dict, goal_ms: float) -> None:
    """Print what the presses slower than the goal have in common (a diagnosis, no goal)."""
    slow = [n for n, ms in enumerate(press["latencies"]) if ms > goal_ms]
    if not slow or press["missed"] or len(press.get("unacked", [])) != len(press["latencies"]):
        return
    waited = sum(press["picked"][n] > goal_ms / 2 for n in slow)
    unacked = sum(press["unacked"][n] for n in slow)
    journal = sum(press["journal"][n] > goal_ms / 2 for n in slow)
    print(f"   {len(slow)} over {goal_ms:g} ms: {waited} waited over {goal_ms / 2:g} ms for the loop, "
          f"{journal} had a journal write over {goal_ms / 2:g} ms, {unacked} came before the "
          f"previous press's ack ({sum(press['unacked'])} of all)")  # fmt: skip


def report(figures: dict[str, dict], args) -> bool:
    """Print the table and the goals for each mode; return whether every goal is met."""
    met = True
    for mode, f in figures.items():
        p50, p99 = percentiles(f["press"]["latencies"])
        b50, b99 = percentiles(f["press"]["baseline"])
        (cpu, rss), idle = f["idle"], f["base idle"]
        start = statistics.median(f["start s"])
        print(f"\n== {mode}: {'one core' if mode == 'full' else f'{args.cpu_quota:g} of a core'}")
        print(f"press -> thanks drawn p50 / p99   {p50:7.1f} / {p99:5.1f} ms"
              f"   Screen.draw alone {b50:.1f} / {b99:.1f} ms")  # fmt: skip
        if f["press"].get("journal"):
            j50, j99 = percentiles(f["press"]["journal"])
            print(f"   of which the journal write     {j50:7.1f} / {j99:5.1f} ms")
        if f["press"].get("picked"):
            w50, w99 = percentiles(f["press"]["picked"])
            print(f"   of which waiting for the loop  {w50:7.1f} / {w99:5.1f} ms")
            slow_presses(f["press"], goal_ms=args.goals[f"{mode}_p99_ms"])
        print(f"start -> idle drawn (median)      {start:7.2f} s"
              f"   every start {' '.join(f'{s:.2f}' for s in f['start s'])};"
              f" python + import pygame {f['import pygame s']:.2f} s")  # fmt: skip
        print(f"idle CPU over {args.window:g} s            {cpu:7.2f} %"
              f"   python sleeping {idle['sleep'][0]:.2f} %")  # fmt: skip
        print(f"RSS (VmRSS)                       {rss:7.1f} MB"
              f"   python + import pygame {idle['pygame'][1]:.1f} MB")  # fmt: skip
        n, missed = len(f["press"]["latencies"]), f["press"]["missed"]
        print(f"{n} presses timed, {missed} thanks frames never drawn")
        g = {name: args.goals[f"{mode}_{name}"] for name in ("p99_ms", "start_s", "drain_s")}
        met &= goal(f"{mode} press -> thanks p99 ms", p99, g["p99_ms"]) and not missed
        met &= goal(f"{mode} start -> idle drawn s", start, g["start_s"])
        met &= goal(f"{mode} idle CPU % of a core", cpu, args.goals["idle_cpu_pct"])
        met &= goal(f"{mode} RSS MB", rss, args.goals["rss_mb"])
        if "drain s" in f:
            met &= goal(f"{mode} drain {args.drain:,} s (from start)", f["drain s"], g["drain_s"])
    return met


def main() -> int:
    """Measure and print the figures; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-quota", type=float, metavar="CORES",
                        help="also run every measurement in a cgroup of CORES (e.g. 0.125)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="idle window of 10 s, not 60 s")
    parser.add_argument("--presses", type=int, default=500)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--history", type=int, default=100_000, help="delivered presses at start")
    parser.add_argument("--drain", type=int, default=10_000, help="backlog to drain (0: skip)")
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="where to write (real disk)")
    add_goal_option(parser, GOALS)
    args = parser.parse_args()
    args.goals = chosen_goals(parser, GOALS, args.goal)
    args.window = 10.0 if args.quick else 60.0
    with ExitStack() as stack:
        quota = stack.enter_context(CpuQuota(args.cpu_quota) if args.cpu_quota else nullcontext())
        modes = {"full": None, **({"quota": quota} if quota else {})}
        folder = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-kiosk-", dir=args.dir))
        )
        figures = measure(folder, modes, args)
    return 0 if report(figures, args) else 1


if __name__ == "__main__":
    sys.exit(main())
