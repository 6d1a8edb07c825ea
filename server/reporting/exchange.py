"""The signed file an office with no link sends upward: its report's counts for one period.

The file is one JSON object, written in one canonical form (sorted keys, UTF-8, NFC text):
{"payload": {...}, "signature": {"alg": "HMAC-SHA256", "value": hex}}. The signature covers
the payload's compact canonical bytes under the office's own key (the province issues it when
it registers the office: `province key`). Reading refuses a file that is not byte for byte
the canonical form of what it holds, whose signature does not verify under its office's key,
or whose schema, period or counts do not hold: an altered file never reaches a report. The
payload carries counts (per level, per field, dossiers, ratings in office hours), never presses.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from hailong.protocol import sign, verify
from hailong.server.errors import CollectorError
from hailong.server.reporting.metrics import LEVELS
from hailong.server.reporting.periods import Period, parse_period
from hailong.server.reporting.province import FieldFigures, OfficeFigures

SCHEMA = "hailong.office-report/1"
ALGORITHM = "HMAC-SHA256"
OFFICE_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class ExchangeError(CollectorError):
    """Raise when an exported file cannot be read, is altered, or does not belong."""


@dataclass(frozen=True)
class Export:
    """A verified export: its office's figures, when it was made, and the file's own digest."""

    figures: OfficeFigures
    period: Period
    generated: datetime  # aware, UTC
    sha256: str  # of the file's bytes: the same file imported twice has the same digest


def new_key() -> str:
    """Return a fresh office key as 64 hex digits (256 bits)."""
    return secrets.token_hex(32)


def check_code(code: str) -> str:
    """Return an office code fit for a file name, or raise naming the rule."""
    if not OFFICE_CODE.fullmatch(code):
        raise ExchangeError(
            "Mã đơn vị {code} không hợp lệ: chữ thường không dấu, số, - hoặc _ (tối đa 64 ký tự)",
            code=repr(code),
        )
    return code


def export_bytes(figures: OfficeFigures, period: Period, generated: datetime, key: bytes) -> bytes:
    """Return the signed file of one office's figures for `period`."""
    check_code(figures.code)
    if figures.period != period.label:
        raise ExchangeError(
            "Số liệu kỳ {have} không xuất được thành kỳ {want}",
            have=figures.period,
            want=period.label,
        )
    if generated.tzinfo is None:
        raise ValueError("the export time must be timezone-aware")
    payload = {
        "schema": SCHEMA,
        "office": {"code": figures.code, "name": _nfc(figures.name)},
        "period": {"label": period.label, "convention": period.convention,
                   "start": period.start.isoformat(), "end": period.end.isoformat()},
        "generated": generated.astimezone(UTC).isoformat(timespec="seconds"),
        "counts": _levels(figures.counts),
        "previous_counts": _levels(figures.previous),
        "in_hours": figures.in_hours,
        "missing_months": list(figures.missing_months),
        "fields": [{"code": f.code, "name": _nfc(f.name), "counts": _levels(f.counts),
                    "dossiers": f.dossiers} for f in figures.fields],
    }  # fmt: skip
    return _envelope(payload, sign(key, _compact(payload)))


def read_export(raw: bytes, keys: Mapping[str, bytes]) -> Export:
    """Verify and read an exported file; `keys` maps office codes to their keys."""
    try:
        document = json.loads(raw.decode("utf-8"))
        payload, signature = document["payload"], document["signature"]
        office = check_code(payload["office"]["code"])
        canonical = _envelope(payload, signature["value"]) == raw and signature["alg"] == ALGORITHM
    except ExchangeError:
        raise
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise ExchangeError(
            "Tệp không phải tệp số liệu xuất của hailong (không đọc được)"
        ) from None
    if not canonical:  # a byte changed that the JSON reading alone would forgive
        raise ExchangeError(
            "Tệp của đơn vị {office} đã bị sửa: không còn đúng như khi xuất", office=office
        )
    if office not in keys:
        raise ExchangeError(
            "Chưa có khóa của đơn vị {office}: đăng ký đơn vị trước (province key)", office=office
        )
    if not verify(keys[office], _compact(payload), signature["value"]):
        raise ExchangeError("Tệp của đơn vị {office} bị từ chối: chữ ký không khớp (đã bị sửa "
                            "hoặc ký bằng khóa khác)", office=office)  # fmt: skip
    if payload.get("schema") != SCHEMA:
        raise ExchangeError(
            "Tệp theo mẫu {found}, chương trình đọc {schema}",
            found=repr(payload.get("schema")),
            schema=SCHEMA,
        )
    try:
        return Export(_figures(payload), _period(payload["period"]),
                      datetime.fromisoformat(payload["generated"]).astimezone(UTC),
                      hashlib.sha256(raw).hexdigest())  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ExchangeError(
            "Tệp của đơn vị {office} có số liệu không hợp lệ: {problem}", office=office, problem=exc
        ) from None


def _figures(payload: dict) -> OfficeFigures:
    """Rebuild an office's figures from a verified payload (OfficeFigures checks the sums)."""
    fields = tuple(FieldFigures(f["code"], f["name"], _counts(f["counts"]), f["dossiers"])
                   for f in payload["fields"])  # fmt: skip
    office = payload["office"]
    return OfficeFigures(office["code"], office["name"], payload["period"]["label"],
                         _counts(payload["counts"]), _counts(payload["previous_counts"]),
                         fields, payload["in_hours"], tuple(payload["missing_months"]),
                         source="file")  # fmt: skip


def _period(found: dict) -> Period:
    """Rebuild the period and refuse one whose dates are not its label's."""
    period = parse_period(found["label"], found["convention"])
    if period.label != found["label"]:
        raise ValueError(f"period {found['label']!r} is not written as the program writes it")
    if (period.start.isoformat(), period.end.isoformat()) != (found["start"], found["end"]):
        raise ValueError(f"period {found['label']} does not run {found['start']}..{found['end']}")
    return period


def _levels(counts: Mapping[int, int]) -> dict[str, int]:
    """Write counts per level with string keys, as JSON keys are."""
    return {str(level): int(counts[level]) for level in LEVELS}


def _counts(found: dict) -> dict[int, int]:
    """Read counts per level; OfficeFigures refuses missing levels and bad numbers."""
    return {int(level): n for level, n in found.items()}


def _compact(payload: dict) -> bytes:
    """Return the payload's canonical bytes: what the signature covers."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _envelope(payload: dict, signature: str) -> bytes:
    """Return the whole file in its one canonical, readable form."""
    document = {"payload": payload, "signature": {"alg": ALGORITHM, "value": signature}}
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def _nfc(text: str) -> str:
    """Return text in NFC, the one form Vietnamese letters are stored in."""
    return unicodedata.normalize("NFC", text)
