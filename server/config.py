"""The collector's settings: one frozen dataclass tree loaded from TOML."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from protocol import DEFAULT_PREFIX
from protocol.tomlconf import invalid, load, read_secret


@dataclass(frozen=True)
class MqttSettings:
    """How the collector reaches the broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    prefix: str = DEFAULT_PREFIX
    username: str = "collector"
    password_file: str | None = None  # a path, or "env:VARIABLE"
    client_id: str = "hailong-collector"
    ca_file: Path | None = None
    keepalive: int = 30
    session_expiry_s: int = 7 * 24 * 3600

    def __post_init__(self):
        if not 1 <= self.port <= 65535:
            raise invalid("port", f"must be 1..65535, got {self.port}")


@dataclass(frozen=True)
class IngestSettings:
    """How presses are batched into transactions."""

    batch_size: int = 500
    batch_ms: int = 50
    keys_dir: Path | None = None  # <device>.key files holding hex HMAC keys

    def __post_init__(self):
        if not 1 <= self.batch_size <= 10_000:
            raise invalid("batch_size", f"must be 1..10000, got {self.batch_size}")
        if not 1 <= self.batch_ms <= 10_000:
            raise invalid("batch_ms", f"must be 1..10000, got {self.batch_ms}")


@dataclass(frozen=True)
class WebSettings:
    """Where the pages are served."""

    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class CollectorConfig:
    """Everything the collector's processes need."""

    database: str = "sqlite:///var/hailong/collector.db"
    time_zone: str = "Asia/Ho_Chi_Minh"
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    web: WebSettings = field(default_factory=WebSettings)
    source: str = field(default="<defaults>", metadata={"internal": True})

    def __post_init__(self):
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("time_zone", f"unknown time zone {self.time_zone!r}") from None
        if "://" not in self.database:
            raise invalid(
                "database", f"must be a URL like sqlite:///path.db, got {self.database!r}"
            )

    @property
    def tz(self) -> ZoneInfo:
        """Return the office's time zone."""
        return ZoneInfo(self.time_zone)

    def mqtt_password(self) -> str | None:
        """Read the broker password from its file or environment variable."""
        if not self.mqtt.password_file:
            return None
        return read_secret(self.mqtt.password_file, self.source, "mqtt.password_file")


def load_config(path: str | Path | None) -> CollectorConfig:
    """Load the collector's configuration file (defaults when path is None)."""
    return replace(load(CollectorConfig, path), source=str(path) if path else "<defaults>")
