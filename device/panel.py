"""Drive the four buttons, their lamps and the buzzer through gpiozero — a thin adapter.

gpiozero calls back on its own thread: the callbacks only stamp the monotonic clock and enqueue a raw
`Edge`; debouncing and everything else happens in the main loop (device.buttons). The hardware is
injected as gpiozero does it: `pin_factory=None` means gpiozero's default, a `MockFactory` in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from queue import SimpleQueue
from typing import Any

from gpiozero import LED, Button, Buzzer, GPIOZeroError

from hailong.device.buttons import BUTTONS, Edge
from hailong.device.errors import DeviceError

# BCM numbers; the wiring documents in hardware/ hold the real map and are passed in as `pins`.
DEFAULT_PINS: Mapping[str, Any] = {
    "buttons": (5, 6, 13, 19),
    "leds": (12, 16, 20, 21),
    "buzzer": 26,
}


class PanelError(DeviceError):
    """The panel's pins could not be opened (in use, no GPIO, bad pin name)."""


class Panel:
    """Own the four buttons (left to right, best first), their lamps and the optional buzzer."""

    def __init__(
        self,
        edges: SimpleQueue,
        pins: Mapping[str, Any] | None = None,
        pin_factory: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        pins = DEFAULT_PINS if pins is None else pins
        button_pins, led_pins = tuple(pins.get("buttons", ())), tuple(pins.get("leds", ()))
        if len(button_pins) != len(BUTTONS) or len(led_pins) != len(BUTTONS):
            raise PanelError(f"pins: need {len(BUTTONS)} buttons and {len(BUTTONS)} leds")
        self._edges = edges
        self._clock = clock
        self._buttons: dict[int, Button] = {}
        self._leds: dict[int, LED] = {}
        self.buzzer: Buzzer | None = None
        try:
            self._open(button_pins, led_pins, pins.get("buzzer"), pin_factory)
        except GPIOZeroError as exc:
            self.close()
            raise PanelError(f"cannot open the button panel: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def _open(self, button_pins, led_pins, buzzer_pin, pin_factory) -> None:
        for number, pin in zip(BUTTONS, button_pins, strict=True):
            # Debounce is ours (device.buttons): gpiozero's bounce_time would drop the edges we count.
            button = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
            button.when_pressed = partial(self._stamp, number, True)
            button.when_released = partial(self._stamp, number, False)
            self._buttons[number] = button
        for number, pin in zip(BUTTONS, led_pins, strict=True):
            self._leds[number] = LED(pin, pin_factory=pin_factory)
        if buzzer_pin is not None:
            self.buzzer = Buzzer(buzzer_pin, pin_factory=pin_factory)

    def _stamp(self, button: int, pressed: bool) -> None:
        # Runs on gpiozero's thread: stamp and enqueue, nothing else (SimpleQueue.put is reentrant).
        self._edges.put(Edge(button, pressed, self._clock()))

    def led(self, button: int) -> LED:
        """Return the lamp of one button."""
        return self._leds[button]

    def ready(self) -> None:
        """Light every lamp: the kiosk takes a rating."""
        for led in self._leds.values():
            led.on()

    def flash(self, button: int, times: int = 3, on_s: float = 0.15, off_s: float = 0.15) -> None:
        """Blink the chosen button's lamp, the others dark, without blocking the loop."""
        for number, led in self._leds.items():
            if number != button:
                led.off()
        self._leds[button].blink(on_time=on_s, off_time=off_s, n=times, background=True)

    def all_off(self) -> None:
        """Darken every lamp, stopping any blink."""
        for led in self._leds.values():
            led.off()

    def beep(self, on_s: float = 0.08) -> None:
        """Sound one short beep, when a buzzer is fitted."""
        if self.buzzer is not None:
            self.buzzer.beep(on_time=on_s, off_time=0, n=1, background=True)

    def close(self) -> None:
        """Release every pin; callbacks stop first so nothing is enqueued while closing."""
        for button in self._buttons.values():
            button.when_pressed = button.when_released = None
        devices = [*self._buttons.values(), *self._leds.values(), self.buzzer]
        for device in devices:
            if device is not None:
                device.close()
        self._buttons.clear()
        self._leds.clear()
        self.buzzer = None

    def __enter__(self) -> Panel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
