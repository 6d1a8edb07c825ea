"""The kiosk's state machine: events in, effects out — no I/O and no clock of its own.

Every event carries `at` (monotonic seconds); the main loop feeds them in order, sends a `Tick` at
`next_deadline()` and carries out the effects in the order given (a `RecordPress` comes before the
`ShowView` that thanks for it: journal first). Button n (left to right, best first) is rating 5 - n.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from hailong.device.events import (
    BUTTONS,
    ButtonPressed,
    DossierScanned,
    Pressed,
    ServiceChord,
    SkipReason,
    Tick,
)

View = Literal["idle", "thanks", "reason", "service", "scan_needed"]
Mode = Literal["live", "test"]


def rating_of(button: int) -> int:
    """Return the rating a button gives: 1 (best, 4) ... 4 (worst, 1)."""
    return 5 - button


@dataclass(frozen=True)
class KioskSettings:
    """What the collector's Config may change, with the device's own defaults.

    `low_ratings` defaults to (1, 2): only "Rất hài lòng" and "Hài lòng" count as satisfied in the
    rate, so "Bình thường" counts against it too and is worth a reason. `reasons` None asks nothing.
    """

    cooldown_s: float = 5.0
    reasons: tuple[str, str, str, str] | None = None
    reason_timeout_s: float = 12.0
    low_ratings: tuple[int, ...] = (1, 2)
    require_dossier: bool = False
    service_timeout_s: float = 120.0
    scan_timeout_s: float = 60.0
    scan_prompt_s: float = 4.0  # how long "scan your receipt first" stays up

    def __post_init__(self) -> None:
        if not self.cooldown_s >= 0:  # 0: no cooldown at all
            raise ValueError("cooldown_s: must be zero or more seconds")
        for name in ("reason_timeout_s", "service_timeout_s", "scan_timeout_s", "scan_prompt_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be a positive number of seconds")
        if self.reasons is not None and len(self.reasons) != len(BUTTONS):
            raise ValueError(f"reasons: need exactly {len(BUTTONS)} labels or none")
        if not set(self.low_ratings) <= {1, 2, 3, 4}:
            raise ValueError("low_ratings: ratings are 1..4")


# Inputs: the timed ones are in device.events; this one the loop makes from a Config


@dataclass(frozen=True)
class ConfigChanged:
    """New settings apply from the next event on; running timers keep their deadlines."""

    settings: KioskSettings


Event = ButtonPressed | Pressed | ServiceChord | DossierScanned | SkipReason | Tick | ConfigChanged
_TIMED_EVENTS = (ButtonPressed, Pressed, ServiceChord, DossierScanned, SkipReason, Tick)

# Effects


@dataclass(frozen=True)
class RecordPress:
    """Journal one rating; `at` is when the rating button was pressed."""

    rating: int
    reason: int | None
    dossier: str | None
    mode: Mode
    at: float


@dataclass(frozen=True)
class ShowView:
    """Put a view on the screen; `button` and `dossier` say what to echo, when anything.

    `until` is when the reason view gives up by itself (monotonic), for its countdown.
    """

    view: View
    rating: int | None = None
    button: int | None = None
    dossier: str | None = None
    until: float | None = None


@dataclass(frozen=True)
class Suppressed:
    """A press during the cooldown: counted, never a rating."""

    at: float
    button: int | None = None


@dataclass(frozen=True)
class Rejected:
    """An input refused, with a code the screen and the log can name."""

    reason_code: str
    at: float
    button: int | None = None


Effect = RecordPress | ShowView | Suppressed | Rejected


@dataclass(frozen=True)
class _Held:
    """A low rating waiting for its reason."""

    rating: int
    dossier: str | None
    at: float


class Kiosk:
    """Own what the kiosk shows and decide which presses become ratings."""

    def __init__(self, settings: KioskSettings | None = None) -> None:
        self.settings = KioskSettings() if settings is None else settings
        self.view: View = "idle"
        self.suppressed = 0
        self._until: float | None = None  # when the current view ends
        self._held: _Held | None = None
        self._dossier: DossierScanned | None = None
        self._used: set[str] = set()

    def mark_used(self, codes: Iterable[str]) -> None:
        """Remember dossier codes already rated (the app seeds them from the journal)."""
        self._used.update(codes)

    def next_deadline(self) -> float | None:
        """Return the monotonic time at which a Tick is next needed, or None."""
        deadlines = [t for t in (self._until, self._dossier_expiry()) if t is not None]
        return min(deadlines, default=None)

    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return the effects to carry out, in order."""
        if isinstance(event, ConfigChanged):
            self.settings = event.settings
            return []
        if not isinstance(event, _TIMED_EVENTS):
            raise TypeError(f"not a kiosk event: {event!r}")
        effects = self._expire(event.at)
        match event:
            case ButtonPressed(button, at) | Pressed(button, at):
                effects += self._press(button, at)
            case ServiceChord(at):
                effects += self._service_chord(at)
            case DossierScanned():
                effects += self._scan(event)
            case SkipReason(at):
                # A late tap (the view already timed out or changed) skips nothing.
                effects += self._record(self._held, None, at) if self.view == "reason" else []
            case Tick():
                pass
        return effects

    def _dossier_expiry(self) -> float | None:
        return None if self._dossier is None else self._dossier.at + self.settings.scan_timeout_s

    def _expire(self, now: float) -> list[Effect]:
        """Run every deadline up to `now`, earliest first."""
        effects: list[Effect] = []
        while (deadline := self.next_deadline()) is not None and deadline <= now:
            if deadline == self._dossier_expiry():
                self._dossier = None
                if self.view == "idle":
                    effects.append(ShowView("idle"))
            else:
                effects += self._view_ended(deadline)
        return effects

    def _view_ended(self, at: float) -> list[Effect]:
        if self.view == "reason":
            return self._record(self._held, None, at)
        return self._show_idle()

    def _show_idle(self) -> list[Effect]:
        self.view, self._until = "idle", None
        return [ShowView("idle", dossier=self._dossier.code if self._dossier else None)]

    def _press(self, button: int, at: float) -> list[Effect]:
        rating = rating_of(button)
        if self.view == "thanks":
            self.suppressed += 1
            return [Suppressed(at, button)]
        if self.view == "reason":
            return self._record(self._held, button, at)
        if self.view == "service":
            self._until = at + self.settings.service_timeout_s
            record = RecordPress(rating, None, None, "test", at)
            return [record, ShowView("service", rating=rating, button=button)]
        return self._rate(rating, at)

    def _rate(self, rating: int, at: float) -> list[Effect]:
        """Take a rating from idle (or from the scan prompt)."""
        settings = self.settings
        if settings.require_dossier and self._dossier is None:
            self.view, self._until = "scan_needed", at + settings.scan_prompt_s
            return [Rejected("dossier-required", at, 5 - rating), ShowView("scan_needed")]
        held = _Held(rating, self._dossier.code if self._dossier else None, at)
        if held.dossier is not None:
            # Used from this moment: the pending reason always ends in a record.
            self._used.add(held.dossier)
            self._dossier = None
        if rating in settings.low_ratings and settings.reasons is not None:
            self.view, self._until, self._held = "reason", at + settings.reason_timeout_s, held
            return [ShowView("reason", rating=rating, until=self._until)]
        return self._record(held, None, at)

    def _record(self, held: _Held, reason: int | None, now: float) -> list[Effect]:
        """Journal a live rating, then thank for the length of the cooldown."""
        self.view, self._until, self._held = "thanks", now + self.settings.cooldown_s, None
        record = RecordPress(held.rating, reason, held.dossier, "live", held.at)
        return [record, ShowView("thanks", rating=held.rating)]

    def _service_chord(self, at: float) -> list[Effect]:
        if self.view == "service":
            return self._show_idle()
        # A citizen's rating waiting for its reason is kept, not lost to the technician.
        effects = self._record(self._held, None, at)[:1] if self.view == "reason" else []
        self.view, self._until, self._held = "service", at + self.settings.service_timeout_s, None
        return [*effects, ShowView("service")]

    def _scan(self, scan: DossierScanned) -> list[Effect]:
        if self.view == "service":
            # The technician is testing the scanner: echo the code, attach it to nothing.
            self._until = scan.at + self.settings.service_timeout_s
            return [ShowView("service", dossier=scan.code)]
        if scan.code in self._used:
            return [Rejected("dossier-already-rated", scan.at)]
        self._dossier = scan
        if self.view in ("idle", "scan_needed"):
            return self._show_idle()
        return []  # kept for the next citizen's press once this view ends
