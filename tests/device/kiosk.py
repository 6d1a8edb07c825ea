"""The kiosk harness for device tests: a KioskApp on real parts, run in a thread.

A real Journal in tmp_path, gpiozero MockFactory pins behind device.panel.Panel, the SDL dummy
screen behind device.display.Display, and an Uplink talking to a real mosquitto. The loop runs in
a thread until its stop Event is set; every wait is bounded.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho
import pygame
from gpiozero.pins.mock import MockFactory

from hailong.device.app import KioskApp
from hailong.device.frame import Frame
from hailong.device.journal import Journal
from hailong.device.panel import DEFAULT_PINS
from hailong.device.screen import DisplayError, Screen
from hailong.device.segments import list_segments, read_segment
from hailong.protocol import Topics

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WALL = datetime(2026, 3, 5, 14, 30, tzinfo=TZ).timestamp()  # a fixed clock: stable screenshots
SCREENSHOTS = Path(__file__).parent / "screenshots"
HOLD_S = 0.06  # a citizen's press; the button logic wants a level steady for 30 ms
TOPICS = Topics()


@dataclass
class Drawn:
    """One frame the screen drew, what it looked like, and how many presses were on disk then."""

    frame: Frame
    image: pygame.Surface
    on_disk: int


@dataclass
class Kiosk:
    """A running KioskApp and the handles a test drives it with."""

    app: KioskApp
    pins: MockFactory
    screen: Screen | None
    draws: list[Drawn] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start(self) -> "Kiosk":
        """Run the loop in a thread, keeping any exception for the teardown."""

        def run():
            try:
                self.app.run(self.stop)
            except BaseException as exc:
                self.errors.append(exc)

        self.thread = threading.Thread(target=run, name="kiosk-loop", daemon=True)
        self.thread.start()
        return self

    def halt(self) -> None:
        """Stop the loop as SIGTERM would, and wait for its shutdown."""
        self.stop.set()
        self.app.inbox.put(None)
        if self.thread is not None:
            self.thread.join(15)
            assert not self.thread.is_alive(), "the loop did not stop"
        assert not self.errors, self.errors

    def press(self, button: int) -> None:
        """Press and release one button on its GPIO pin (low is pressed: pull-up)."""
        pin = self.pins.pin(DEFAULT_PINS["buttons"][button - 1])
        pin.drive_low()
        time.sleep(HOLD_S)  # how long a finger stays down, not a wait for the loop
        pin.drive_high()

    def drawn(self, view: str, **fields) -> Drawn | None:
        """Return the first drawn frame of the view whose fields match, if any yet."""
        for d in list(self.draws):
            if d.frame.view == view and all(getattr(d.frame, k) == v for k, v in fields.items()):
                return d
        return None


def presses_on_disk(folder: Path) -> int:
    """Count the presses in the journal's segment files (what survives a power cut)."""
    return sum(len(read_segment(path, first)) for first, path in list_segments(folder).items())


def record_draws(kiosk: Kiosk, screen: Screen, fail_when: Callable[[Frame], bool]) -> None:
    """Keep a copy of every frame drawn; fail to draw the frames fail_when picks."""
    draw, folder = screen.draw, kiosk.app.config.state_dir / "journal"

    def recorded(frame: Frame) -> None:
        if fail_when(frame):
            raise DisplayError("cannot draw: the panel's cable came loose")
        draw(frame)
        kiosk.draws.append(Drawn(frame, screen.surface.copy(), presses_on_disk(folder)))

    screen.draw = recorded


def screenshot(drawn: Drawn, name: str) -> None:
    """Save a frame the app drew (tests/device/screenshots is git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    pygame.image.save(drawn.image, str(SCREENSHOTS / name))


def journal_records(state_dir: Path) -> list[dict]:
    """Read every press back, after the loop closed the journal."""
    with Journal.open(state_dir / "journal") as journal:
        return list(journal.since(1))


class Subscriber:
    """A paho client on the test broker that collects what arrives on one topic."""

    def __init__(self, broker, topic: str):
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, 1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = lambda _c, _u, msg: self.messages.put(msg)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        assert self.subscribed.wait(10), "subscription not confirmed"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
