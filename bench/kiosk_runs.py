"""The kiosk processes bench_kiosk.py times: each a real `hailong-kiosk run`, optionally in a CPU quota.

Every child starts with the kiosk's service environment (SDL dummy, gpiozero mock pins) and, when
a CpuQuota is given, joins its cgroup before exec, so the interpreter's start and every import
run at that speed too.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from cgroup import CpuQuota

from hailong.device.segments import store_sealed
from hailong.server.broker.private import Mosquitto

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
KIOSK_ENV = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
             "GPIOZERO_PIN_FACTORY": "mock", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}  # fmt: skip
# A thanks view that ends before it is drawn is never seen: such a press counts as missed.
COOLDOWN_S = 0.25


def kiosk_toml(folder: Path, broker: Mosquitto, device: str, screen: bool) -> Path:
    """Write a kiosk config for the broker, its journal under folder/device; return its path."""
    screen_lines = "fullscreen = false" if screen else "enabled = false"
    path = folder / f"{device}.toml"
    path.write_text(
        f'device = "{device}"\nstate_dir = "{folder / device}"\n[mqtt]\nport = {broker.port}\n'
        f"inflight = 1000\n[kiosk]\ncooldown_s = {COOLDOWN_S}\n[screen]\n{screen_lines}\n"
    )
    return path


def press(device: str, seq: int, acked: bool) -> dict:
    """Return a realistic journaled press; delivered ones carry a dossier code, as rated ones do."""
    dossier = f"H12.22-250101-{seq:06d}" if acked and seq % 3 == 0 else None
    return {"v": 1, "device": device, "seq": seq, "rating": 1 + seq % 4, "reason": None,
            "ts": "2025-03-05T08:30:00.123+07:00", "synced": True, "boot": "b", "mono": seq + 0.5,
            "counter": "Q1", "official": "cb-01", "field": "ho-tich", "dossier": dossier,
            "mode": "live"}  # fmt: skip


def fill_journal(state_dir: Path, device: str, presses: int, acked: int) -> None:
    """Journal presses as sealed segments (as days of use leave them), the first `acked` delivered."""
    folder = state_dir / "journal"
    folder.mkdir(parents=True)
    for first in range(1, presses + 1, 256):
        last = min(first + 255, presses)
        store_sealed(folder, [press(device, s, s <= acked) for s in range(first, last + 1)])
    (folder / "meta.json").write_text(json.dumps({"v": 1, "seq": presses, "session": 1}))
    (folder / "ack.json").write_text(json.dumps({"v": 1, "upto": acked}))


def start(args: list[str], log: Path, quota: CpuQuota | None, env: dict | None = None):
    """Start a Python child with the kiosk's environment, in the quota's cgroup when given."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env={**os.environ, **KIOSK_ENV, **(env or {})},
            preexec_fn=quota.join if quota else None,
        )  # fmt: skip


def stop(child: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a child with SIGTERM, killing it if it does not stop in time."""
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(5)


def press_latency(folder: Path, broker: Mosquitto, mode: str, quota: CpuQuota | None,
                  presses: int) -> dict:  # fmt: skip
    """Run the kiosk with a feeder pressing it; return latencies, missed and the draw baseline."""
    name = f"latency-{mode}"
    config = kiosk_toml(folder, broker, name, True)
    out, log = folder / f"{name}.json", folder / f"{name}.log"
    child = start([str(BENCH / "kiosk_child.py"), str(out), str(presses), "--", "--config",
                   str(config), "run"], log, quota)  # fmt: skip
    try:
        child.wait(60 + presses * 2)
    finally:
        stop(child)
    if not out.exists():
        raise RuntimeError(f"{name}: no figures:\n{log.read_text(errors='replace')[-2000:]}")
    return json.loads(out.read_text())


def start_to_ready(folder: Path, broker: Mosquitto, quota: CpuQuota | None, name: str):
    """Start a kiosk with a screen; return it and the seconds until it said READY (screen drawn)."""
    address = folder / f"{name}.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(address))
        sock.settimeout(1)
        config = kiosk_toml(folder, broker, name, True)
        started = time.monotonic()
        child = start(["-m", "hailong.device.cli", "--config", str(config), "run"],
                      folder / f"{name}.log", quota, {"NOTIFY_SOCKET": str(address)})  # fmt: skip
        try:
            ready = wait_ready(sock, child, started + 60)
        except BaseException:
            stop(child)
            raise
        finally:
            address.unlink()  # later sd_notify calls fail quietly instead of filling the socket
    return child, ready - started


def wait_ready(sock: socket.socket, child: subprocess.Popen, deadline: float) -> float:
    """Return when READY=1 arrived on sock; fail if the child exits or the deadline passes."""
    while time.monotonic() < deadline:
        try:
            if b"READY=1" in sock.recv(4096).split(b"\n"):
                return time.monotonic()
        except TimeoutError:
            if child.poll() is not None:
                break
    raise RuntimeError(f"kiosk not ready (exit status {child.poll()})")


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


def idle(children: dict[str, subprocess.Popen], window: float) -> dict[str, tuple[float, float]]:
    """Return each child's CPU % of a core over the window, and its RSS in MB at the end."""
    cpu = {name: cpu_seconds(c.pid) for name, c in children.items()}
    started = time.monotonic()
    time.sleep(window)
    elapsed = time.monotonic() - started
    for name, child in children.items():
        if child.poll() is not None:
            raise RuntimeError(f"{name} exited ({child.returncode}) during the idle window")
    return {name: ((cpu_seconds(c.pid) - cpu[name]) / elapsed * 100, rss_mb(c.pid))
            for name, c in children.items()}  # fmt: skip


def drain(folder: Path, broker: Mosquitto, mode: str, quota: CpuQuota | None,
          backlog: int) -> float:  # fmt: skip
    """Return seconds from a headless kiosk's start with `backlog` undelivered presses to all acked."""
    name = f"drain-{mode}"
    fill_journal(folder / name, name, backlog, 0)
    config = kiosk_toml(folder, broker, name, False)
    ack = folder / name / "journal" / "ack.json"
    started = time.monotonic()
    child = start(["-m", "hailong.device.cli", "--config", str(config), "run", "--headless"],
                  folder / f"{name}.log", quota)  # fmt: skip
    try:
        while time.monotonic() < started + 300:
            if acked(ack) >= backlog:
                return time.monotonic() - started
            if child.poll() is not None:
                break
            time.sleep(0.01)
    finally:
        stop(child)
    raise RuntimeError(f"{name}: {acked(ack)} of {backlog} acked (exit status {child.poll()})")


def acked(path: Path) -> int:
    """Peek at a running kiosk's delivery watermark without its lock."""
    try:
        return json.loads(path.read_text())["upto"]
    except (FileNotFoundError, json.JSONDecodeError):
        return 0
