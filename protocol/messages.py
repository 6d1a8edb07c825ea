"""The small messages of the contract: Ack, Status, Anchor and Health."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hailong.protocol.errors import ProtocolError
from hailong.protocol.fields import Reader, decode_object, encode_object

STATES = ("online", "offline")


@dataclass(frozen=True)
class Ack:
    """The collector's end-to-end acknowledgement: every seq 1..upto is stored."""

    upto: int

    def __post_init__(self):
        Reader({"upto": self.upto}, "ack").integer("upto", 0)

    def to_bytes(self) -> bytes:
        """Return the retained ack payload."""
        return encode_object({"v": 1, "upto": self.upto})


def parse_ack(payload: bytes) -> Ack:
    """Decode and validate an ack payload."""
    r = Reader(decode_object(payload, "ack"), "ack")
    r.version()
    return Ack(r.integer("upto", 0))


@dataclass(frozen=True)
class Status:
    """A birth or Will message; session is None for the collector's own status."""

    state: str
    session: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        r = Reader({"state": self.state, "session": self.session}, "status")
        r.choice("state", STATES)
        r.integer("session", 0, required=False, nullable=True)
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def to_bytes(self) -> bytes:
        """Return the retained status payload."""
        body: dict[str, Any] = {"v": 1, "state": self.state}
        if self.session is not None:
            body["session"] = self.session
        return encode_object({**body, **self.extra})


def parse_status(payload: bytes) -> Status:
    """Decode and validate a status payload, keeping unknown fields."""
    obj = decode_object(payload, "status")
    Reader(obj, "status").version()
    extra = {k: v for k, v in obj.items() if k not in ("v", "state", "session")}
    return Status(obj.get("state"), obj.get("session"), extra)


@dataclass(frozen=True)
class Anchor:
    """A synchronised wall-clock reading tied to a boot's monotonic clock."""

    boot: str
    mono: float
    ts: str

    def __post_init__(self):
        _anchor_fields({"boot": self.boot, "mono": self.mono, "ts": self.ts})

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of this anchor."""
        return {"boot": self.boot, "mono": self.mono, "ts": self.ts}


def _anchor_fields(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise ProtocolError("health.anchor", "must be an object or null")
    r = Reader(obj, "health.anchor")
    return {"boot": r.text("boot", 64), "mono": r.number("mono", 0), "ts": r.timestamp("ts")}


_HEALTH_KNOWN = [
    "v",
    "session",
    "version",
    "uptime",
    "backlog",
    "last_seq",
    "synced",
    "anchor",
    "disk_free_mb",
    "cpu_temp_c",
    "undervoltage",
    "suppressed",
    "faults",
]


@dataclass(frozen=True)
class Health:
    """A device's periodic health report."""

    session: int
    version: str = ""
    uptime: float = 0
    backlog: int = 0
    last_seq: int = 0
    synced: bool = False
    anchor: Anchor | None = None
    disk_free_mb: float | None = None
    cpu_temp_c: float | None = None
    undervoltage: bool | None = None
    suppressed: int = 0
    faults: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        body = self.to_dict()
        body["anchor"] = self.anchor.to_dict() if self.anchor else None
        _check_health(body)
        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of this report."""
        body = {name: getattr(self, name) for name in _HEALTH_KNOWN[1:]}
        body["anchor"] = self.anchor.to_dict() if self.anchor else None
        body["faults"] = list(self.faults)
        return {"v": 1, **body, **self.extra}

    def to_bytes(self) -> bytes:
        """Return the health payload."""
        return encode_object(self.to_dict())


def _check_health(obj: Mapping[str, Any]) -> dict[str, Any]:
    r = Reader(obj, "health")
    out = {
        "session": r.integer("session", 0),
        "version": r.text("version", 64, required=False, min_len=0) or "",
        "uptime": r.number("uptime", 0, required=False) or 0,
        "backlog": r.integer("backlog", 0, required=False) or 0,
        "last_seq": r.integer("last_seq", 0, required=False) or 0,
        "synced": bool(r.boolean("synced", required=False, default=False)),
        "disk_free_mb": r.number("disk_free_mb", 0, required=False, nullable=True),
        "cpu_temp_c": r.number("cpu_temp_c", -100, 200, required=False, nullable=True),
        "undervoltage": r.boolean("undervoltage", required=False, nullable=True),
        "suppressed": r.integer("suppressed", 0, required=False) or 0,
    }
    anchor = obj.get("anchor")
    out["anchor"] = None if anchor is None else Anchor(**_anchor_fields(anchor))
    faults = obj.get("faults", [])
    if not isinstance(faults, list) or len(faults) > 32:
        raise r.fail("faults", "must be a list of at most 32 strings")
    out["faults"] = tuple(Reader({"f": f}, "health.faults").text("f", 64) for f in faults)
    return out


def parse_health(payload: bytes) -> Health:
    """Decode and validate a health payload, keeping unknown fields."""
    obj = decode_object(payload, "health")
    Reader(obj, "health").version()
    extra = {k: v for k, v in obj.items() if k not in _HEALTH_KNOWN}
    return Health(**_check_health(obj), extra=extra)
