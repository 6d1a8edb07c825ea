"""Read single key presses from a terminal (headless kiosk on a desktop)."""

from __future__ import annotations

import os
import select
import sys
import termios
import threading
import time
import tty

from hailong.device.events import KeyChars

QUIT_KEYS = frozenset("qQ")


def read_keys(post, stop: threading.Event, quit=None) -> None:
    """Post every character typed on stdin as KeyChars until stop is set; q calls quit."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chars = os.read(fd, 64).decode("utf-8", "replace")
                if quit is not None and chars in QUIT_KEYS:  # alone: a scanned code may hold a q
                    quit()
                    return
                post(KeyChars(chars, time.monotonic()))
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
