"""Measure the kiosk's press-to-thanks latency, idle CPU and memory, each beside a baseline.

Run: .venv/bin/python bench/bench_kiosk.py [--quick] [--presses N] [--dir FOLDER]

(a) Press -> thanks frame drawn: the app's own wiring (hardware.open_display/open_panel/open_sound, SDL
    dummy driver, gpiozero mock pins, a private mosquitto with a collector that acks) runs its loop
    on the main thread; a feeder thread puts ButtonPressed events stamped with time.monotonic() in
    the inbox and the time is taken when Screen.draw has finished the thanks frame. Baseline: the
    bare Screen.draw of the same thanks frame on the same screen.
(b) Idle CPU: `hailong-kiosk run` as a child (SDL dummy, GPIOZERO_PIN_FACTORY=mock, the broker),
    its utime+stime from /proc/PID/stat over the window (60 s, 10 s with --quick). Baseline: a
    child running `time.sleep`, measured over the same window.
(c) RSS: VmRSS of that kiosk child at the end of the window, beside a child that imported pygame.
FOLDER (the journal) must be on the kiosk's real file system: each press is fsync'd before it shows.
Exit status 1 when a goal is missed.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import paho.mqtt.client as paho  # noqa: E402

from hailong.device import hardware  # noqa: E402
from hailong.device.app import KioskApp  # noqa: E402
from hailong.device.clock import Clock  # noqa: E402
from hailong.device.config import KioskConfig, KioskSettingsFile, MqttSettings, ScreenSettings  # noqa: E402
from hailong.device.events import ButtonPressed  # noqa: E402
from hailong.device.frame import Frame  # noqa: E402
from hailong.device.inbox import Inbox  # noqa: E402
from hailong.device.journal import Journal  # noqa: E402
from hailong.device.uplink import Uplink  # noqa: E402
from hailong.protocol import Ack, Topics, parse_press  # noqa: E402
from hailong.server.broker.private import Mosquitto  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GOAL_P99_MS, GOAL_IDLE_CPU_PCT, GOAL_RSS_MB = 50.0, 1.0, 80.0
# Longer than any press should take: a thanks view that ends before it is drawn is never seen.
COOLDOWN_S = 0.08
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Feeder(threading.Thread):
    """Press once the kiosk is idle again; time each press until its thanks frame is drawn."""

    def __init__(self, app: KioskApp, presses: int, stop: threading.Event):
        super().__init__(name="feeder", daemon=True)
        self.app, self.presses, self.stop = app, presses, stop
        self.drawn = threading.Condition()
        self.view, self.thanks_count, self.thanks_at = "", 0, 0.0
        self.latencies: list[float] = []
        self.missed = 0

    def on_draw(self, frame: Frame) -> None:
        """Note a frame the loop has just drawn (called on the loop's thread)."""
        with self.drawn:
            self.view = frame.view
            if frame.view == "thanks":
                self.thanks_count, self.thanks_at = self.thanks_count + 1, time.monotonic()
            self.drawn.notify_all()

    def run(self) -> None:
        try:
            self._wait(lambda: self.app.uplink.connected, 15)
            for n in range(self.presses):
                if not self._wait(lambda: self.view == "idle" and self.app.kiosk.view == "idle", 5):
                    break
                before, at = self.thanks_count, time.monotonic()
                self.app.inbox.put(ButtonPressed(1 + n % 4, at))
                if self._wait(lambda b=before: self.thanks_count > b, 2):
                    self.latencies.append((self.thanks_at - at) * 1000)
                else:
                    self.missed += 1
        finally:
            self.stop.set()
            self.app.inbox.put(None)

    def _wait(self, predicate, timeout: float) -> bool:
        with self.drawn:
            return self.drawn.wait_for(predicate, timeout)


def kiosk_config(folder: Path, broker: Mosquitto) -> KioskConfig:
    """Return a windowed kiosk config for the private broker, journaling under folder."""
    return KioskConfig(
        device="bench", state_dir=folder, mqtt=MqttSettings(port=broker.port),
        kiosk=KioskSettingsFile(cooldown_s=COOLDOWN_S), screen=ScreenSettings(fullscreen=False),
    )  # fmt: skip


def start_acker(broker: Mosquitto) -> paho.Client:
    """Acknowledge every press at once, as a collector keeping up would."""
    topics = Topics()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)

    def on_message(c, _u, msg):
        c.publish(topics.ack("bench"), Ack(parse_press(msg.payload).seq).to_bytes(), 1, True)

    client.on_connect = lambda c, *_: c.subscribe(topics.press("bench"), 1)
    client.on_message = on_message
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def draw_baseline(screen, frames: int) -> list[float]:
    """Time the bare Screen.draw of a thanks frame, idle frames drawn in between as in use."""
    now = datetime.now().replace(second=0, microsecond=0)
    latencies = []
    for n in range(frames):
        thanks = Frame(view="thanks", now=now, rating=4 - n % 4, clock_synced=False)
        start = time.monotonic()
        screen.draw(thanks)
        latencies.append((time.monotonic() - start) * 1000)
        screen.draw(Frame(view="idle", now=now, clock_synced=False))
    return latencies


