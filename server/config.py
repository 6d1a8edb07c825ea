"""The collector's settings: one frozen dataclass tree loaded from TOML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from hailong.protocol import DEFAULT_PREFIX
from hailong.protocol.tomlconf import invalid, load, read_secret, zone_named


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
    # How long the broker keeps a stopped collector's session and messages; unset: a week for a
    # single ingest, SHARED_SESSION_EXPIRY_S in a share group (see IngestSettings.share_group).
    session_expiry_s: int | None = None

    def __post_init__(self):
        if not 1 <= self.port <= 65535:
            raise invalid("port", f"must be 1..65535, got {self.port}")


SINGLE_SESSION_EXPIRY_S = 7 * 24 * 3600
# Mosquitto keeps handing a stopped member of a share group its turn of the presses until its
# session expires (the kiosks resend them once they see no ack): keep that short.
SHARED_SESSION_EXPIRY_S = 60


@dataclass(frozen=True)
class IngestSettings:
    """How presses are batched into transactions."""

    batch_size: int = 500
    batch_ms: int = 50
    keys_dir: Path | None = None  # <device>.key files holding hex HMAC keys
    # Several ingest instances share the presses through $share/<group>/… ("" = one instance).
    share_group: str = ""
    quarantine_keep_bytes: int = 1024  # of each rejected message; its length and hash are kept
    quarantine_per_hour: int = 200  # rows a device may fill per hour; the rest are only counted
    # Below this much free space ingest holds presses unacked (the kiosks keep them); 0: never.
    min_free_mb: int = 512
    free_space_path: Path | None = None  # where to measure it; unset: a SQLite database's folder
    max_failed_commits: int = 20  # in a row, then exit non-zero (systemd restarts ingest)
    stale_after_s: int = 300  # no commit for this long while kiosks are online: /healthz fails

    def __post_init__(self):
        if not 1 <= self.batch_size <= 10_000:
            raise invalid("batch_size", f"must be 1..10000, got {self.batch_size}")
        if not 1 <= self.batch_ms <= 10_000:
            raise invalid("batch_ms", f"must be 1..10000, got {self.batch_ms}")
        if not 0 <= self.quarantine_keep_bytes <= 65_536:
            raise invalid("quarantine_keep_bytes",
                          f"must be 0..65536, got {self.quarantine_keep_bytes}")  # fmt: skip
        for key in ("quarantine_per_hour", "min_free_mb"):
            if getattr(self, key) < 0:
                raise invalid(key, f"must be 0 or more, got {getattr(self, key)}")
        for key in ("max_failed_commits", "stale_after_s"):
            if getattr(self, key) < 1:
                raise invalid(key, f"must be at least 1, got {getattr(self, key)}")
        if not re.fullmatch(r"[A-Za-z0-9_-]{0,64}", self.share_group):
            raise invalid(
                "share_group", f"must be letters, digits, - or _, got {self.share_group!r}"
            )


@dataclass(frozen=True)
class WebSettings:
    """Where the pages are served, and how they keep sessions and show the board."""

    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 4
    # Signs the session cookies; generated (mode 0600) on first start when missing.
    secret_key_file: Path = Path("var/hailong/web-secret.key")
    secure_cookies: bool = False  # true when the pages are served over HTTPS (behind TLS)
    session_hours: int = 8
    report_settings: Path | None = None  # the report settings file: unit, hours, targets
    convention: str = "calendar"  # period boundaries the pages open with: calendar or cutoff
    board_officials: bool = False  # the public board shows per-official figures only if true
    board_refresh_s: int = 60
    login_attempts: int = 5  # failed logins per account from one address (4x per address) ...
    login_window_s: int = 900  # ... within this many seconds, before each try waits 1, 2, 4 … 300 s
    # Anonymous pages (board, poster, sign-in) per client address: a burst, then this many a minute.
    anonymous_per_minute: int = 60
    anonymous_burst: int = 30
    trusted_proxy: str = ""  # the proxy's address: only its X-Forwarded-For names the client
    # waitress's own bounds, behind nginx: connections at once (more wait in the listen queue),
    # and seconds an idle connection is kept. Slow clients are nginx's to hold, never these.
    connection_limit: int = 100
    channel_timeout: int = 30

    def __post_init__(self):
        if not 1 <= self.port <= 65535:
            raise invalid("port", f"must be 1..65535, got {self.port}")
        if self.convention not in ("calendar", "cutoff"):
            raise invalid("convention", f"must be calendar or cutoff, got {self.convention!r}")
        for key in ("threads", "session_hours", "board_refresh_s", "login_attempts",
                    "anonymous_per_minute", "anonymous_burst", "connection_limit",
                    "channel_timeout"):  # fmt: skip
            if getattr(self, key) < 1:
                raise invalid(key, f"must be at least 1, got {getattr(self, key)}")
        if self.login_window_s < 1:
            raise invalid("login_window_s", f"must be at least 1, got {self.login_window_s}")


@dataclass(frozen=True)
class BrokerSettings:
    """The broker's account files and how kiosks reach it (for `device add` and `device revoke`)."""

    address: str | None = None  # the name or IP kiosks connect to: one in the broker certificate
    port: int = 8883  # its TLS listener
    ca_file: Path = Path("/etc/hailong/tls/ca.crt")  # handed to every kiosk in its bundle
    password_file: Path = Path("/etc/mosquitto/hailong/passwd")
    acl_file: Path = Path("/etc/mosquitto/hailong/acl")
    systemd: bool = True  # after a change: reload mosquitto.service, restart ingest (keys)
    pid_file: Path | None = None  # else SIGHUP the broker whose pid this file holds

    def __post_init__(self):
        if not 1 <= self.port <= 65535:
            raise invalid("port", f"must be 1..65535, got {self.port}")


@dataclass(frozen=True)
class CollectorConfig:
    """Everything the collector's processes need."""

    database: str = "sqlite:///var/hailong/collector.db"
    time_zone: str = "Asia/Ho_Chi_Minh"
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    web: WebSettings = field(default_factory=WebSettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    # Where `publish` writes and `verify` rechecks: absolute, so that it never depends on the
    # folder a staff member happens to run the command from.
    publish_folder: Path = Path("/var/lib/hailong-collector/published")
    source: str = field(default="<defaults>", metadata={"internal": True})

    def __post_init__(self):
        zone_named(self.time_zone)
        if not Path(self.publish_folder).is_absolute():
            raise invalid(
                "publish_folder", f"must be an absolute path, got {str(self.publish_folder)!r}"
            )
        if "://" not in self.database:
            raise invalid(
                "database", f"must be a URL like sqlite:///path.db, got {self.database!r}"
            )

    @property
    def tz(self) -> ZoneInfo:
        """Return the office's time zone."""
        return zone_named(self.time_zone)

    @property
    def session_expiry_s(self) -> int:
        """Return the MQTT session expiry the ingest asks for."""
        if self.mqtt.session_expiry_s is not None:
            return self.mqtt.session_expiry_s
        return SHARED_SESSION_EXPIRY_S if self.ingest.share_group else SINGLE_SESSION_EXPIRY_S

    def mqtt_password(self) -> str | None:
        """Read the broker password from its file or environment variable."""
        if not self.mqtt.password_file:
            return None
        return read_secret(self.mqtt.password_file, self.source, "mqtt.password_file")


def load_config(path: str | Path | None) -> CollectorConfig:
    """Load the collector's configuration file (defaults when path is None)."""
    return replace(load(CollectorConfig, path), source=str(path) if path else "<defaults>")
