"""The Config message: settings the collector pushes to one device (retained)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

from hailong.protocol.errors import ProtocolError
from hailong.protocol.fields import Reader, check_hhmm, check_text, decode_object, encode_object


class _Unset:
    """The marker for a field a Config does not carry (absent keeps the device's own)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "UNSET"

    def __bool__(self):
        return False


UNSET: Any = _Unset()
_TEXTS = {"counter": 64, "official": 64, "official_name": 128, "field": 64, "field_name": 128}


@dataclass(frozen=True)
class Config:
    """A partial set of device settings; UNSET fields keep the device's own value."""

    counter: str | None = UNSET
    official: str | None = UNSET
    official_name: str | None = UNSET
    field: str | None = UNSET
    field_name: str | None = UNSET
    question: str | None = UNSET
    labels: tuple[str, ...] = UNSET
    reasons: tuple[str, ...] | None = UNSET
    cooldown_s: float = UNSET
    office_hours: tuple[tuple[str, str], ...] = UNSET
    require_dossier: bool = UNSET
    resend_from: int | None = UNSET
    voice: bool = UNSET  # speak the thanks (added in 1.1: optional, older devices ignore it)
    volume: int = UNSET  # 0..100 % of the sound's full loudness (added in 1.1, as voice)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        checked = _check(self.present())
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def present(self) -> dict[str, Any]:
        """Return the fields this Config carries, by name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "extra" and getattr(self, f.name) is not UNSET
        }

    def over(self, base: Config) -> Config:
        """Return base with this Config's present fields laid over it."""
        return replace(base, **self.present())

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object, present fields only."""
        body = self.present()
        for name in ("labels", "reasons"):
            if body.get(name) is not None and name in body:
                body[name] = list(body[name])
        if "office_hours" in body:
            body["office_hours"] = [list(pair) for pair in body["office_hours"]]
        return {"v": 1, **body, **self.extra}

    def to_bytes(self) -> bytes:
        """Return the retained config payload."""
        return encode_object(self.to_dict())


def parse_config(payload: bytes) -> Config:
    """Decode and validate a config payload; absent fields stay UNSET."""
    obj = decode_object(payload, "config")
    Reader(obj, "config").version()
    known = {f.name for f in fields(Config)} - {"extra"}
    extra = {k: v for k, v in obj.items() if k not in known and k != "v"}
    return Config(**{k: v for k, v in obj.items() if k in known}, extra=extra)


def _check(present: Mapping[str, Any]) -> dict[str, Any]:
    r = Reader(present, "config")
    out: dict[str, Any] = {}
    for name, value in present.items():
        if name in _TEXTS:
            out[name] = r.text(name, _TEXTS[name], nullable=True)
        elif name == "question":
            out[name] = r.text(name, 300, nullable=True)
        elif name in ("labels", "reasons"):
            out[name] = _four_texts(value, f"config.{name}", nullable=name == "reasons")
        elif name == "cooldown_s":
            out[name] = r.number(name, 0, 3600)
        elif name == "office_hours":
            out[name] = _office_hours(value)
        elif name in ("require_dossier", "voice"):
            out[name] = r.boolean(name)
        elif name == "volume":
            out[name] = r.integer(name, 0, 100)
        elif name == "resend_from":
            out[name] = r.integer(name, 1, nullable=True)
    return out


def _four_texts(value: Any, field_name: str, nullable: bool) -> tuple[str, ...] | None:
    if value is None and nullable:
        return None
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise ProtocolError(field_name, "must be a list of 4 strings, best first")
    return tuple(check_text(v, f"{field_name}[{i}]", 80) for i, v in enumerate(value))


def _office_hours(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list | tuple) or len(value) > 8:
        raise ProtocolError("config.office_hours", "must be a list of at most 8 [start, end] pairs")
    spans = []
    for i, pair in enumerate(value):
        where = f"config.office_hours[{i}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ProtocolError(where, 'must be a pair like ["07:30", "11:30"]')
        start, end = check_hhmm(pair[0], where), check_hhmm(pair[1], where)
        if start >= end:
            raise ProtocolError(where, f"start {start} must be before end {end}")
        spans.append((start, end))
    return tuple(spans)
