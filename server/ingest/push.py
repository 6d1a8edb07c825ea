"""Push kiosks' retained Configs to the broker at once after staff change what they show.

The change is already committed: devices.config holds it, and the ingest process publishes every
stored Config whenever it (re)connects. This one-shot client only makes the kiosk show it now.
It signs in with the collector's broker account (the ACL lets it write P/+/config) under its own
client id, clean session and no Will, so that it never disturbs the ingest's session.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterable

import paho.mqtt.client as paho
from sqlalchemy import select
from sqlalchemy.engine import Engine

from hailong.protocol import Topics
from hailong.server.config import CollectorConfig
from hailong.server.ingest.client import build_client
from hailong.server.storage.db import device_counters, devices

log = logging.getLogger(__name__)


def configs_at(engine: Engine, counters: Iterable[str]) -> dict[str, str]:
    """Return the stored Config of every kiosk placed at these counters."""
    wanted = sorted(set(counters))
    if not wanted:
        return {}
    query = (
        select(devices.c.device, devices.c.config)
        .join(device_counters, device_counters.c.device == devices.c.device)
        .where(device_counters.c.counter.in_(wanted), devices.c.config.is_not(None))
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def configs_of(engine: Engine, kiosks: Iterable[str]) -> dict[str, str]:
    """Return the stored Config of these kiosks (those that have one)."""
    wanted = sorted(set(kiosks))
    query = select(devices.c.device, devices.c.config).where(
        devices.c.device.in_(wanted), devices.c.config.is_not(None)
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).all()) if wanted else {}


def push_configs(
    config: CollectorConfig, configs: dict[str, str], timeout: float = 5.0
) -> list[str]:
    """Publish each kiosk's Config (QoS 1, retained); return the kiosks not confirmed."""
    if not configs:
        return []
    topics, m = Topics(config.mqtt.prefix), config.mqtt
    client = _client(config)
    answered, refused, confirmed = threading.Event(), [], {}

    def on_connect(_client, _userdata, _flags, reason, _props):
        refused.extend([reason] if reason.is_failure else [])
        answered.set()

    client.on_connect = on_connect
    client.on_publish = lambda _c, _u, mid, rc, _p: confirmed.__setitem__(mid, not rc.is_failure)
    try:
        client.connect(m.host, m.port, keepalive=30, clean_start=True)
    except (OSError, ValueError) as exc:
        log.warning("cannot reach the broker at %s:%s to push configs: %s", m.host, m.port, exc)
        return sorted(configs)
    client.loop_start()
    try:
        if not answered.wait(timeout) or refused:
            log.warning("the broker did not accept the config push: %s", refused or "no answer")
            return sorted(configs)
        mids = {client.publish(topics.config(device), text.encode(), 1, True).mid: device
                for device, text in configs.items()}  # fmt: skip
        deadline = time.monotonic() + timeout
        while len(confirmed.keys() & mids.keys()) < len(mids) and time.monotonic() < deadline:
            time.sleep(0.01)
        return sorted(device for mid, device in mids.items() if not confirmed.get(mid))
    finally:
        client.disconnect()
        client.loop_stop()


def _client(config: CollectorConfig) -> paho.Client:
    """Return the push's client: the collector's account under a client id of its own."""
    client = build_client(config, f"{config.mqtt.client_id}-web-{secrets.token_hex(4)}")
    client.connect_timeout = 3.0
    return client
