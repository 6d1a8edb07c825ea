"""The collector's exceptions: one base class, adapters translate library errors into these."""


class CollectorError(Exception):
    """Base of every error the collector raises on purpose."""


class ConfigError(CollectorError):
    """Raise when the collector's configuration file is missing or wrong."""


class SchemaError(CollectorError):
    """Raise when the database's schema cannot be used or upgraded by this program."""


class DatabaseError(CollectorError):
    """Raise when the database cannot be reached or its driver is missing."""


class InputError(CollectorError):
    """Raise when staff input (a command, a form, an imported file) is wrong; nothing was written."""
