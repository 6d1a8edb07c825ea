"""The kiosk's settings: one frozen dataclass tree loaded from TOML."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from hailong.protocol import DEFAULT_PREFIX, Config, ProtocolError, Topics, check_device_id
from hailong.protocol.tomlconf import invalid, load, read_secret, zone_named


@dataclass(frozen=True)
class MqttSettings:
    """How the kiosk reaches the broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    prefix: str = DEFAULT_PREFIX
    username: str | None = None  # defaults to the device id, as the broker's ACL expects
    password_file: str | None = None  # a path, or "env:VARIABLE"
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive: int = 30
    inflight: int = 1000  # presses sent but not yet acked end to end (a drain runs at its pace)
    retransmit_after_s: float = 20.0  # resend pending presses when the ack stalls this long
    health_interval_s: float = 60.0
    reconnect_max_s: float = 60.0  # the longest wait between connection attempts

    def __post_init__(self):
        if not 1 <= self.port <= 65535:
            raise invalid("port", f"must be 1..65535, got {self.port}")
        if not 1 <= self.inflight <= 10_000:
            raise invalid("inflight", f"must be 1..10000, got {self.inflight}")
        if not 0 <= self.keepalive <= 65535:  # 0: no keepalive, as MQTT defines it
            raise invalid("keepalive", f"must be 0..65535 seconds, got {self.keepalive}")
        for name in ("retransmit_after_s", "health_interval_s", "reconnect_max_s"):
            if not 1 <= getattr(self, name) <= 86_400:
                raise invalid(name, f"must be 1..86400 seconds, got {getattr(self, name)}")
        try:
            Topics(self.prefix)
        except ProtocolError as exc:
            raise invalid("prefix", exc.problem) from None


STATE_DIR = Path("/var/lib/hailong")
TEXT_KEYS = ("counter", "official", "official_name", "field", "field_name", "question")
WIRE_KEYS = (*TEXT_KEYS, "cooldown_s", "require_dossier", "voice", "volume")


@dataclass(frozen=True)
class KioskSettingsFile:
    """What the office sets on the kiosk itself (the collector's Config can override it)."""

    language: str = "vi"
    counter: str | None = None
    official: str | None = None
    official_name: str | None = None
    field: str | None = None
    field_name: str | None = None
    question: str | None = None
    cooldown_s: float = 5.0
    require_dossier: bool = False
    voice: bool = True  # speak the thanks (files from `hailong-kiosk voice render`), else beep
    volume: int = 80  # 0..100 % of full loudness; the collector's Config may change both
    service_hold_s: float = 5.0  # hold buttons 1 and 4 this long for service mode
    service_timeout_s: float = 120.0  # service mode leaves by itself after this idle time

    def __post_init__(self):
        if self.language not in ("vi", "en"):
            raise invalid("language", f"must be 'vi' or 'en', got {self.language!r}")
        if not 1 <= self.service_hold_s <= 9:
            raise invalid("service_hold_s", f"must be 1..9 seconds, got {self.service_hold_s}")
        if not 10 <= self.service_timeout_s <= 3600:
            raise invalid("service_timeout_s", f"must be 10..3600 s, got {self.service_timeout_s}")
        if not 0 <= self.cooldown_s <= 3600:
            raise invalid("cooldown_s", f"must be 0..3600 seconds, got {self.cooldown_s}")
        self._check_as_the_wire_does()

    def _check_as_the_wire_does(self) -> None:
        """Hold the settings a press or the screen carries to the contract's limits, as NFC text."""
        # The collector's Config may set the same keys: one set of rules, the contract's, for both.
        try:
            wire = Config(**{name: getattr(self, name) for name in WIRE_KEYS})
        except ProtocolError as exc:
            raise invalid(exc.field.removeprefix("config."), exc.problem) from None
        for name in TEXT_KEYS:
            object.__setattr__(self, name, getattr(wire, name))


@dataclass(frozen=True)
class ScreenSettings:
    """The display."""

    enabled: bool = True
    width: int = 800
    height: int = 480
    fullscreen: bool = True
    touch: bool = True  # the recommended display, the official 7" one, is a touch screen
    font: Path | None = None
    sound: bool = True
    sound_file: Path | None = None

    def __post_init__(self):
        for name in ("width", "height"):
            if not 100 <= getattr(self, name) <= 10_000:
                raise invalid(name, f"must be 100..10000 pixels, got {getattr(self, name)}")


@dataclass(frozen=True)
class JournalSettings:
    """The local journal."""

    segment_size: int = 256
    retention_days: int = 400

    def __post_init__(self):
        if not 1 <= self.segment_size <= 100_000:
            raise invalid("segment_size", f"must be 1..100000 presses, got {self.segment_size}")
        if not 0 <= self.retention_days <= 36_500:
            raise invalid("retention_days", f"must be 0..36500 days, got {self.retention_days}")


@dataclass(frozen=True)
class KioskConfig:
    """Everything the kiosk needs."""

    device: str
    state_dir: Path = STATE_DIR
    time_zone: str = "Asia/Ho_Chi_Minh"
    signing_key_file: str | None = None  # hex HMAC key; a path, or "env:VARIABLE"
    pin_map: Path | None = None
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    kiosk: KioskSettingsFile = field(default_factory=KioskSettingsFile)
    screen: ScreenSettings = field(default_factory=ScreenSettings)
    journal: JournalSettings = field(default_factory=JournalSettings)
    source: str = field(default="<defaults>", metadata={"internal": True})

    def __post_init__(self):
        try:
            check_device_id(self.device)
        except ProtocolError as exc:
            raise invalid("device", exc.problem) from None
        zone_named(self.time_zone)

    @property
    def tz(self) -> ZoneInfo:
        """Return the office's time zone."""
        return zone_named(self.time_zone)

    @property
    def username(self) -> str:
        """Return the broker username: the device id unless set."""
        return self.mqtt.username or self.device

    def mqtt_password(self) -> str | None:
        """Read the broker password from its file or environment variable."""
        if not self.mqtt.password_file:
            return None
        return read_secret(self.mqtt.password_file, self.source, "mqtt.password_file")

    def signing_key(self) -> str | None:
        """Read the hex signing key, if the device has one."""
        if not self.signing_key_file:
            return None
        return read_secret(self.signing_key_file, self.source, "signing_key_file")


def load_config(path: str | Path | None, **overrides) -> KioskConfig:
    """Load the kiosk's configuration file; overrides replace top-level fields."""
    config = load(KioskConfig, path) if path else None
    if config is None:
        config = KioskConfig(**overrides)
    elif overrides:
        config = replace(config, **overrides)
    return replace(config, source=str(path) if path else "<defaults>")
