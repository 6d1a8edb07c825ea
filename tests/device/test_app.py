"""Tests for device.app: the one loop, driven in-process with real parts.

A real Journal in tmp_path, gpiozero MockFactory pins behind device.panel.Panel, the SDL dummy
screen behind device.display.Display, and an Uplink talking to a real mosquitto. The loop runs in
a thread until its stop Event is set; every wait is bounded.
"""

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho
import pygame
import pytest
from gpiozero.pins.mock import MockFactory

from hailong.device.app import KioskApp
from hailong.device.buttons import ButtonLogic
from hailong.device.clock import Clock
from hailong.device.config import KioskConfig, KioskSettingsFile, MqttSettings, ScreenSettings
from hailong.device.display import Display
from hailong.device.events import ButtonPressed, DossierScanned, Edge
from hailong.device.frame import Frame
from hailong.device.inbox import Inbox
from hailong.device.journal import Journal
from hailong.device.panel import DEFAULT_PINS, Panel
from hailong.device.screen import DisplayError, Screen
from hailong.device.segments import list_segments, read_segment
from hailong.device.uplink import Uplink
from hailong.protocol import Ack, Topics, parse_press
from tests.support import journal_acked, wait_for

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
    return sum(len(read_segment(folder, first)) for first in list_segments(folder))


def record_draws(kiosk: Kiosk, screen: Screen, fail_when: Callable[[Frame], bool]) -> None:
    """Keep a copy of every frame drawn; fail to draw the frames fail_when picks."""
    draw, folder = screen.draw, kiosk.app.config.state_dir / "journal"

    def recorded(frame: Frame) -> None:
        if fail_when(frame):
            raise DisplayError("cannot draw: the panel's cable came loose")
        draw(frame)
        kiosk.draws.append(Drawn(frame, screen.surface.copy(), presses_on_disk(folder)))

    screen.draw = recorded


@pytest.fixture
def make_kiosk(tmp_path, broker):
    """Build a kiosk on mock pins, the dummy screen and the test broker; stop it afterwards."""
    built: list[Kiosk] = []

    def make(cooldown_s: float = 5.0, fail_when=lambda _frame: False, screen: bool = True):
        config = KioskConfig(
            device="k1", state_dir=tmp_path / "k1", mqtt=MqttSettings(port=broker.port),
            kiosk=KioskSettingsFile(cooldown_s=cooldown_s, counter="Q1", official_name="Nguyễn Văn An",
                                    field_name="Hộ tịch"),
            screen=ScreenSettings(fullscreen=False),
        )  # fmt: skip
        inbox, pins = Inbox(), MockFactory()
        clock = Clock(TZ, wall=lambda: WALL, synced=lambda: True, boot="test-boot")
        display = Display(Screen.open((800, 480))) if screen else None
        app = KioskApp(config, Journal.open(config.state_dir / "journal"), clock, inbox,
                       Uplink(config, inbox.put, None), display=display,
                       panel=Panel(inbox, pin_factory=pins), version="0.1.0-test")  # fmt: skip
        kiosk = Kiosk(app, pins, display.screen if display else None)
        if display is not None:
            record_draws(kiosk, display.screen, fail_when)
        built.append(kiosk)
        return kiosk

    yield make
    for kiosk in built:
        if kiosk.thread is not None and kiosk.thread.is_alive():
            kiosk.halt()
        for part in (kiosk.app.panel, kiosk.app.journal, kiosk.screen):
            if part is not None:
                part.close()  # each close is idempotent; a loop that ran closed most already
        kiosk.pins.close()


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


def test_press_is_journaled_before_the_thanks_view_shows(make_kiosk):
    kiosk = make_kiosk().start()
    idle = wait_for(lambda: kiosk.drawn("idle", offline=False), 10, "the idle view, online")
    kiosk.press(1)
    thanks = wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    assert thanks.frame.rating == 4
    assert thanks.on_disk == 1  # durable in the journal before the citizen was thanked
    assert kiosk.app.journal.last_seq == 1
    screenshot(idle, "app_idle.png")
    screenshot(thanks, "app_thanks.png")
    kiosk.halt()
    [record] = journal_records(kiosk.app.config.state_dir)
    assert (record["seq"], record["rating"], record["mode"]) == (1, 4, "live")
    assert (record["counter"], record["synced"], record["boot"]) == ("Q1", True, "test-boot")


def test_presses_during_the_cooldown_are_counted_not_journaled(make_kiosk):
    kiosk = make_kiosk(cooldown_s=5.0).start()
    kiosk.press(2)
    wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    kiosk.press(3)
    kiosk.press(4)
    wait_for(lambda: kiosk.app.counters.suppressed == 2, 5, "two suppressed presses")
    assert kiosk.app.journal.last_seq == 1 and kiosk.app.counters.recorded == 1
    kiosk.halt()
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [3]


