"""The demo: a private broker, ingest, the web page and three simulated kiosks on loopback."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hailong.server.broker.private import COLLECTOR_USER, Mosquitto, free_port
from hailong.server.demo_office import COUNTERS, seed_office
from hailong.server.demo_tls import demo_tls
from hailong.server.storage.db import open_database, presses

KIOSKS = tuple(c.kiosk for c in COUNTERS)
TIME_ZONE = "Asia/Ho_Chi_Minh"
REPORT_SETTINGS = """# The demo office's report settings (see config/report.toml for every key).
unit_name = "Ủy ban nhân dân xã An Bình"
parent_name = "Ủy ban nhân dân tỉnh Đồng Nai"
place = "An Bình"
number = "Số:      /BC-UBND"
recipients = ["Văn phòng UBND tỉnh", "Thường trực Đảng ủy xã", "Lưu: VT, VP-TK"]
signer_authority = "TM. ỦY BAN NHÂN DÂN"
signer_title = "CHỦ TỊCH"
signer_name = "Nguyễn Văn Minh"
"""


def write_configs(folder: Path, broker: Mosquitto, web_port: int, passwords: dict) -> Path:
    """Write the collector's and the kiosks' TOML files; return the collector's."""
    broker_port = broker.port
    for user, password in passwords.items():
        (folder / f"{user}.password").write_text(password)
        os.chmod(folder / f"{user}.password", 0o600)
    collector = folder / "collector.toml"
    collector.write_text(
        f'database = "sqlite:///{folder / "collector.db"}"\n'
        f'publish_folder = "{folder / "published"}"\n'
        f"[mqtt]\nport = {broker_port}\n"
        f'password_file = "{folder / "collector.password"}"\n'
        f'client_id = "demo-collector"\n'
        f"[web]\nport = {web_port}\n"
        f'secret_key_file = "{folder / "web-secret.key"}"\n'
        f'report_settings = "{folder / "report.toml"}"\n'
        f'[ingest]\nkeys_dir = "{folder / "keys"}"\n' + registration(broker)
    )
    (folder / "report.toml").write_text(REPORT_SETTINGS, encoding="utf-8")
    for device in KIOSKS:
        (folder / f"{device}.toml").write_text(
            f'device = "{device}"\nstate_dir = "{folder / device}"\n'
            f'[mqtt]\nport = {broker_port}\npassword_file = "{folder / f"{device}.password"}"\n'
            f"retransmit_after_s = 5\nhealth_interval_s = 10\n"
            f'[kiosk]\ncounter = "Q{device[-1]}"\n'  # the official comes with the Config
            f"cooldown_s = 0.5\n"
        )
    return collector


def registration(broker: Mosquitto) -> str:
    """Return the [broker] settings `device add` and the kiosks page need, for the demo's broker."""
    ca_file = broker.tls_listener[0] if broker.tls_listener else broker.folder / "ca.crt"
    # The demo's broker reads these files, and rereads them on SIGHUP to the pid in pid_file.
    return (
        f'[broker]\naddress = "{broker.host}"\nport = {broker.tls_port or broker.port}\n'
        f'ca_file = "{ca_file}"\n'
        f'password_file = "{broker.folder / "passwd"}"\nacl_file = "{broker.folder / "acl"}"\n'
        f'systemd = false\npid_file = "{broker.pid_file}"\n'
    )


def demo_account(folder: Path) -> str:
    """Create (or reset) the web account "demo" (admin) and return its new password."""
    from hailong.server.accounts import users as accounts

    password = secrets.token_urlsafe(12)
    engine = open_database(f"sqlite:///{folder / 'collector.db'}")
    with engine.begin() as conn:
        if accounts.find_user(conn, "demo") is None:
            accounts.add_user(conn, "demo", password, "admin", "demo")
        else:
            accounts.set_user(conn, "demo", "demo", password=password)
    engine.dispose()
    return password


def _seed(folder: Path) -> bool:
    """Seed the office on the demo's first run; later runs keep what is there."""
    engine = open_database(f"sqlite:///{folder / 'collector.db'}")
    try:
        return seed_office(engine, TIME_ZONE, datetime.now(ZoneInfo(TIME_ZONE)).date())
    finally:
        engine.dispose()


@dataclass
class Child:
    """A program the demo runs and, like systemd's Restart=always, starts again if it dies."""

    name: str
    args: tuple
    proc: subprocess.Popen | None = None
    restarts: int = 0

    def start(self, folder: Path) -> None:
        """Start (or restart) the program, appending to its log."""
        with open(folder / f"{self.name}.log", "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", *map(str, self.args)],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)  # fmt: skip


