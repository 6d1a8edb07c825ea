"""Every string the kiosk shows, in Vietnamese (the default) and English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from types import MappingProxyType

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

# Label and reason tuples are best first / left to right, matching the four buttons.
_VI = {
    "question": (
        "Ông/Bà đánh giá như thế nào về thái độ công chức khi tiếp nhận"
        " và hướng dẫn giải quyết hồ sơ?"
    ),
    "labels": ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"),
    "reason_question": "Ông/Bà chưa hài lòng vì điều gì?",
    "reasons": ("Thời gian chờ lâu", "Thái độ cán bộ", "Thủ tục, hồ sơ phức tạp", "Lý do khác"),
    "reason_skip": "Bỏ qua",
    "reason_countdown": "Tự động bỏ qua sau {n} giây",
    "thanks": "Cảm ơn Ông/Bà!",
    "press_hint": "Mời Ông/Bà bấm nút bên dưới",
    "scan_prompt": "Vui lòng quét mã hồ sơ trên phiếu hẹn",
    "scan_hint": "Đưa mã vạch hoặc mã QR lại gần máy quét",
    "offline": "Mất kết nối",
    "clock_unsynced": "Chưa đồng bộ giờ",
    "separator": " · ",
    "counter": "Quầy",
    "official": "Cán bộ",
    "field": "Lĩnh vực",
    "dossier": "Hồ sơ",
    "service_title": "Chế độ kỹ thuật",
    "service_hint": "Nhấn từng nút để kiểm tra nút và đèn",
    "button": "Nút",
}

_EN = {
    "question": "How would you rate the attitude of the official who received and guided your dossier?",
    "labels": ("Very satisfied", "Satisfied", "Neutral", "Not satisfied"),
    "reason_question": "What were you not satisfied with?",
    "reasons": ("Long waiting time", "Staff attitude", "Complex procedure", "Other reason"),
    "reason_skip": "Skip",
    "reason_countdown": "Skipping automatically in {n} s",
    "thanks": "Thank you!",
    "press_hint": "Please press a button below",
    "scan_prompt": "Please scan the dossier code on your appointment slip",
    "scan_hint": "Hold the barcode or QR code close to the scanner",
    "offline": "Offline",
    "clock_unsynced": "Clock not synced",
    "separator": " · ",
    "counter": "Counter",
    "official": "Official",
    "field": "Field",
    "dossier": "Dossier",
    "service_title": "Service mode",
    "service_hint": "Press each button to test it and its light",
    "button": "Button",
}


# Two-syllable Vietnamese words that read wrongly when a line break splits them ("Rất hài / lòng").
_PAIRS = ("hài lòng", "hồ sơ", "cán bộ", "thái độ", "thủ tục", "phức tạp", "thời gian", "công chức")
_KEEP_TOGETHER = re.compile(unicodedata.normalize("NFC", "|".join(_PAIRS)), re.IGNORECASE)
NO_BREAK_SPACE = "\u00a0"


def keep_together(value: str) -> str:
    """Join the syllables of common two-syllable words with no-break spaces for wrapping."""
    return _KEEP_TOGETHER.sub(lambda match: match.group(0).replace(" ", NO_BREAK_SPACE), value)


def nfc(value: str) -> str:
    """Return the string in Unicode NFC, the one form the fonts and the wire expect."""
    return unicodedata.normalize("NFC", value)


def _normalised(table: dict) -> Mapping[str, str | tuple[str, ...]]:
    # Source files may be saved decomposed by some editors; normalise once here.
    out = {
        key: tuple(nfc(v) for v in value) if isinstance(value, tuple) else nfc(value)
        for key, value in table.items()
    }
    return MappingProxyType(out)


_TABLES = {"vi": _normalised(_VI), "en": _normalised(_EN)}


def _table(language: str) -> Mapping[str, str | tuple[str, ...]]:
    try:
        return _TABLES[language]
    except KeyError:
        raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}") from None


def text(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Return the single UI string named key in the language."""
    value = _table(language)[key]
    if not isinstance(value, str):
        raise KeyError(f"{key!r} is a list of strings; use labels() or reasons()")
    return value


def labels(language: str = DEFAULT_LANGUAGE) -> tuple[str, str, str, str]:
    """Return the four default rating labels, best first."""
    return _table(language)["labels"]  # type: ignore[return-value]


def reasons(language: str = DEFAULT_LANGUAGE) -> tuple[str, str, str, str]:
    """Return the four default follow-up reasons in button order."""
    return _table(language)["reasons"]  # type: ignore[return-value]


def key_names() -> tuple[str, ...]:
    """Return every key, in the order of the Vietnamese table."""
    return tuple(_TABLES[DEFAULT_LANGUAGE])


def all_strings() -> Iterator[str]:
    """Yield every UI string of every language (for glyph-coverage checks)."""
    for table in _TABLES.values():
        for value in table.values():
            yield from value if isinstance(value, tuple) else (value,)
