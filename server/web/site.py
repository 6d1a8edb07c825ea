"""What every view needs: the collector's configuration, the database, the report settings."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app, request
from sqlalchemy.engine import Engine

from hailong.protocol import ConfigFileError
from hailong.server.config import CollectorConfig
from hailong.server.reference import scope
from hailong.server.reference.offices import header_settings
from hailong.server.reporting.figures import FigureCache, Figures
from hailong.server.reporting.periods import Period
from hailong.server.reporting.settings import ReportSettings
from hailong.server.reporting.settings import report_settings as load_report_settings
from hailong.server.web.choice import chosen_period


@dataclass
class Site:
    """The web application's state, kept in app.extensions["hailong"]."""

    config: CollectorConfig
    engine: Engine
    settings: ReportSettings
    figures: FigureCache

    def today(self) -> date:
        """Return today's date in the office's time zone."""
        return datetime.now(self.config.tz).date()

    def requested_period(self) -> Period:
        """Return the period the request asks for; ValueError with a message for the visitor."""
        return chosen_period(request.args, self.today(), self.config.web.convention)

    def figures_of(self, period: Period) -> Figures:
        """Return a period's figures: what every page, download and API answer shows."""
        return self.figures.figures(self.engine, period, self.settings_here(), self.today())

    def settings_here(self) -> ReportSettings:
        """Return the report settings with the header of the office the request acts for."""
        held = scope.current()
        if held is None:
            return self.settings
        return header_settings(self.settings, held.office, held.alone)


def site() -> Site:
    """Return the current application's Site."""
    return current_app.extensions["hailong"]


def report_settings(config: CollectorConfig) -> ReportSettings:
    """Load the report settings named in [web] (defaults without), in the collector's zone."""
    return load_report_settings(config.web.report_settings, config.time_zone)


def secret_key(path: Path) -> bytes:
    """Read the session-signing key, creating it (owner-only) on first start."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as out:
        out.write(key.hex() + "\n")
    return key


def _read_key(path: Path) -> bytes:
    """Read a hex key file; a damaged one is a configuration error naming the key."""
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigFileError(str(path), "web.secret_key_file", "must hold at least 32 hex digits")
    return key
