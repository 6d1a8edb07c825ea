"""Every event the kiosk's loop takes, in one place: typed, frozen, stamped with monotonic `at`.

Callbacks on other threads (gpiozero, paho, the keyboard reader, the simulator, a signal handler)
build one of these and put it on the inbox; nothing else crosses into the loop. The pure parts
turn some into others: `ButtonLogic` makes `Pressed`/`ServiceChord`/`Stuck*` out of `Edge`s, the
`Scanner` makes `ButtonPressed`/`DossierScanned`/`ScanRejected` out of `KeyChars`. The one input
of the state machine that is not here is `state.ConfigChanged`: the loop makes it from a Config,
and it carries the state machine's own settings type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BUTTONS = (1, 2, 3, 4)

# From the hardware and the keyboard


@dataclass(frozen=True)
class Edge:
    """A raw level change of one button, as the GPIO callback saw it."""

    button: int
    pressed: bool
    at: float


@dataclass(frozen=True)
class KeyChars:
    """Characters typed on a keyboard or sent by a barcode scanner (a keyboard wedge)."""

    chars: str
    at: float


# What the button logic and the scanner make of them


@dataclass(frozen=True)
class Pressed:
    """A clean single-button press, accepted on its release (`at` is the release)."""

    button: int
    at: float


@dataclass(frozen=True)
class ServiceChord:
    """Buttons 1 and 4 held together long enough: the technician's way into service mode."""

    at: float


@dataclass(frozen=True)
class StuckFault:
    """A button held past the stuck threshold; its press is ignored until it comes up."""

    button: int
    at: float

    @property
    def code(self) -> str:
        """Name the fault as the health report lists it."""
        return stuck_code(self.button)


@dataclass(frozen=True)
class StuckCleared:
    """A stuck button came up again."""

    button: int
    at: float

    @property
    def code(self) -> str:
        """Name the fault that cleared, as the health report lists it."""
        return stuck_code(self.button)


def stuck_code(button: int) -> str:
    """Name a stuck button's fault as the health report lists it."""
    return f"button-{button}-stuck"


@dataclass(frozen=True)
class ButtonPressed:
    """A rating button (or keyboard key 1..4, or a simulated citizen) was pressed."""

    button: int
    at: float

    def __post_init__(self) -> None:
        if self.button not in BUTTONS:
            raise ValueError(f"button must be one of {BUTTONS}, not {self.button!r}")


@dataclass(frozen=True)
class DossierScanned:
    """A valid dossier code was scanned (or typed) from the receipt."""

    code: str
    at: float


@dataclass(frozen=True)
class ScanRejected:
    """Keyboard input that is neither a rating key nor a valid dossier code."""

    reason: str  # "empty", "too-long", "bad-character" or "no-enter"
    text: str
    at: float


@dataclass(frozen=True)
class SkipReason:
    """A tap on "Bỏ qua" of the reason screen: the rating stands without a reason."""

    at: float


@dataclass(frozen=True)
class Tick:
    """Time has reached `at`: let deadlines expire (the loop makes one at each deadline)."""

    at: float


# From the MQTT client's thread; `gen` tells which client (connection attempt) it came from


@dataclass(frozen=True)
class Connected:
    """The broker accepted us."""

    at: float
    gen: int = 0


@dataclass(frozen=True)
class Disconnected:
    """The connection ended or could not be made; reason says why."""

    reason: str
    at: float
    gen: int = 0


@dataclass(frozen=True)
class Incoming:
    """A retained ack or config arrived (payload parsed by the main loop, not here)."""

    kind: Literal["ack", "config", "collector"]
    payload: bytes
    at: float
    gen: int = 0


@dataclass(frozen=True)
class PublishFailed:
    """The broker refused a publish (e.g. reason 135, not authorised): it was not sent."""

    mid: int
    reason: str
    at: float
    gen: int = 0


ButtonEvent = Pressed | ServiceChord | StuckFault | StuckCleared
KeyboardEvent = ButtonPressed | DossierScanned | ScanRejected
NetworkEvent = Connected | Disconnected | Incoming | PublishFailed