def measure_latency(folder: Path, broker: Mosquitto, presses: int) -> tuple[Feeder, list[float]]:
    """Run the app on this thread while the feeder presses; return it and the draw baseline."""
    config = kiosk_config(folder, broker)
    inbox, stop = Inbox(), threading.Event()
    display = hardware.open_display(config)
    baseline = draw_baseline(display.screen, presses)
    journal = Journal.open(folder / "journal")
    app = KioskApp(config, journal, Clock(config.tz), inbox, Uplink(config, inbox.put, None),
                   display=display, panel=hardware.open_panel(config, inbox),
                   sound=hardware.open_sound(config), version="bench")  # fmt: skip
    feeder = Feeder(app, presses, stop)
    draw = display.screen.draw

    def timed_draw(frame: Frame) -> None:
        draw(frame)
        feeder.on_draw(frame)

    display.screen.draw = timed_draw
    feeder.start()
    app.run(stop)
    feeder.join(10)
    return feeder, baseline


def cpu_seconds(pid: int) -> float:
    """Return the user+system CPU time of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    """Return a process's resident set size in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def start_child(args: list[str], log: Path) -> subprocess.Popen:
    """Start a Python child with the kiosk's environment, logging to a file."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip


def wait_for_log(child: subprocess.Popen, log: Path, text: str, timeout: float) -> None:
    """Wait until the child logged text; fail if it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if child.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"{log.name}: no {text!r} within {timeout} s:\n{log.read_text()[-2000:]}")


def measure_idle(folder: Path, broker: Mosquitto, window: float) -> dict[str, float]:
    """Run an idle kiosk and two plain Pythons side by side; return CPU % and RSS in MB."""
    config = folder / "idle.toml"
    config.write_text(
        f'device = "idle"\nstate_dir = "{folder / "idle"}"\n[mqtt]\nport = {broker.port}\n'
        "[screen]\nfullscreen = false\n"
    )
    sleeper = f"import time; time.sleep({window + 60})"
    children = {
        "kiosk": start_child(
            ["-m", "hailong.device.cli", "--config", str(config), "run"], folder / "kiosk.log"
        ),  # fmt: skip
        "sleep": start_child(["-c", sleeper], folder / "sleep.log"),
        "pygame": start_child(["-c", f"import pygame; {sleeper}"], folder / "pygame.log"),
    }
    try:
        wait_for_log(children["kiosk"], folder / "kiosk.log", "connected to the broker", 30)
        time.sleep(2)  # let start-up work (imports, first frame, health) pass: idle is after
        cpu = {name: cpu_seconds(c.pid) for name, c in children.items()}
        started = time.monotonic()
        time.sleep(window)
        elapsed = time.monotonic() - started
        for name, child in children.items():
            if child.poll() is not None:
                tail = (folder / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited ({child.returncode}) during the window:\n{tail}")
        figures = {f"{n} cpu %": (cpu_seconds(c.pid) - cpu[n]) / elapsed * 100
                   for n, c in children.items()}  # fmt: skip
        figures |= {f"{n} rss MB": rss_mb(c.pid) for n, c in children.items()}
    finally:
        for child in children.values():
            child.terminate()
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(5)
    return figures


def percentiles(values: list[float]) -> tuple[float, float]:
    """Return p50 and p99 of values."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def goal(label: str, value: float, limit: float) -> bool:
    """Print whether value stays within limit; return it."""
    print(f"goal: {label} = {value:.2f} <= {limit:g}: {'met' if value <= limit else 'MISSED'}")
    return value <= limit


def report(feeder: Feeder, baseline: list[float], idle: dict[str, float], window: float) -> bool:
    """Print the table and the goals; return whether every goal is met."""
    p50, p99 = percentiles(feeder.latencies)
    b50, b99 = percentiles(baseline)
    rows = [
        ("press -> thanks drawn p50 / p99", f"{p50:.1f} / {p99:.1f} ms",
         "Screen.draw alone", f"{b50:.1f} / {b99:.1f} ms"),
        (f"idle CPU over {window:g} s", f"{idle['kiosk cpu %']:.2f} % of a core",
         "python sleeping", f"{idle['sleep cpu %']:.2f} %"),
        ("RSS (VmRSS)", f"{idle['kiosk rss MB']:.1f} MB",
         "python + import pygame", f"{idle['pygame rss MB']:.1f} MB"),
    ]  # fmt: skip
    print(f"{'measure':<34}{'kiosk':>22}   {'baseline':<24}{'':>14}")
    for name, value, base_name, base in rows:
        print(f"{name:<34}{value:>22}   {base_name:<24}{base:>14}")
    print(f"{len(feeder.latencies)} presses timed, {feeder.missed} thanks frames never drawn")
    met = goal("press -> thanks p99 ms", p99, GOAL_P99_MS) and not feeder.missed
    met &= goal("idle CPU % of a core", idle["kiosk cpu %"], GOAL_IDLE_CPU_PCT)
    return goal("RSS MB", idle["kiosk rss MB"], GOAL_RSS_MB) and met


def main() -> int:
    """Measure and print the figures; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="idle window of 10 s, not 60 s")
    parser.add_argument("--presses", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="where to write (real disk)")
    args = parser.parse_args()
    window = 10.0 if args.quick else 60.0
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-", dir=args.dir) as temp:
        folder = Path(temp)
        broker = Mosquitto(folder / "broker", users=None, persistence=False).start()
        acker = start_acker(broker)
        try:
            feeder, baseline = measure_latency(folder / "latency", broker, args.presses)
            idle = measure_idle(folder, broker, window)
        finally:
            acker.disconnect()
            acker.loop_stop()
            broker.kill()
    return 0 if report(feeder, baseline, idle, window) else 1


if __name__ == "__main__":
    sys.exit(main())
