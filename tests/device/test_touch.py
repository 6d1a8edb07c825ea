"""A tap on a button drawn on the touch screen rates exactly like the physical button."""

import time
from datetime import datetime

import pygame
import pytest

from hailong.device.display import Display, button_at
from hailong.device.events import Pressed, SkipReason
from hailong.device.frame import Frame
from hailong.device.layout import layout
from hailong.device.reason_view import skip_box
from hailong.device.screen import Screen
from tests.device.kiosk import journal_records
from tests.support import wait_for

SIZE = (800, 480)
SIZES = [(480, 320), (800, 480), (1024, 600)]


def centre(button: int, size=SIZE) -> tuple[int, int]:
    """Return the centre of a drawn rating button (1..4 from the left)."""
    return layout(size).buttons[button - 1].center


def click(point, touch: bool = False) -> pygame.event.Event:
    """Return a left mouse click; touch=True is the click SDL makes up for a finger."""
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=point, button=1, touch=touch)


def finger(point, size=SIZE) -> pygame.event.Event:
    """Return a finger touching the screen at a point (SDL gives fractions of the screen)."""
    x, y = point
    return pygame.event.Event(pygame.FINGERDOWN, x=x / size[0], y=y / size[1], touch_id=1,
                              finger_id=0, dx=0.0, dy=0.0, pressure=1.0)  # fmt: skip


def tap(event: pygame.event.Event) -> None:
    pygame.event.post(event)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_each_drawn_button_answers_at_its_centre_and_nothing_between(size):
    for n in (1, 2, 3, 4):
        assert button_at(centre(n, size), size, key_hints=False) == n
    first, second = layout(size).buttons[:2]
    gap = ((first.right + second.x) // 2, first.center[1])
    assert button_at(gap, size, key_hints=False) is None
    assert button_at((size[0] // 2, 5), size, key_hints=False) is None, "the header"


@pytest.mark.parametrize("make_event", [click, finger], ids=["mouse", "finger"])
def test_a_tap_at_a_drawn_buttons_centre_journals_one_press_with_its_rating(make_kiosk, make_event):
    kiosk = make_kiosk().start()
    wait_for(lambda: kiosk.drawn("idle"), 10, "the idle view")
    tap(make_event(centre(2)))
    thanks = wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    assert thanks.frame.rating == 3 and thanks.on_disk == 1
    kiosk.halt()
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [3]


def test_a_tap_outside_every_button_does_nothing(make_kiosk):
    kiosk = make_kiosk().start()
    wait_for(lambda: kiosk.drawn("idle"), 10, "the idle view")
    first, second = layout(SIZE).buttons[:2]
    for point in [(400, 30), (400, 150), ((first.right + second.x) // 2, first.center[1])]:
        tap(click(point))
        tap(finger(point))
    tap(click(centre(4)))  # events keep their order: this one comes after every miss
    wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    kiosk.halt()
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [1]
    assert kiosk.app.counters.suppressed == 0


def test_a_tap_during_the_cooldown_is_held_back_like_a_physical_press(make_kiosk):
    kiosk = make_kiosk(cooldown_s=30).start()
    wait_for(lambda: kiosk.drawn("idle"), 10, "the idle view")
    tap(finger(centre(1)))
    wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    tap(finger(centre(3)))
    wait_for(lambda: kiosk.app.counters.suppressed == 1, 5, "the tap held back")
    kiosk.press(3)
    wait_for(lambda: kiosk.app.counters.suppressed == 2, 5, "the press held back")
    kiosk.halt()
    assert kiosk.app.counters.suppressed == 2
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [4]


def test_a_screen_without_touch_takes_no_taps():
    pygame.display.init()
    display = Display(Screen.offscreen(SIZE), touch=False)
    assert display.taps([click(centre(1)), finger(centre(2))], 1.0) == []
    with_touch = Display(Screen.offscreen(SIZE), touch=True)
    assert [p.button for p in with_touch.taps([click(centre(1)), finger(centre(2))], 1.0)] == [1, 2]


def test_the_click_sdl_makes_up_for_a_finger_is_not_a_second_tap():
    pygame.display.init()
    display = Display(Screen.offscreen(SIZE))
    taps = display.taps([finger(centre(1)), click(centre(1), touch=True)], 1.0)
    assert [p.button for p in taps] == [1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_tap_on_skip_skips_the_reason_and_the_choices_stay_buttons(size):
    pygame.display.init()
    display = Display(Screen.offscreen(size), key_hints=True)
    display.last = Frame(view="reason", now=datetime(2026, 3, 5, 9, 0), key_hints=True)
    skip = skip_box(layout(size, key_hints=True)).center
    assert display.taps([finger(skip, size)], 1.0) == [SkipReason(1.0)]
    choice = layout(size, key_hints=True).buttons[2].center
    assert display.taps([finger(choice, size)], 1.0) == [Pressed(3, 1.0)]
    display.last = Frame(view="idle", now=datetime(2026, 3, 5, 9, 0), key_hints=True)
    assert display.taps([finger(skip, size)], 1.0) == [], "no skip outside the reason screen"


def test_the_reason_screen_is_redrawn_every_second_for_its_countdown():
    pygame.display.init()
    display = Display(Screen.offscreen(SIZE))
    display.last = Frame(view="reason", now=datetime(2026, 3, 5, 9, 0), seconds_left=9)
    assert display.next_deadline() - time.monotonic() <= 1.0
