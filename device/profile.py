"""The kiosk's effective settings: its own file overlaid by the collector's retained Config."""

from __future__ import annotations

import logging
from pathlib import Path

from hailong.device.config import KioskConfig
from hailong.device.segments import FILE_MODE
from hailong.device.state import KioskSettings
from hailong.protocol import Config, ProtocolError, parse_config
from hailong.protocol.files import write_atomic

log = logging.getLogger(__name__)


def base_config(config: KioskConfig) -> Config:
    """Return the settings from the kiosk's own file, as a complete Config."""
    k = config.kiosk
    return Config(
        counter=k.counter, official=k.official, official_name=k.official_name, field=k.field,
        field_name=k.field_name, question=k.question, reasons=None,
        cooldown_s=k.cooldown_s, require_dossier=k.require_dossier, resend_from=None,
        voice=k.voice, volume=k.volume,
    )  # fmt: skip


def to_settings(profile: Config, config: KioskConfig) -> KioskSettings:
    """Return what the state machine needs from a profile and the kiosk's own file."""
    return KioskSettings(
        cooldown_s=profile.cooldown_s,
        reasons=tuple(profile.reasons) if profile.reasons else None,
        require_dossier=bool(profile.require_dossier),
        service_timeout_s=config.kiosk.service_timeout_s,
    )


class Profile:
    """Hold the effective settings and persist the collector's part across restarts."""

    def __init__(self, config: KioskConfig, path: Path):
        self.base = base_config(config)
        self.path = path
        self.received = self._load()
        self.current = self.received.over(self.base) if self.received else self.base

    def apply(self, payload: bytes) -> Config | None:
        """Apply a Config payload; return it, or None when it is invalid (logged)."""
        try:
            incoming = parse_config(payload)
        except ProtocolError as exc:
            log.error("ignoring invalid config from the collector: %s", exc)
            return None
        self.received = incoming.over(self.received) if self.received else incoming
        self.current = self.received.over(self.base)
        write_atomic(self.path, self.received.to_bytes(), mode=FILE_MODE)
        return incoming

    def _load(self) -> Config | None:
        try:
            return parse_config(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ProtocolError) as exc:
            log.error("ignoring saved collector config %s: %s", self.path, exc)
            return None