def test_service_chord_held_five_seconds_then_test_presses_then_timeout(make_kiosk):
    app = make_kiosk(screen=False).app  # driven event by event with chosen times, no loop
    t = time.monotonic() + 1000.0
    let_go_early = [(t, 1, True), (t, 4, True), (t + 4.9, 1, False), (t + 4.9, 4, False)]
    for at, button, down in [*let_go_early, (t + 8, 1, True), (t + 8, 4, True)]:
        app.handle(Edge(button, down, at))
    assert app.view.view == "idle" and app.journal.last_seq == 0  # 4.9 s: neither mode nor rating
    for button in (1, 4):
        app.handle(Edge(button, False, t + 13.1))
    assert app.view.view == "service"
    app.handle(ButtonPressed(3, t + 20))
    assert (app.view.view, app.view.rating, app.view.button) == ("service", 2, 3)
    app.handle(ButtonPressed(1, t + 20 + app.kiosk.settings.service_timeout_s + 1))
    assert app.view.view == "thanks"  # service mode had ended by itself: a live rating again
    assert [(r["rating"], r["mode"]) for r in app.journal.since(1)] == [(2, "test"), (4, "live")]


def test_service_mode_in_the_running_loop_shows_the_technician_lines(make_kiosk):
    kiosk = make_kiosk()
    kiosk.app.buttons = ButtonLogic(service_hold_s=0.3, stuck_s=3.0)  # 5 s in the field
    kiosk.app.kiosk.settings = replace(kiosk.app.kiosk.settings, service_timeout_s=1.5)
    kiosk.start()
    wait_for(lambda: kiosk.drawn("idle", offline=False), 10, "the idle view, online")
    for button in (1, 4):
        kiosk.pins.pin(DEFAULT_PINS["buttons"][button - 1]).drive_low()
    wait_for(lambda: kiosk.drawn("service"), 5, "service mode")
    for button in (1, 4):
        kiosk.pins.pin(DEFAULT_PINS["buttons"][button - 1]).drive_high()
    kiosk.press(2)
    lit = wait_for(lambda: kiosk.drawn("service", lit_buttons={2}), 5, "button 2 lit")
    assert lit.on_disk == 1
    device, address, broker_line, counts = lit.frame.service_lines[:4]
    assert device.startswith("Thiết bị: k1") and address.startswith("Địa chỉ: ")
    assert "đã kết nối" in broker_line and "chờ gửi: 1" in counts
    assert lit.frame.service_lines[-1].startswith("Phiên bản: 0.1.0-test")
    screenshot(lit, "app_service.png")
    left = len(kiosk.draws)
    wait_for(lambda: any(d.frame.view == "idle" for d in kiosk.draws[left:]), 5, "timeout")
    kiosk.halt()
    [record] = journal_records(kiosk.app.config.state_dir)
    assert (record["rating"], record["mode"]) == (3, "test")


def test_a_failing_display_does_not_stop_the_recording(make_kiosk):
    kiosk = make_kiosk(cooldown_s=0.2, fail_when=lambda frame: frame.view == "thanks").start()
    wait_for(lambda: kiosk.draws, 10, "the first frame")
    kiosk.press(1)
    wait_for(lambda: kiosk.app.display is None, 5, "the display given up")
    assert kiosk.app.journal.last_seq == 1
    wait_for(lambda: kiosk.app.kiosk.view == "idle", 5, "the cooldown to end")
    kiosk.press(4)
    wait_for(lambda: kiosk.app.journal.last_seq == 2, 5, "the second press journaled")
    kiosk.halt()
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [4, 1]


def test_published_press_reaches_a_subscriber(make_kiosk, broker):
    listener = Subscriber(broker, TOPICS.press("k1"))
    try:
        kiosk = make_kiosk().start()
        kiosk.press(1)
        message = listener.messages.get(timeout=10)
    finally:
        listener.close()
    press = parse_press(message.payload, "k1")
    assert (press.seq, press.rating, press.mode, press.device) == (1, 4, "live", "k1")
    assert message.topic == "hailong/v1/k1/press" and message.qos == 1


