"""Sort one incoming MQTT message into what the store does with it (pure, no I/O)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from hailong.protocol import (
    Health,
    Press,
    ProtocolError,
    Status,
    TopicName,
    Topics,
    parse_ack,
    parse_health,
    parse_status,
    verify,
)
from hailong.server.epoch import ts_ms
from hailong.server.ingest.press_json import read_press


class Message(NamedTuple):
    """One message as received: topic, exact payload bytes, signature property, receive time."""

    # A tuple, not a frozen dataclass: one is built per press on the network thread.

    topic: str
    payload: bytes
    sig: str | None
    received_ms: int
    retained: bool = False


class Incoming(NamedTuple):
    """A press that passed every check and may be stored (a tuple: one is built per press)."""

    press: Press
    message: Message

    @property
    def at_ms(self) -> int:
        """Return the device's wall-clock time of the press in UTC epoch milliseconds."""
        return ts_ms(self.press.ts)


@dataclass(frozen=True)
class Rejected:
    """A message for the quarantine table, with why."""

    message: Message
    kind: str  # invalid | signature | mismatch | conflict
    reason: str
    device: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class DeviceStatus:
    """A device's birth or Will."""

    device: str
    status: Status
    message: Message


@dataclass(frozen=True)
class DeviceHealth:
    """A device's periodic health report."""

    device: str
    health: Health
    message: Message


@dataclass(frozen=True)
class RetainedAck:
    """The ack the broker still holds for a device: more than the database means a restore."""

    device: str
    upto: int


@dataclass(frozen=True)
class RetainedPress:
    """A press the broker kept retained: never a citizen's press, so never stored nor quarantined.

    Kiosks never retain a press; one retained (by a broken or hostile client) would otherwise
    come back, and be quarantined again, on every restart of ingest. The process clears it.
    """

    device: str
    message: Message


Sorted = Incoming | Rejected | DeviceStatus | DeviceHealth | RetainedAck | RetainedPress | None


def classify(message: Message, topics: Topics, keys: Mapping[str, bytes]) -> Sorted:
    """Return what a message is; None for topics the collector ignores (its own, acks)."""
    try:
        name = _parse_topic(topics, message.topic)
    except ProtocolError as exc:
        return Rejected(message, "invalid", str(exc))
    if name.kind == "ack" and name.device is not None and message.retained:
        try:
            return RetainedAck(name.device, parse_ack(message.payload).upto)
        except ProtocolError:
            return None  # not ours to judge; the next ack we publish replaces it
    if name.device is None or name.kind in ("ack", "config"):
        return None
    if name.kind == "press" and message.retained:
        return RetainedPress(name.device, message)
    try:
        if name.kind == "press":
            return _press(message, name.device, keys)
        if name.kind == "status":
            return DeviceStatus(name.device, parse_status(message.payload), message)
        return DeviceHealth(name.device, parse_health(message.payload), message)
    except ProtocolError as exc:
        kind = "mismatch" if exc.field == "press.device" and "differs" in exc.problem else "invalid"
        return Rejected(message, kind, str(exc), device=name.device)


@functools.lru_cache(maxsize=4096)
def _parse_topic(topics: Topics, topic: str) -> TopicName:
    # A kiosk sends on a handful of topics: check each once (errors are not cached).
    return topics.parse(topic)


def _press(message: Message, device: str, keys: Mapping[str, bytes]) -> Incoming | Rejected:
    key = keys.get(device)
    if key is not None and not verify(key, message.payload, message.sig):
        problem = "signature missing" if message.sig is None else "signature does not match"
        return Rejected(message, "signature", f"press.sig: {problem}", device=device)
    press = read_press(message.payload, device)  # parse_press's reading, sooner
    return tuple.__new__(Incoming, (press, message))  # not Incoming's Python __new__: per press