def run_demo(folder: Path, web_port: int = 8080, rate: float = 0.5) -> int:
    """Start everything, print the URL and a live count; stop everything on Ctrl-C."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    passwords = {u: secrets.token_urlsafe(16) for u in (COLLECTOR_USER, *KIOSKS)}
    broker = Mosquitto(folder / "broker", users=dict(passwords),
                       tls_listener=demo_tls(folder / "tls")).start()  # fmt: skip
    web_port = web_port if _port_free(web_port) else free_port()
    collector = write_configs(folder, broker, web_port, passwords)
    web_password = demo_account(folder)
    seeded = _seed(folder)
    kiosks = [Child(d, ("hailong.device.cli", "--config", folder / f"{d}.toml", "run", "--headless",
                        "--simulate", rate)) for d in KIOSKS]  # fmt: skip
    services = [
        Child(name, ("hailong.server.cli", "--config", collector, name))
        for name in ("ingest", "web")
    ]
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        for child in services + kiosks:
            child.start(folder)
        print(f"hailong demo: broker {broker.url}, files and logs in {folder}")
        if seeded:
            print("hailong demo: the office An Bình is seeded with three months of ratings")
        print(f"Summary page: http://127.0.0.1:{web_port}/login?next=/summary"
              "   (Ctrl-C stops everything)")  # fmt: skip
        print(f"  sign in as demo / {web_password}; the public board needs no login:"
              f" http://127.0.0.1:{web_port}/board")  # fmt: skip
        print(f"  rehearse registering a kiosk: http://127.0.0.1:{web_port}/admin/kiosks"
              f" (its bundle connects to {broker.host}:{broker.tls_port} over TLS)")  # fmt: skip
        _supervise(folder, services + kiosks, stopping)
    except KeyboardInterrupt:
        pass
    finally:
        _stop([c.proc for c in kiosks if c.proc])  # kiosks first, so ingest sees their last
        time.sleep(0.5)
        _stop([c.proc for c in services if c.proc])
        broker.stop()
        print("\nhailong demo: stopped; nothing left running.")
    for line in ledger(folder):
        print(line)
    return 0


def _supervise(folder: Path, children: list[Child], stopping: list[bool]) -> None:
    """Print the live count; restart any program that dies."""
    engine = open_database(f"sqlite:///{folder / 'collector.db'}")
    while not stopping:
        for child in children:
            if child.proc.poll() is not None:
                child.restarts += 1
                print(
                    f"\nhailong demo: {child.name} exited ({child.proc.returncode}); restarting it"
                )
                child.start(folder)
        with engine.connect() as conn:
            stored = conn.execute(
                select(func.count()).select_from(presses).where(presses.c.device.in_(KIOSKS))
            ).scalar_one()
        print(f"\rlive presses stored: {stored}", end="", flush=True)
        time.sleep(1)


def ledger(folder: Path) -> list[str]:
    """Compare each kiosk's journal with the database: nothing lost, nothing doubled."""
    engine = open_database(f"sqlite:///{folder / 'collector.db'}")
    lines = []
    for device in KIOSKS:
        last, acked = _kiosk_counts(folder, device)
        with engine.connect() as conn:
            seqs = (
                conn.execute(select(presses.c.seq).where(presses.c.device == device))
                .scalars()
                .all()
            )
        lost = set(range(1, acked + 1)) - set(seqs)
        doubled = len(seqs) - len(set(seqs))
        strange = set(seqs) - set(range(1, last + 1))
        verdict = "OK" if not (lost or doubled or strange) else "PROBLEM"
        lines.append(f"{device}: journaled {last}, acked {acked}, stored {len(seqs)}, "
                     f"lost {len(lost)}, doubled {doubled}, unknown {len(strange)}: {verdict}")  # fmt: skip
    return lines


def _kiosk_counts(folder: Path, device: str) -> tuple[int, int]:
    """Ask the stopped kiosk for its journal's counters (its own command, not its code)."""
    out = subprocess.run([sys.executable, "-m", "hailong.device.cli", "--config",
                          str(folder / f"{device}.toml"), "status", "--json"],
                         capture_output=True, text=True, timeout=60, check=True).stdout  # fmt: skip
    counts = json.loads(out)
    return counts["last_seq"], counts["acked"]


def _stop(procs: list[subprocess.Popen]) -> None:
    for child in procs:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in procs:
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
