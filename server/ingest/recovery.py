"""Recover presses after the database was restored from a backup: ask devices to resend."""

from __future__ import annotations

import json

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from hailong.protocol import Config, ProtocolError, parse_config
from hailong.server.storage.db import devices


def stored_config(conn: Connection, device: str) -> Config:
    """Return the Config the collector keeps for a device (empty when none or unreadable)."""
    raw = conn.execute(select(devices.c.config).where(devices.c.device == device)).scalar()
    if not raw:
        return Config()
    try:
        return parse_config(raw.encode())
    except ProtocolError:
        return Config()


def set_resend_from(conn: Connection, device: str, first: int | None) -> bytes:
    """Store the device's Config with resend_from set (or cleared) and return its payload.

    The whole Config is kept and re-published: a retained message replaces the previous one,
    so publishing resend_from alone would drop the device's other settings at the broker.
    """
    config = Config(resend_from=first).over(stored_config(conn, device))
    payload = config.to_bytes()
    body = json.dumps(json.loads(payload), ensure_ascii=False, separators=(",", ":"))
    conn.execute(update(devices).where(devices.c.device == device).values(config=body))
    return payload
