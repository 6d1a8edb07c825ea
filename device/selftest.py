"""Check the kiosk's hardware, files, broker and clock; print a checklist a technician can read.

Each check is a function returning `Check`s; the hardware and the network come in as adapters (a
gpiozero pin factory, a screen opener, a broker connect function, a clock) so tests drive pass and
fail. Run it as the kiosk's own user: it opens (and may create) the journal folder.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from hailong.device.clock import Clock
from hailong.device.config import KioskConfig, ScreenSettings

BUTTONS, LEDS, SCREEN, FONT = (
    "Nút bấm / buttons",
    "Đèn / LEDs",
    "Màn hình / screen",
    "Phông chữ / font",
)
JOURNAL, BROKER, CLOCK, SOUND = (
    "Nhật ký / journal", "Máy chủ MQTT / broker", "Đồng hồ / clock", "Âm thanh / sound",
)  # fmt: skip
# Every precomposed Vietnamese letter (12 vowels x 6 tones, both cases, đ/Đ): names sent by the
# collector may use any of them, not only those in texts.py. Plus what the screen adds itself.
VIETNAMESE = {
    unicodedata.normalize("NFC", base + tone)
    for vowel in "aăâeêioôơuưy"
    for base in (vowel, vowel.upper())
    for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
} | {"đ", "Đ"}
SCREEN_CHARS = set("0123456789/:·.…- \u00a0")
EARLIEST_YEAR = 2024  # a clock before this is plainly wrong (no RTC and no network yet)
TAGS = {"ok": "[ OK ]", "warn": "[CHÚ Ý]", "fail": "[LỖI]"}
HELD = (BUTTONS, LEDS, SCREEN, SOUND)
RUNNING = " — kiosk đang chạy / the kiosk is running: stop its service first"


@dataclass(frozen=True)
class Check:
    """One line of the checklist: ok=False fails the selftest; warn marks a pass worth a look."""

    name: str
    ok: bool
    detail: str
    warn: bool = False

    @property
    def level(self) -> str:
        """Return "ok", "warn" or "fail"."""
        return "fail" if not self.ok else "warn" if self.warn else "ok"


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


def check_panel(pin_map: Path | None, pin_factory: Any = None, show_s: float = 0.0) -> list[Check]:
    """Open the 4 buttons, 4 lamps and buzzer of the pin map; light each lamp in turn."""
    from hailong.device.panel import Panel, PanelError
    from hailong.device.pinmap import load_pin_map

    try:
        pins = load_pin_map(pin_map)
        panel = Panel(SimpleQueue(), pins=pins, pin_factory=pin_factory)
    except (PanelError, OSError, ValueError) as exc:
        return [Check(BUTTONS, False, str(exc)), Check(LEDS, False, "chưa thử / not tried")]
    with panel:
        buzzer = "còi / buzzer" if panel.buzzer is not None else "không còi / no buzzer"
        opened = Check(BUTTONS, True, f"4 nút, 4 đèn, {buzzer} (BCM {_pin_list(pins)})")
        return [opened, _toggle_leds(panel, show_s)]


def _pin_list(pins: dict) -> str:
    buzzer = pins.get("buzzer")
    listed = f"{','.join(map(str, pins['buttons']))} / {','.join(map(str, pins['leds']))}"
    return listed + (f" / {buzzer}" if buzzer is not None else "")


def _toggle_leds(panel, show_s: float) -> Check:
    """Light each lamp alone (the technician watches), reading each pin back."""
    dead = []
    for number in (1, 2, 3, 4):
        led = panel.led(number)
        led.on()
        lit = led.is_lit
        time.sleep(show_s)
        led.off()
        if not lit or led.is_lit:
            dead.append(str(number))
    panel.beep()
    time.sleep(show_s)  # the beep plays in gpiozero's thread; closing the pin would cut it
    if dead:
        return Check(LEDS, False, f"đèn {', '.join(dead)} không bật/tắt được / did not switch")
    return Check(LEDS, True, "4 đèn bật rồi tắt lần lượt / lit in turn — hãy nhìn / watch them")


def open_screen(settings: ScreenSettings):
    """Open the configured display (the real one)."""
    from hailong.device.screen import Screen

    return Screen.open((settings.width, settings.height), settings.fullscreen, settings.font)


def check_screen(settings: ScreenSettings, opener: Callable, show_s: float = 0.0) -> Check:
    """Open the display and draw the service view on it."""
    from hailong.device.frame import Frame
    from hailong.device.screen import DisplayError

    if not settings.enabled:
        return Check(SCREEN, True, "tắt trong cấu hình / disabled in the config", warn=True)
    try:
        screen = opener(settings)
        try:
            lines = ("Tự kiểm tra / selftest",)
            frame = Frame(view="service", now=datetime.now(), service_lines=lines,
                          lit_buttons=frozenset({1, 2, 3, 4}))  # fmt: skip
            screen.draw(frame)
            time.sleep(show_s)
            width, height = screen.size
            driver = _driver()
        finally:
            screen.close()
    except DisplayError as exc:
        return Check(SCREEN, False, str(exc))
    return Check(SCREEN, True, f"{width}x{height}{driver}, vẽ được / drew a frame")


def _driver() -> str:
    import pygame

    try:
        return f" ({pygame.display.get_driver()})"
    except pygame.error:  # an off-screen surface: no display driver at all
        return ""


def check_font(configured: Path | None, extra: Iterable[str] = ()) -> Check:
    """Check that the chosen fonts have a glyph for every character the kiosk may show."""
    from hailong.device import texts
    from hailong.device.fonts import FontError, find_fonts

    try:
        files = find_fonts(configured)
    except FontError as exc:
        return Check(FONT, False, str(exc))
    needed = set("".join([*texts.all_strings(), *extra])) | VIETNAMESE | SCREEN_CHARS
    needed = {texts.nfc(c) for c in needed if len(texts.nfc(c)) == 1}
    for path in dict.fromkeys((files.regular, files.bold)):
        covered = font_characters(path)
        missing = sorted(c for c in needed if ord(c) not in covered)
        if missing:
            shown = " ".join(f"U+{ord(c):04X}({c})" for c in missing[:8])
            return Check(FONT, False, f"{path.name} thiếu / lacks {len(missing)}: {shown}")
    return Check(FONT, True, f"{files.regular.name}: đủ {len(needed)} ký tự / all covered")


def font_characters(path: Path) -> set[int]:
    """Return the code points the font maps to glyphs (fontTools, else pygame.freetype)."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:  # fontTools is a test extra; pygame's freetype answers the same
        import pygame.freetype

        pygame.freetype.init()
        font = pygame.freetype.Font(str(path), 12)
        probe = [chr(c) for c in range(0x20, 0x2200)]
        return {ord(c) for c, m in zip(probe, font.get_metrics("".join(probe)), strict=True) if m}
    with TTFont(path, lazy=True) as font:
        return set(font.getBestCmap())


