"""The demo: a private broker, ingest, the web page and three simulated kiosks on loopback."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from .broker import COLLECTOR_USER, Mosquitto, free_port
from .db import open_database, presses

KIOSKS = ("quay-1", "quay-2", "quay-3")
OFFICIALS = {"quay-1": "cb-01", "quay-2": "cb-02", "quay-3": "cb-03"}


def write_configs(folder: Path, broker_port: int, web_port: int, passwords: dict) -> Path:
    """Write the collector's and the kiosks' TOML files; return the collector's."""
    for user, password in passwords.items():
        (folder / f"{user}.password").write_text(password)
        os.chmod(folder / f"{user}.password", 0o600)
    collector = folder / "collector.toml"
    collector.write_text(
        f'database = "sqlite:///{folder / "collector.db"}"\n'
        f"[mqtt]\nport = {broker_port}\n"
        f'password_file = "{folder / "collector.password"}"\n'
        f'client_id = "demo-collector"\n'
        f"[web]\nport = {web_port}\n"
    )
    for device in KIOSKS:
        (folder / f"{device}.toml").write_text(
            f'device = "{device}"\nstate_dir = "{folder / device}"\n'
            f'[mqtt]\nport = {broker_port}\npassword_file = "{folder / f"{device}.password"}"\n'
            f"retransmit_after_s = 5\nhealth_interval_s = 10\n"
            f'[kiosk]\ncounter = "Q{device[-1]}"\nofficial = "{OFFICIALS[device]}"\n'
            f"cooldown_s = 0.5\n"
        )
    return collector


def run_demo(folder: Path, web_port: int = 8080, rate: float = 0.5) -> int:
    """Start everything, print the URL and a live count; stop everything on Ctrl-C."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    passwords = {u: secrets.token_urlsafe(16) for u in (COLLECTOR_USER, *KIOSKS)}
    broker = Mosquitto(folder / "broker", users=dict(passwords)).start()
    web_port = web_port if _port_free(web_port) else free_port()
    collector = write_configs(folder, broker.port, web_port, passwords)
    children: list[subprocess.Popen] = []
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        children.append(_spawn(folder, "ingest", "server.cli", "--config", collector, "ingest"))
        children.append(_spawn(folder, "web", "server.cli", "--config", collector, "web"))
        for device in KIOSKS:
            children.append(_spawn(folder, device, "device.cli", "--config",
                                   folder / f"{device}.toml", "run", "--headless",
                                   "--simulate", str(rate)))  # fmt: skip
        print(f"hailong demo: broker {broker.url}, files in {folder}")
        print(f"Summary page: http://127.0.0.1:{web_port}/   (Ctrl-C stops everything)")
        _show_count(folder, children, stopping)
    except KeyboardInterrupt:
        pass
    finally:
        _stop_all(children)
        broker.stop()
        print("\nhailong demo: stopped; nothing left running.")
    return 0


def _spawn(folder: Path, name: str, module: str, *args) -> subprocess.Popen:
    log = open(folder / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen([sys.executable, "-m", module, *map(str, args)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
    finally:
        log.close()


def _show_count(folder: Path, children, stopping) -> None:
    engine = open_database(f"sqlite:///{folder / 'collector.db'}")
    while not stopping:
        dead = [c for c in children if c.poll() is not None]
        if dead:
            print(
                f"\nhailong demo: a process exited (status {dead[0].returncode}); see the logs in {folder}"
            )
            return
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(presses)).scalar_one()
        print(f"\rpresses stored: {stored}", end="", flush=True)
        time.sleep(1)


def _stop_all(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
