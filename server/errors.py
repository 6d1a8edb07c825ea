"""The collector's exceptions: one base class, adapters translate library errors into these."""


class CollectorError(Exception):
    """Base of every error the collector raises on purpose."""


class ConfigError(CollectorError):
    """Raise when the collector's configuration file is missing or wrong."""
