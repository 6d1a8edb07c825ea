"""What the kiosk knows about itself, as a read-only snapshot the loop hands to its adapters.

The screen, the service-mode lines and the health report read a `KioskStatus`, never the loop's
own objects: they cannot change the state, and they need nothing but this module to be tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hailong.device.state import ShowView
from hailong.protocol import Anchor, Config


@dataclass
class Counters:
    """What the loop counts since start, for health and service mode (mutated by the loop only)."""

    recorded: int = 0
    suppressed: int = 0
    rejected: int = 0
    denied: int = 0
    faults: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class KioskStatus:
    """The kiosk at one moment: identity, clock, link, journal counters, counts and the view."""

    device: str
    version: str
    uptime: float  # seconds since the loop started
    now: datetime  # the wall clock, in the office's time zone
    synced: bool
    anchor: Anchor | None
    broker: str  # "host:port"
    connected: bool
    session: int
    last_seq: int
    acked: int
    backlog: int
    last_ack_at: datetime | None  # when an ack last moved the watermark
    recorded: int
    suppressed: int
    rejected: int
    faults: tuple[str, ...]  # sorted
    view: ShowView
    profile: Config  # the effective settings: the kiosk's file under the collector's Config
    language: str
    state_dir: Path
