"""Open the kiosk's hardware for a run: the screen, the button panel and the sound.

Each opener returns None (logged) when its part is missing, so that presses are still recorded.
The only module the CLI imports for hardware, and only when it runs with a screen: pygame and
gpiozero stay out of `status`, `provision` and configuration errors.
"""

from __future__ import annotations

import logging

from hailong.device.config import KioskConfig
from hailong.device.display import Display
from hailong.device.inbox import Inbox
from hailong.device.panel import Panel, PanelError
from hailong.device.pinmap import load_pin_map
from hailong.device.screen import DisplayError, Screen
from hailong.device.sound import Sound
from hailong.device.voice import voice_files

log = logging.getLogger(__name__)


def open_display(config: KioskConfig):
    """Open the screen, or return None (logged) so that presses are still recorded."""
    if not config.screen.enabled:
        return None
    s = config.screen
    try:
        screen = Screen.open((s.width, s.height), s.fullscreen, s.font)
    except DisplayError as exc:
        log.error("no screen, recording presses without one: %s", exc)
        return None
    return Display(screen, key_hints=not s.fullscreen, touch=s.touch)


def open_panel(config: KioskConfig, inbox: Inbox):
    """Open the buttons and lamps, or return None (logged) on a machine without them."""
    try:
        return Panel(inbox, pins=load_pin_map(config.pin_map))
    except (PanelError, OSError, ValueError) as exc:
        log.error("no buttons: %s", exc)
        return None


def open_sound(config: KioskConfig):
    """Return the confirmation sound, or None when sound is off."""
    if not config.screen.sound:
        return None
    voices = voice_files(config.state_dir / "voice", config.kiosk.language)
    if not voices:
        log.warning("no spoken thanks in %s: run `hailong-kiosk voice render`", config.state_dir)
    return Sound(config.screen.sound_file, voices)