def test_retained_ack_moves_the_journal_watermark(make_kiosk, broker):
    kiosk = make_kiosk(cooldown_s=0.0, screen=False).start()
    for _ in range(3):  # stamped as the simulator does; cooldown 0 takes each one
        kiosk.app.inbox.put(ButtonPressed(2, time.monotonic()))
    wait_for(lambda: kiosk.app.journal.last_seq == 3, 5, "three presses journaled")
    collector = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    collector.connect("127.0.0.1", broker.port)
    collector.loop_start()
    try:
        info = collector.publish(TOPICS.ack("k1"), Ack(2).to_bytes(), 1, retain=True)
        info.wait_for_publish(10)
        state_dir = kiosk.app.config.state_dir
        wait_for(lambda: journal_acked(state_dir) == 2, 10, "the watermark at 2")
    finally:
        collector.disconnect()
        collector.loop_stop()
    assert kiosk.app.journal.acked == 2 and kiosk.app.journal.backlog == 1


def test_a_code_typed_by_the_scanner_goes_with_the_next_press(make_kiosk):
    kiosk = make_kiosk().start()
    wait_for(lambda: kiosk.draws, 10, "the first frame")
    for char in "H12.22-250101-0001\r":  # a keyboard-wedge scanner types, then Enter
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, unicode=char, key=0, mod=0))
    wait_for(lambda: kiosk.drawn("idle", dossier="H12.22-250101-0001"), 5, "the code shown")
    kiosk.press(2)
    wait_for(lambda: kiosk.app.journal.last_seq == 1, 5, "the press journaled")
    kiosk.halt()
    [record] = journal_records(kiosk.app.config.state_dir)
    assert (record["rating"], record["dossier"]) == (3, "H12.22-250101-0001")


def test_sigterm_stops_a_kiosk_with_a_screen_at_once(tmp_path, broker, procs):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'device = "k1"\nstate_dir = "{tmp_path / "k1"}"\n[mqtt]\n'
                      f"port = {broker.port}\n[screen]\nfullscreen = false\n")  # fmt: skip
    kiosk = procs.start("kiosk", "hailong.device.cli", "--config", config, "run")
    wait_for(lambda: "connected to the broker" in procs.log("kiosk"), 20, "the kiosk online")
    stopping = time.monotonic()
    assert procs.stop(kiosk, timeout=10) == 0
    # pygame.event.wait would hold the Python handler back until its timeout, up to 60 s.
    assert time.monotonic() - stopping < 3, procs.log("kiosk")
    assert "kiosk stopping" in procs.log("kiosk")


def test_a_press_that_breaks_the_contract_is_never_journaled(make_kiosk):
    app = make_kiosk(screen=False).app  # driven event by event, no loop
    t = time.monotonic()
    # The scanner refuses such a code; an event put on the inbox directly is not so careful.
    app.handle(DossierScanned("H" * 70, t))
    app.handle(ButtonPressed(1, t + 1))
    assert app.journal.last_seq == 0 and app.counters.recorded == 0
    assert "press-invalid" in app.status().faults
    app.handle(ButtonPressed(2, t + 1 + app.kiosk.settings.cooldown_s + 1))
    assert [r["rating"] for r in app.journal.since(1)] == [3]  # the next citizen is recorded


def test_a_stored_press_an_older_version_got_wrong_is_sent_as_stored(make_kiosk, broker):
    kiosk = make_kiosk(screen=False)
    bad = {"v": 1, "device": "k1", "rating": 9, "ts": "yesterday", "mode": "live"}
    kiosk.app.journal.add(bad)  # journaled before the checks: the loop must not die on it
    listener = Subscriber(broker, TOPICS.press("k1"))
    try:
        kiosk.start()
        first = listener.messages.get(timeout=10)
        kiosk.app.inbox.put(ButtonPressed(1, time.monotonic()))
        second = listener.messages.get(timeout=10)
    finally:
        listener.close()
    assert json.loads(first.payload) == {**bad, "seq": 1}  # the collector quarantines it
    assert parse_press(second.payload, "k1").seq == 2
    kiosk.halt()


def test_the_status_snapshot_follows_the_loop(make_kiosk):
    app = make_kiosk(cooldown_s=5.0, screen=False).app
    t = time.monotonic()
    for at in (t, t + 1, t + 2):
        app.handle(ButtonPressed(2, at))
    snapshot = app.status()
    assert (snapshot.recorded, snapshot.suppressed, snapshot.last_seq, snapshot.backlog) == (
        1,
        2,
        1,
        1,
    )
    assert (snapshot.view.view, snapshot.view.rating, snapshot.profile.counter) == (
        "thanks",
        3,
        "Q1",
    )
    assert (snapshot.device, snapshot.version, snapshot.connected) == ("k1", "0.1.0-test", False)
    app.handle(ButtonPressed(2, t + 10))
    assert snapshot.recorded == 1 and app.status().recorded == 2  # a snapshot, not a view
