"""Open the kiosk's hardware for a run: the screen, the button panel and the sound.

Each opener returns None (logged) when its part is missing, so that presses are still recorded.
The only module the CLI imports for hardware, and only when it runs with a screen: pygame and
gpiozero stay out of `status`, `provision` and configuration errors.
"""

from __future__ import annotations

import logging
import sys


def import_pygame() -> None:
    """Import pygame without setuptools' pkg_resources, which it loads for nothing the kiosk uses.

    pygame.pkgdata imports pkg_resources to find pygame's own default font: a third of the
    kiosk's import time (over 0.4 s at a Pi's eighth of a core), while the kiosk brings its own
    fonts. When that import fails, pkgdata falls back to reading files beside its module.
    """
    if "pygame" in sys.modules or "pkg_resources" in sys.modules:
        return
    sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
    try:
        import pygame  # noqa: F401
    finally:
        del sys.modules["pkg_resources"]  # anyone else may import it as usual


import_pygame()

from hailong.device.config import KioskConfig  # noqa: E402
from hailong.device.display import Display  # noqa: E402
from hailong.device.inbox import Inbox  # noqa: E402
from hailong.device.panel import Panel, PanelError  # noqa: E402
from hailong.device.pinmap import load_pin_map  # noqa: E402
from hailong.device.screen import DisplayError, Screen  # noqa: E402
from hailong.device.sound import Sound  # noqa: E402
from hailong.device.voice import voice_files  # noqa: E402

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
