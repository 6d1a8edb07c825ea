"""Read and check the fields of one decoded JSON object, naming the field on failure."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hailong.protocol.errors import ProtocolError

MAX_PAYLOAD = 16 * 1024
MAX_INT = 2**63 - 1
RFC3339_MS = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]([01]\d|2[0-3]):[0-5]\d)", re.ASCII
)
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d", re.ASCII)
# A \uD800-\uDFFF escape may leave a lone surrogate, which no UTF-8 payload can carry back out.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def decode_object(payload: bytes, what: str) -> dict[str, Any]:
    """Decode payload bytes as one UTF-8 JSON object, or raise ProtocolError."""
    if not isinstance(payload, bytes | bytearray):
        raise ProtocolError(what, f"payload must be bytes, got {type(payload).__name__}")
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(what, f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    try:
        text = bytes(payload).decode("utf-8")
        obj = _decode(text)
    except UnicodeDecodeError as exc:
        raise ProtocolError(what, f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(what, f"not valid JSON ({exc})") from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(obj, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ProtocolError(
                what, "contains a lone surrogate escape (\\uD800-\\uDFFF)"
            ) from None
    if not isinstance(obj, dict):
        raise ProtocolError(what, f"must be a JSON object, got {type(obj).__name__}")
    return obj


def encode_object(obj: Mapping[str, Any]) -> bytes:
    """Serialise a mapping as compact UTF-8 JSON, the form devices sign."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _is_finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def nfc(text: str) -> str:
    """Return text in Unicode NFC, the only form on the wire."""
    return unicodedata.normalize("NFC", text)


class Reader:
    """Check the fields of one JSON object; every error names `<what>.<field>`."""

    def __init__(self, obj: Mapping[str, Any], what: str):
        self.obj = obj
        self.what = what

    def fail(self, name: str, problem: str) -> ProtocolError:
        """Return the error for a bad field."""
        return ProtocolError(f"{self.what}.{name}", problem)

    def has(self, name: str) -> bool:
        """Tell whether the object carries the field at all."""
        return name in self.obj

    def version(self) -> int:
        """Check the schema version field `v`."""
        v = self.obj.get("v")
        if type(v) is not int or v != 1:
            raise self.fail("v", f"must be 1, got {v!r}")
        return v

    def integer(self, name, lo=0, hi=MAX_INT, *, required=True, nullable=False):
        """Return an integer field within [lo, hi] (booleans are not integers)."""
        value = self._get(name, required, nullable)
        if value is None:
            return None
        if type(value) is not int or not lo <= value <= hi:
            raise self.fail(name, f"must be an integer {lo}..{hi}, got {value!r}")
        return value

    def number(self, name, lo=-math.inf, hi=math.inf, *, required=True, nullable=False):
        """Return a finite int or float field within [lo, hi]."""
        value = self._get(name, required, nullable)
        if value is None:
            return None
        if type(value) not in (int, float) or not _is_finite(value) or not lo <= value <= hi:
            raise self.fail(name, f"must be a number in [{lo}, {hi}], got {value!r}")
        return value

    def boolean(self, name, *, required=True, nullable=False, default=None):
        """Return a true/false field."""
        value = self._get(name, required, nullable, default)
        if value is not None and type(value) is not bool:
            raise self.fail(name, f"must be true or false, got {value!r}")
        return value

    def text(self, name, max_len=64, *, required=True, nullable=False, min_len=1):
        """Return an NFC string field without control characters."""
        value = self._get(name, required, nullable)
        if value is None:
            return None
        return check_text(value, f"{self.what}.{name}", max_len, min_len)

    def choice(self, name, options, *, required=True, default=None):
        """Return a field that must be one of options."""
        value = self._get(name, required, False, default)
        if value not in options:
            raise self.fail(name, f"must be one of {', '.join(map(repr, options))}, got {value!r}")
        return value

    def timestamp(self, name, *, required=True):
        """Return an RFC 3339 timestamp string with milliseconds and an offset."""
        value = self._get(name, required, False)
        return check_timestamp(value, f"{self.what}.{name}")

    def _get(self, name, required, nullable, default=None):
        if name not in self.obj:
            if required:
                raise self.fail(name, "is missing")
            return default
        value = self.obj[name]
        if value is None and not nullable:
            raise self.fail(name, "must not be null")
        return value


def check_text(value: Any, field: str, max_len: int = 64, min_len: int = 1) -> str:
    """Return value as NFC text within the length bounds, or raise ProtocolError."""
    if not isinstance(value, str):
        raise ProtocolError(field, f"must be a string, got {type(value).__name__}")
    if value.isascii() and value.isprintable():  # most codes: already NFC, nothing hidden
        if not min_len <= len(value) <= max_len:
            raise ProtocolError(field, f"length must be {min_len}..{max_len}, got {len(value)}")
        return value
    value = nfc(value)
    if not min_len <= len(value) <= max_len:
        raise ProtocolError(field, f"length must be {min_len}..{max_len}, got {len(value)}")
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        kind = "lone surrogates" if "\ud800" <= bad.group() <= "\udfff" else "control characters"
        raise ProtocolError(field, f"must not contain {kind}")
    # The staff forms refuse what is not printable: bidi overrides (U+202E) reorder what staff
    # read, zero-width characters (U+200B) make two codes that look alike differ.
    hidden = next((c for c in value if not c.isprintable()), None)
    if hidden is not None:
        raise ProtocolError(
            field,
            f"must not contain invisible or direction-changing characters (U+{ord(hidden):04X})",
        )
    return value


def check_timestamp(value: Any, field: str) -> str:
    """Return an RFC 3339 timestamp with milliseconds and offset, or raise ProtocolError."""
    if not isinstance(value, str) or not RFC3339_MS.fullmatch(value):
        raise ProtocolError(
            field, f"must be RFC 3339 like 2024-03-05T08:30:00.123+07:00, got {value!r}"
        )
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ProtocolError(field, f"not a real date and time: {exc}") from None
    return value


def check_hhmm(value: Any, field: str) -> str:
    """Return a HH:MM clock time, or raise ProtocolError."""
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ProtocolError(field, f"must be HH:MM, got {value!r}")
    return value


# One decoder for all: json.loads with hooks would build a new JSONDecoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_SCAN = _DECODER.scan_once


def _decode(text: str) -> Any:
    """Decode one JSON value as _DECODER.decode does (same value, same errors), faster.

    The C scanner alone when it reads the whole text (a press, as a kiosk sends it): the
    collector decodes every press, and decode's Python layers cost it half as much again.
    Anything else (whitespace around the value, data after it, no value) goes to decode.
    """
    try:
        obj, end = _SCAN(text, 0)
    except StopIteration:  # no value at the start: decode says why
        end = -1
    return obj if end == len(text) else _DECODER.decode(text)
