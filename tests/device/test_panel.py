"""Tests for device.panel on gpiozero's MockFactory: stamped edges on the queue, lamps and buzzer."""

import time
from queue import SimpleQueue

import pytest
from gpiozero.pins.mock import MockFactory

from hailong.device.events import Edge
from hailong.device.panel import DEFAULT_PINS, Panel, PanelError

PINS = {"buttons": (5, 6, 13, 19), "leds": (12, 16, 20, 21), "buzzer": 26}


@pytest.fixture
def factory():
    factory = MockFactory()
    yield factory
    factory.close()


@pytest.fixture
def edges():
    return SimpleQueue()


@pytest.fixture
def panel(factory, edges):
    with Panel(edges, pins=PINS, pin_factory=factory) as panel:
        yield panel


def drain(queue):
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def wait_until(condition, timeout=2.0):
    """Wait for a gpiozero blink thread, never longer than `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_defaults_are_the_documented_bcm_pins():
    assert DEFAULT_PINS == PINS


def test_pressing_a_pin_enqueues_a_stamped_edge(factory, edges, panel):
    before = time.monotonic()
    factory.pin(13).drive_low()  # pull-up: low is pressed
    factory.pin(13).drive_high()
    after = time.monotonic()
    got = drain(edges)
    assert [(e.button, e.pressed) for e in got] == [(3, True), (3, False)]
    assert all(before <= e.at <= after for e in got)


def test_each_pin_is_its_button_left_to_right(factory, edges, panel):
    for pin in PINS["buttons"]:
        factory.pin(pin).drive_low()
        factory.pin(pin).drive_high()  # a held Button takes gpiozero's hold_time to close
    assert [e.button for e in drain(edges) if e.pressed] == [1, 2, 3, 4]


def test_the_clock_is_injectable(factory, edges):
    with Panel(edges, pins=PINS, pin_factory=factory, clock=lambda: 42.0):
        factory.pin(5).drive_low()
        factory.pin(5).drive_high()
    assert drain(edges) == [Edge(1, True, 42.0), Edge(1, False, 42.0)]


def test_every_bounce_reaches_the_queue_for_our_own_debounce(factory, edges, panel):
    pin = factory.pin(6)
    for _ in range(3):
        pin.drive_low()
        pin.drive_high()
    assert len(drain(edges)) == 6


def test_ready_lights_all_and_all_off_darkens_all(factory, panel):
    panel.ready()
    assert [factory.pin(p).state for p in PINS["leds"]] == [True] * 4
    panel.all_off()
    assert [factory.pin(p).state for p in PINS["leds"]] == [False] * 4


def test_flash_blinks_only_the_chosen_lamp_then_leaves_it_dark(factory, panel):
    panel.ready()
    panel.flash(2, times=2, on_s=0.02, off_s=0.02)
    assert [factory.pin(p).state for p in (12, 20, 21)] == [False] * 3
    lamp = factory.pin(16)
    assert wait_until(lambda: len(lamp.states) >= 5)  # on, off, on, off after the start
    assert [s.state for s in lamp.states[-4:]] == [True, False, True, False]
    assert lamp.state is False


def test_beep_sounds_the_buzzer_once(factory, panel):
    buzzer = factory.pin(26)
    panel.beep(on_s=0.02)
    assert wait_until(lambda: [s.state for s in buzzer.states][-2:] == [True, False])


def test_a_panel_without_a_buzzer_beeps_silently(factory, edges):
    with Panel(edges, pins={**PINS, "buzzer": None}, pin_factory=factory) as panel:
        panel.beep()
        assert panel.buzzer is None


def test_close_releases_the_pins_and_stops_enqueueing(factory, edges):
    panel = Panel(edges, pins=PINS, pin_factory=factory)
    panel.close()
    factory.pin(5).drive_low()
    assert drain(edges) == []
    Panel(edges, pins=PINS, pin_factory=factory).close()  # the pins are free again


def test_a_wrong_pin_map_is_refused_and_leaves_no_pin_taken(factory, edges):
    with pytest.raises(PanelError, match="pins"):
        Panel(edges, pins={"buttons": (5, 6, 13), "leds": (12, 16, 20, 21)}, pin_factory=factory)
    with pytest.raises(PanelError, match="cannot open"):  # a pin used twice
        Panel(edges, pins={**PINS, "leds": (12, 16, 20, 5)}, pin_factory=factory)
    Panel(edges, pins=PINS, pin_factory=factory).close()
