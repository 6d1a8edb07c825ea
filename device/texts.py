"""Every string the kiosk shows, in Vietnamese (the default) and English.

The Vietnamese is written here, by key; it is the msgid of the kiosk's gettext catalogue
(device/locale/en/LC_MESSAGES/hailong-kiosk.po, compiled to the .mo read at start), which gives
the English. Reading the .mo needs only the standard library: the kiosk never imports Babel.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from hailong.protocol.i18n import LANGUAGES, N_, Catalogue

DEFAULT_LANGUAGE = "vi"
CATALOGUE = Catalogue("hailong-kiosk", Path(__file__).parent / "locale")

# Label and reason tuples are best first / left to right, matching the four buttons.
_VI = {
    "question": N_(
        "Ông/Bà đánh giá như thế nào về thái độ công chức khi tiếp nhận"
        " và hướng dẫn giải quyết hồ sơ?"
    ),
    "labels": (N_("Rất hài lòng"), N_("Hài lòng"), N_("Bình thường"), N_("Không hài lòng")),
    "reason_question": N_("Ông/Bà chưa hài lòng vì điều gì?"),
    "reasons": (
        N_("Thời gian chờ lâu"),
        N_("Thái độ cán bộ"),
        N_("Thủ tục, hồ sơ phức tạp"),
        N_("Lý do khác"),
    ),
    "reason_skip": N_("Bỏ qua"),
    "reason_countdown": N_("Tự động bỏ qua sau {n} giây"),
    "thanks": N_("Cảm ơn Ông/Bà!"),
    "press_hint": N_("Mời Ông/Bà bấm nút bên dưới"),
    "scan_prompt": N_("Vui lòng quét mã hồ sơ trên phiếu hẹn"),
    "scan_hint": N_("Đưa mã vạch hoặc mã QR lại gần máy quét"),
    "offline": N_("Mất kết nối"),
    "clock_unsynced": N_("Chưa đồng bộ giờ"),
    "separator": " · ",  # the same in every language: not in the catalogue
    "counter": N_("Quầy"),
    "official": N_("Cán bộ"),
    "field": N_("Lĩnh vực"),
    "dossier": N_("Hồ sơ"),
    "service_title": N_("Chế độ kỹ thuật"),
    "service_hint": N_("Nhấn từng nút để kiểm tra nút và đèn"),
    "button": N_("Nút"),
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


def _translated(language: str) -> dict:
    translate = CATALOGUE.translator(language)
    return {
        key: tuple(translate(v) for v in value) if isinstance(value, tuple) else translate(value)
        for key, value in _VI.items()
    }


_TABLES = {language: _normalised(_translated(language)) for language in LANGUAGES}


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
