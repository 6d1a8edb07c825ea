"""The Press: one citizen's rating as it travels from kiosk to collector."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from hailong.protocol.errors import ProtocolError
from hailong.protocol.fields import MAX_INT, RFC3339_MS, Reader, decode_object, encode_object
from hailong.protocol.i18n import N_
from hailong.protocol.topics import DEVICE_ID, RESERVED_IDS, check_device_id

LEVELS = {4: N_("Rất hài lòng"), 3: N_("Hài lòng"), 2: N_("Bình thường"), 1: N_("Không hài lòng")}
MODES = ("live", "test")
_KNOWN = [
    "v",
    "device",
    "seq",
    "rating",
    "reason",
    "ts",
    "synced",
    "boot",
    "mono",
    "counter",
    "official",
    "field",
    "dossier",
    "mode",
]
_KNOWN_SET = frozenset(_KNOWN)
_CODES = ("counter", "official", "field", "dossier")
_NO_EXTRA = MappingProxyType({})


def format_ts(moment: datetime) -> str:
    """Format an aware datetime as the contract's RFC 3339 with milliseconds."""
    if moment.tzinfo is None:
        raise ProtocolError("ts", "needs a time zone offset")
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Press:
    """One rating, immutable; constructing it validates every field."""

    device: str
    seq: int
    rating: int
    ts: str
    synced: bool
    boot: str
    mono: float
    reason: int | None = None
    counter: str | None = None
    official: str | None = None
    field: str | None = None
    dossier: str | None = None
    mode: str = "live"
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        checked = _check(self._fields_dict(), "press")
        for name in _KNOWN[1:]:
            object.__setattr__(self, name, checked[name])
        self._keep_extra()

    def _keep_extra(self) -> None:
        clash = set(self.extra) & set(_KNOWN)
        if clash:
            raise ProtocolError("press.extra", f"must not repeat known fields {sorted(clash)}")
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Press:
        """Build a Press from a decoded JSON object, keeping unknown fields."""
        checked = _check(obj, "press")
        # Checked once here: skip the constructor's second check (ingest parses every press).
        press = object.__new__(cls)
        # Unknown fields only, so none can clash with a known one: _keep_extra's check is moot.
        # Filled through __dict__: a frozen dataclass refuses setattr, and object.__setattr__
        # field by field cost more than the checks.
        if obj.keys() <= _KNOWN_SET:  # the usual press: no unknown field to keep
            checked["extra"] = _NO_EXTRA
        else:
            extra = {k: v for k, v in obj.items() if k not in _KNOWN_SET}
            checked["extra"] = MappingProxyType(extra)
        press.__dict__.update(checked)
        return press

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of this press, fields in contract order."""
        return {**self._fields_dict(), **self.extra}

    def to_bytes(self) -> bytes:
        """Return the exact payload bytes a device publishes (and signs)."""
        return encode_object(self.to_dict())

    @property
    def moment(self) -> datetime:
        """Return the device wall-clock time of the press as an aware datetime."""
        return datetime.fromisoformat(self.ts)

    def _fields_dict(self) -> dict[str, Any]:
        return {"v": 1, **{name: getattr(self, name) for name in _KNOWN[1:]}}


def parse_press(payload: bytes, topic_device: str | None = None) -> Press:
    """Decode and validate press payload bytes; the device must match the topic's."""
    press = Press.from_dict(decode_object(payload, "press"))
    if topic_device is not None and press.device != topic_device:
        raise ProtocolError(
            "press.device", f"{press.device!r} differs from topic device {topic_device!r}"
        )
    return press


def _check(obj: Mapping[str, Any], what: str) -> dict[str, Any]:
    plain = _check_plain(obj)
    return plain if plain is not None else _check_each(obj, what)


def _check_plain(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the checked fields of a press in the usual shape, or None to check field by field.

    The collector checks every press; this is _check_each's rules for the shape kiosks send
    (ASCII codes, no unknown types) in one pass. Anything else, valid or not, returns None:
    _check_each then accepts it or names the field at fault. tests/protocol prove the two agree.
    """
    get = obj.get
    device, seq, rating, reason = get("device"), get("seq"), get("rating"), get("reason")
    ts, synced, boot, mono = get("ts"), get("synced"), get("boot"), get("mono")
    mode = get("mode", "live")
    if not (
        type(get("v")) is int and get("v") == 1
        and type(device) is str and DEVICE_ID.fullmatch(device) and device not in RESERVED_IDS
        and type(seq) is int and 1 <= seq <= MAX_INT
        and type(rating) is int and 1 <= rating <= 4
        and (reason is None or (type(reason) is int and 1 <= reason <= 4))
        and type(synced) is bool
        and _plain_text(boot)
        and ((type(mono) is float and 0 <= mono < math.inf)
             or (type(mono) is int and 0 <= mono <= MAX_INT))
        and (mode == "live" or mode == "test")
        and type(ts) is str and RFC3339_MS.fullmatch(ts)
    ):  # fmt: skip
        return None
    out = {"device": device, "seq": seq, "rating": rating, "reason": reason, "ts": ts,
           "synced": synced, "boot": boot, "mono": mono, "mode": mode}  # fmt: skip
    for name in _CODES:
        value = get(name)
        if value is not None and not _plain_text(value):
            return None
        out[name] = value
    try:
        datetime.fromisoformat(ts)
    except ValueError:
        return None
    return out


def _plain_text(value: Any) -> bool:
    return type(value) is str and 1 <= len(value) <= 64 and value.isascii() and value.isprintable()


def _check_each(obj: Mapping[str, Any], what: str) -> dict[str, Any]:
    r = Reader(obj, what)
    r.version()
    try:
        check_device_id(obj.get("device"), f"{what}.device")
    except ProtocolError:
        if "device" not in obj:
            raise r.fail("device", "is missing") from None
        raise
    out = {
        "device": obj["device"],
        "seq": r.integer("seq", 1),
        "rating": r.integer("rating", 1, 4),
        "reason": r.integer("reason", 1, 4, required=False, nullable=True),
        "ts": r.timestamp("ts"),
        "synced": r.boolean("synced"),
        "boot": r.text("boot", 64),
        "mono": r.number("mono", 0),
        "mode": r.choice("mode", MODES, required=False, default="live"),
    }
    for name in _CODES:
        out[name] = r.text(name, 64, required=False, nullable=True)
    return out
