"""One way to translate for the pages and the kiosk: gettext catalogues, Vietnamese as the source.

Code writes the Vietnamese text itself (the msgid); a compiled catalogue (`.mo`, built by Babel
from the `.po` a translator edits) gives its English. Only the standard library's `gettext` reads
the catalogues, so the kiosk starts without Babel. A text missing from a catalogue shows as
written (in Vietnamese); the tests keep every text translated.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

SOURCE_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")
LIST_SEPARATOR = "; "


def N_(msgid: str) -> str:
    """Mark a text for extraction where it is written, translated later where it is shown."""
    return msgid


def NC_(context: str, msgid: str) -> str:
    """Mark a text with its context (e.g. "menu") for extraction; return it unchanged."""
    return msgid


class Catalogue:
    """One domain's texts in every language: translate a Vietnamese msgid into a language."""

    def __init__(self, domain: str, localedir: Path | str):
        self.domain, self.localedir = domain, str(localedir)

    def translations(self, language: str) -> gettext.NullTranslations:
        """Return the compiled catalogue for a language (the source language needs none)."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}")
        return _load(self.domain, self.localedir, language)

    def gettext(self, msgid: str, language: str) -> str:
        """Return msgid in the language; itself when the catalogue lacks it."""
        return self.translations(language).gettext(msgid)

    def pgettext(self, context: str, msgid: str, language: str) -> str:
        """Return msgid as translated in a context ("menu"); itself when the catalogue lacks it."""
        return self.translations(language).pgettext(context, msgid)

    def translator(self, language: str) -> Callable[[str], str]:
        """Return a function that translates a msgid into the language."""
        return self.translations(language).gettext


@cache
def _load(domain: str, localedir: str, language: str) -> gettext.NullTranslations:
    # The source language is the msgids themselves: no file to read, nothing to miss.
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    path = Path(localedir) / language / "LC_MESSAGES" / f"{domain}.mo"
    with path.open("rb") as file:  # a missing catalogue is a broken install: say so, loudly
        return gettext.GNUTranslations(file)


class Text:
    """A message with its values, written in Vietnamese and translated when it is shown.

    Values that are themselves Texts are translated too; a list of Texts reads as one text,
    its parts joined by "; ".
    """

    __slots__ = ("msgid", "values")

    def __init__(self, msgid: str, /, **values):
        self.msgid, self.values = msgid, values

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """Return the text in the language `translate` gives (the Vietnamese without it)."""
        found = translate(self.msgid) if translate else self.msgid
        if not self.values:
            return found
        return found.format(**{k: _value(v, translate) for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, **{self.values!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Text) and (self.msgid, self.values) == (other.msgid, other.values)

    __hash__ = None  # values may be lists


def _value(value, translate):
    if isinstance(value, Text):
        return value.render(translate)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Text) for v in value):
        return LIST_SEPARATOR.join(v.render(translate) for v in value)
    return value
