"""The report upward's words: Vietnamese in the code, English from the collector's catalogue.

`report_text("…", lang)` is a gettext keyword (scripts/translations extracts its first argument),
so the texts live in server/locale/en/LC_MESSAGES/hailong-collector.po like every other text.

The administrative frame (quốc hiệu, tiêu ngữ, the title, the signer) stays Vietnamese in both
languages: it is the document's legal form. Field and office names are the offices' own.
"""

from __future__ import annotations

import unicodedata

from hailong.server.translations import CATALOGUE

LANGUAGES = ("vi", "en")


def report_text(text: str, lang: str = "vi", **values) -> str:
    """Return text in the report's language (NFC), its {values} filled in."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    found = CATALOGUE.gettext(text, lang) if lang == "en" else text
    return unicodedata.normalize("NFC", found.format(**values) if values else found)