def check_journal(folder: Path) -> Check:
    """Open the journal and prove its folder takes a durable write; a running kiosk is fine."""
    from hailong.device.journal import Journal, JournalError

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
    from hailong.device.segments import lock_folder

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
    import paho.mqtt.client as paho

    m = config.mqtt
    # Its own client id: reusing the kiosk's would throw the running kiosk off the broker.
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5,
                         client_id=f"{config.device}-selftest-{os.getpid()}",
                         reconnect_on_failure=False)  # fmt: skip
    client.username_pw_set(config.username, config.mqtt_password())
    if m.ca_file:
        client.tls_set(ca_certs=str(m.ca_file),
                       certfile=str(m.cert_file) if m.cert_file else None,
                       keyfile=str(m.key_file) if m.key_file else None,
                       tls_version=ssl.PROTOCOL_TLS_CLIENT)  # fmt: skip
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


def open_sound(settings: ScreenSettings):
    """Open the configured confirmation sound (the real mixer)."""
    from hailong.device.sound import Sound

    return Sound(settings.sound_file)


def check_sound(settings: ScreenSettings, opener: Callable, show_s: float = 0.0) -> Check:
    """Play the confirmation sound; a silent kiosk still records, so this only warns."""
    if not (settings.enabled and settings.sound):
        return Check(SOUND, True, "tắt trong cấu hình / off in the config")
    sound = opener(settings)
    try:
        if not sound.available:
            return Check(SOUND, True, "không phát được / no sound device", warn=True)
        sound.play()
        time.sleep(show_s)
    finally:
        sound.close()
    return Check(SOUND, True, "đã phát / played — hãy nghe / listen")


def report(checks: list[Check]) -> str:
    """Return the checklist, one line per check, and a summary line."""
    width = max(len(tag) for tag in TAGS.values())
    lines = [f"{TAGS[c.level]:<{width}} {c.name}: {c.detail}" for c in checks]
    failed = sum(not c.ok for c in checks)
    verdict = "ĐẠT / PASSED" if not failed else f"{failed} LỖI / FAILED"
    lines.append(f"Kết quả / result: {verdict} ({len(checks) - failed}/{len(checks)})")
    return "\n".join(lines)


def exit_status(checks: list[Check]) -> int:
    """Return 0 when every check passed, else 1."""
    return 0 if all(c.ok for c in checks) else 1
