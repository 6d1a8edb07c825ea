"""Turn raw button edges into presses, the service chord and stuck faults — pure, clock injected.

Each edge carries the monotonic time its callback stamped. A level counts only once it has held for
`debounce_s` (a change that reverses sooner is a bounce), so a press is known when its release has
held that long: `feed` the edges in order and `poll` at `next_deadline()` to settle the rest.
Everything is decided in the order it happened (a release at 4.99 s beats a service chord due at 5 s
even when both are learnt at 5.02 s); on a tie a timer wins, so "held 10 s" is already stuck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hailong.device.events import (
    BUTTONS,
    ButtonEvent,
    Edge,
    Pressed,
    ServiceChord,
    StuckCleared,
    StuckFault,
    stuck_code,
)

SERVICE_BUTTONS = frozenset({1, 4})


@dataclass
class _Contact:
    """What one button is doing: its raw level and the level that has settled."""

    raw: bool = False
    raw_since: float = 0.0
    down: bool = False
    down_since: float = 0.0
    spoiled: bool = False  # another button was down during this press
    stuck: bool = False


class ButtonLogic:
    """Debounce the four buttons and tell presses from chords, the service chord and stuck keys."""

    def __init__(
        self,
        buttons: tuple[int, ...] = BUTTONS,
        debounce_s: float = 0.03,
        stuck_s: float = 10.0,
        service_hold_s: float = 5.0,
    ) -> None:
        if not 0 < debounce_s < service_hold_s < stuck_s:
            raise ValueError("need 0 < debounce_s < service_hold_s < stuck_s")
        self.debounce_s = debounce_s
        self.stuck_s = stuck_s
        self.service_hold_s = service_hold_s
        self.chords = 0
        self.bounces = 0
        self._contacts = {button: _Contact() for button in buttons}
        self._now = float("-inf")
        self._in_chord = False
        self._service_since: float | None = None
        self._service_fired = False

    @property
    def faults(self) -> list[str]:
        """List the active faults by their health-report names."""
        return [stuck_code(b) for b, c in self._contacts.items() if c.stuck]

    def feed(self, edge: Edge) -> list[ButtonEvent]:
        """Take one raw edge; return what it (and the time passed until it) settled."""
        contact = self._contacts.get(edge.button)
        if contact is None:
            raise ValueError(f"unknown button {edge.button}")
        # Two callback threads may enqueue a hair out of order; time must not run backwards.
        at = max(edge.at, self._now)
        events = self.poll(at)
        if edge.pressed == contact.raw:
            return events  # a repeated level carries no news
        if contact.raw != contact.down:
            self.bounces += 1  # the unsettled change reversed within debounce_s
        else:
            contact.raw_since = at
        contact.raw = edge.pressed
        return events

    def poll(self, now: float) -> list[ButtonEvent]:
        """Settle everything that is decided by `now`, in the order it happened."""
        self._now = max(self._now, now)
        events: list[ButtonEvent] = []
        while (step := self._next_step()) is not None:
            effect_at, decided_at, act = step
            if decided_at > self._now:
                break
            events += act(effect_at)
        return events

    def next_deadline(self) -> float | None:
        """Return when `poll` next has something to decide, or None."""
        step = self._next_step()
        return None if step is None else step[1]

    def _next_step(self) -> tuple[float, float, Callable[[float], list[ButtonEvent]]] | None:
        """Find the earliest pending change or timer: (happens at, decidable at, action)."""
        steps = []
        for button, c in self._contacts.items():
            if c.raw != c.down:
                settle = self._settle_down if c.raw else self._settle_up
                steps.append((c.raw_since, 1, c.raw_since + self.debounce_s, button, settle))
            elif c.down and not c.stuck:
                due = c.down_since + self.stuck_s
                steps.append((due, 0, due, button, self._fire_stuck))
        if self._service_since is not None and not self._service_fired:
            due = self._service_since + self.service_hold_s
            steps.append((due, 0, due, 0, self._fire_service))
        if not steps:
            return None
        # Timers (0) sort before changes (1) at the same instant: a hold of exactly 10 s is stuck.
        effect_at, _, decided_at, button, action = min(steps, key=lambda s: s[:2] + (s[3],))
        return effect_at, decided_at, lambda at: action(button, at)

    def _active(self) -> set[int]:
        return {b for b, c in self._contacts.items() if c.down and not c.stuck}

    def _settle_down(self, button: int, at: float) -> list[ButtonEvent]:
        contact = self._contacts[button]
        contact.down, contact.down_since, contact.spoiled = True, at, False
        active = self._active()
        if len(active) > 1:
            self._in_chord = True
            for other in active:
                self._contacts[other].spoiled = True
        self._watch_service(at)
        return []

    def _settle_up(self, button: int, at: float) -> list[ButtonEvent]:
        contact = self._contacts[button]
        contact.down = False
        events: list[ButtonEvent] = []
        if contact.stuck:
            contact.stuck = False
            events.append(StuckCleared(button, at))
        elif not contact.spoiled:
            events.append(Pressed(button, at))
        self._watch_service(at)
        return events

    def _fire_stuck(self, button: int, at: float) -> list[ButtonEvent]:
        # A stuck key is a hardware fault, not a citizen: it leaves the chord logic so that
        # the other three buttons keep working.
        self._contacts[button].stuck = True
        self._watch_service(at)
        return [StuckFault(button, at)]

    def _fire_service(self, _button: int, at: float) -> list[ButtonEvent]:
        self._service_fired = True
        return [ServiceChord(at)]

    def _watch_service(self, at: float) -> None:
        """Restart the service timer when exactly 1 and 4 are down; close a finished chord."""
        active = self._active()
        self._service_since = at if active == SERVICE_BUTTONS else None
        if active or not self._in_chord:
            return
        if not self._service_fired:
            self.chords += 1
        self._in_chord = False
        self._service_fired = False
