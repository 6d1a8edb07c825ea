"""Check the kiosk's hardware, files, broker and clock; print a checklist a technician can read.

Each check is a function returning `Check`s; the hardware and the network come in as adapters (a
gpiozero pin factory, a screen opener, a broker connect function, a clock) so tests drive pass and
fail. Run it as the kiosk's own user: it opens (and may create) the journal folder. The checks a
technician watches (lamps, screen, font, sound) are in device.hardware_checks; the checklist's
lines and verdict in device.checklist; here the journal, broker and clock checks and the run.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho

from hailong.device.checklist import (
    BROKER,
    BUTTONS,
    CLOCK,
    JOURNAL,
    LEDS,
    SCREEN,
    SOUND,
    Check,
)
from hailong.device.clock import Clock
from hailong.device.config import KioskConfig, ScreenSettings
from hailong.device.hardware_checks import (
    check_font,
    check_panel,
    check_screen,
    check_sound,
    open_screen,
    open_sound,
)
from hailong.device.journal import Journal, JournalError
from hailong.device.segments import lock_folder
from hailong.device.uplink import make_client

EARLIEST_YEAR = 2024  # a clock before this is plainly wrong (no RTC and no network yet)
HELD = (BUTTONS, LEDS, SCREEN, SOUND)
RUNNING = " — kiosk đang chạy / the kiosk is running: stop its service first"


@dataclass(frozen=True)
class Adapters:
    """The hardware and network the checks touch; the defaults are the real ones."""

    pin_factory: Any = None  # None: gpiozero's default (GPIOZERO_PIN_FACTORY, else the Pi's)
    open_screen: Callable[[ScreenSettings], Any] | None = None
    connect: Callable[[KioskConfig, float], str | None] | None = None
    clock: Clock | None = None
    open_sound: Callable[[ScreenSettings], Any] | None = None
    show_s: float = 0.4  # how long lamps, screen and sound stay on for the technician to notice
    broker_timeout_s: float = 10.0


def run_checks(config: KioskConfig, adapters: Adapters | None = None) -> list[Check]:
    """Run every check in the order a technician reads them."""
    a = adapters or Adapters()
    checks = check_panel(config.pin_map, a.pin_factory, a.show_s)
    checks.append(check_screen(config.screen, a.open_screen or open_screen, a.show_s))
    k = config.kiosk
    checks.append(check_font(config.screen.font, [k.question or "", k.official_name or "",
                                                   k.field_name or ""]))  # fmt: skip
    checks.append(check_journal(config.state_dir / "journal"))
    checks.append(check_broker(config, a.connect or mqtt_connect, a.broker_timeout_s))
    checks.append(check_clock(a.clock or Clock(config.tz)))
    checks.append(check_sound(config.screen, a.open_sound or open_sound, a.show_s))
    if journal_in_use(config.state_dir / "journal"):
        # The running kiosk holds the pins and the display: say so next to what failed.
        checks = [c if c.ok or c.name not in HELD else replace(c, detail=c.detail + RUNNING)
                  for c in checks]  # fmt: skip
    return checks


def check_journal(folder: Path) -> Check:
    """Open the journal and prove its folder takes a durable write; a running kiosk is fine."""

    try:
        folder.mkdir(parents=True, exist_ok=True)
        if journal_in_use(folder):
            return Check(JOURNAL, True, f"{folder}: đang được kiosk dùng / in use by the kiosk")
        with Journal.open(folder) as journal:
            _probe_write(folder)
            counts = f"seq {journal.last_seq}, chờ gửi / backlog {journal.backlog}"
    except (JournalError, OSError) as exc:
        return Check(JOURNAL, False, f"{folder}: {exc}")
    return Check(JOURNAL, True, f"{folder}: ghi được / writable, {counts}")


def journal_in_use(folder: Path) -> bool:
    """Tell whether another process (the running kiosk) holds the journal's lock."""

    try:
        os.close(lock_folder(folder))
    except BlockingIOError:
        return True
    except OSError:  # no folder, no permission: the journal check says which
        return False
    return False


def _probe_write(folder: Path) -> None:
    # A temp name the journal itself sweeps away should this process die before the unlink.
    fd, name = tempfile.mkstemp(dir=folder, prefix=".selftest-", suffix=".tmp")
    try:
        os.write(fd, b"selftest\n")
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(name)


def check_broker(config: KioskConfig, connect: Callable, timeout: float) -> Check:
    """Connect with the device's own credentials; fail with the broker's reason."""
    m = config.mqtt
    where = f"{m.host}:{m.port} ({'TLS, ' if m.ca_file else ''}user {config.username})"
    try:
        refused = connect(config, timeout)
    except OSError as exc:  # refused, unreachable, DNS, TLS handshake (ssl.SSLError is one)
        return Check(BROKER, False, f"{where}: unreachable: {exc}")
    if refused:
        return Check(BROKER, False, f"{where}: {refused}")
    return Check(BROKER, True, f"{where}: kết nối được / accepted")


def mqtt_connect(config: KioskConfig, timeout: float) -> str | None:
    """Connect once as the device (MQTT 5); return None when accepted, else why not."""
    m = config.mqtt
    # Its own client id: reusing the kiosk's would throw the running kiosk off the broker.
    client = make_client(config, f"{config.device}-selftest-{os.getpid()}")
    answers: list = []
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason)
    client.connect_timeout = timeout
    client.connect(m.host, m.port, keepalive=max(m.keepalive, int(timeout) + 1), clean_start=True)
    deadline = time.monotonic() + timeout
    try:
        while not answers and time.monotonic() < deadline:
            if client.loop(0.1) != paho.MQTT_ERR_SUCCESS and not answers:
                return "connection closed before CONNACK"
    finally:
        client.disconnect()
    if not answers:
        return f"no CONNACK within {timeout:g} s"
    return f"refused: {answers[0]}" if answers[0].is_failure else None


def check_clock(clock: Clock) -> Check:
    """Fail on an impossible date; warn when the clock is not NTP-synchronised."""
    now = clock.now()
    shown = f"{now:%d/%m/%Y %H:%M:%S} {now:%Z}".strip()
    if now.year < EARLIEST_YEAR:
        return Check(CLOCK, False, f"{shown}: sai ngày / wrong date (no NTP, no RTC?)")
    if not clock.is_synced():
        return Check(CLOCK, True, f"{shown}: chưa đồng bộ / not NTP-synchronised", warn=True)
    return Check(CLOCK, True, f"{shown}: đã đồng bộ / synchronised")
