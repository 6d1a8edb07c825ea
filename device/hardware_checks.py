"""The selftest's hardware checks: lamps and buttons, screen, font coverage and sound.

Each opens the real part through an opener the caller passes in (gpiozero's pin factory, a screen
or sound opener), so tests drive pass and fail; each leaves what it lit on for `show_s` seconds,
for the technician's eye and ear.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from queue import SimpleQueue
from typing import Any

import pygame
import pygame.freetype

from hailong.device import texts
from hailong.device.checklist import BUTTONS, FONT, LEDS, SCREEN, SOUND, Check
from hailong.device.config import ScreenSettings
from hailong.device.fonts import FontError, find_fonts
from hailong.device.frame import Frame
from hailong.device.panel import Panel, PanelError
from hailong.device.pinmap import load_pin_map
from hailong.device.screen import DisplayError, Screen
from hailong.device.sound import Sound

# Every precomposed Vietnamese letter (12 vowels x 6 tones, both cases, đ/Đ): names sent by the
# collector may use any of them, not only those in texts.py. Plus what the screen adds itself.
VIETNAMESE = {
    unicodedata.normalize("NFC", base + tone)
    for vowel in "aăâeêioôơuưy"
    for base in (vowel, vowel.upper())
    for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
} | {"đ", "Đ"}
SCREEN_CHARS = set("0123456789/:·.…- \u00a0")


def check_panel(pin_map: Path | None, pin_factory: Any = None, show_s: float = 0.0) -> list[Check]:
    """Open the 4 buttons, 4 lamps and buzzer of the pin map; light each lamp in turn."""

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
    return Screen.open((settings.width, settings.height), settings.fullscreen, settings.font)


def check_screen(settings: ScreenSettings, opener: Callable, show_s: float = 0.0) -> Check:
    """Open the display and draw the service view on it."""

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

    try:
        return f" ({pygame.display.get_driver()})"
    except pygame.error:  # an off-screen surface: no display driver at all
        return ""


def check_font(configured: Path | None, extra: Iterable[str] = ()) -> Check:
    """Check that the chosen fonts have a glyph for every character the kiosk may show."""

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
    except ImportError:  # fontTools is an optional extra; pygame's freetype answers the same
        pygame.freetype.init()
        font = pygame.freetype.Font(str(path), 12)
        probe = [chr(c) for c in range(0x20, 0x2200)]
        return {ord(c) for c, m in zip(probe, font.get_metrics("".join(probe)), strict=True) if m}
    with TTFont(path, lazy=True) as font:
        return set(font.getBestCmap())


def open_sound(settings: ScreenSettings):
    """Open the configured confirmation sound (the real mixer)."""
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
