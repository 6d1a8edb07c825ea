"""The collector's exceptions: one base class, adapters translate library errors into these.

A message is written in Vietnamese with its values apart, `InputError("Lĩnh vực {code} đã có",
code=code)`; a page shows it in its visitor's language (`say`), the command line in English
(`str`), both through the collector's catalogue (server/translations.py).
"""

from __future__ import annotations

from hailong.protocol.i18n import Text
from hailong.server.translations import CATALOGUE


class CollectorError(Exception):
    """Base of every error the collector raises on purpose."""

    def __init__(self, message: str | Text = "", /, **values):
        self.text = message if isinstance(message, Text) else Text(message, **values)
        super().__init__(self.text.msgid)

    def say(self, language: str) -> str:
        """Return the message in a language ("vi" or "en")."""
        return self.text.render(CATALOGUE.translator(language))

    def __str__(self) -> str:
        # The command line speaks English, as its help and every other line it prints do.
        return self.say("en")


class ConfigError(CollectorError):
    """Raise when the collector's configuration file is missing or wrong."""


class SchemaError(CollectorError):
    """Raise when the database's schema cannot be used or upgraded by this program."""


class DatabaseError(CollectorError):
    """Raise when the database cannot be reached or its driver is missing."""


class InputError(CollectorError):
    """Raise when staff input (a command, a form, an imported file) is wrong; nothing was written."""
