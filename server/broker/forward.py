"""The commune's upward forwarder: watch the province's acks, re-forward what it lacks.

A thin adapter around `upward.Upward`: paho (on the commune broker, the collector's account)
brings the province's retained acks down from {up}/+/ack and the bridge's state from
{up}/bridge/state; the commune database says how far each kiosk is stored; due presses are
published, exact bytes and the kiosk's own `sig`, on {up}/D/press, which the bridge carries to
P/D/press at the province. `read_progress` is the same view once, for `bridge status`.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from hailong.protocol import SIG_PROPERTY, ProtocolError, parse_ack
from hailong.server.broker.bridge import BridgeBundle, state_topic, up_prefix
from hailong.server.broker.upward import Reforward, Upward
from hailong.server.config import CollectorConfig
from hailong.server.ingest.client import build_client
from hailong.server.storage.db import devices, presses

log = logging.getLogger("hailong.server.broker.forward")
TICK_S = 1.0  # how often the commune's watermarks are read and the re-forwards judged


@dataclass(frozen=True)
class Heard:
    """One message from the commune broker: a province ack or the bridge's state."""

    topic: str
    payload: bytes


class Forwarder:
    """Own the MQTT client and the re-forward loop of one commune."""

    def __init__(self, config: CollectorConfig, engine: Engine, bundle: BridgeBundle,
                 timeout_s: float = 60.0, max_timeout_s: float = 900.0,
                 chunk: int = 1000) -> None:  # fmt: skip
        self.config, self.engine, self.bundle = config, engine, bundle
        self.up = up_prefix(bundle.prefix)
        self.upward = Upward(bundle.devices, time.monotonic(), timeout_s, max_timeout_s, chunk)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.client = build_client(config, f"{config.mqtt.client_id}-upward")
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, m: self.inbox.put(Heard(m.topic, bytes(m.payload)))
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.max_inflight_messages_set(100)
        self.sent = 0

    def run(self, stop: threading.Event) -> None:
        """Work until stop is set."""
        m = self.config.mqtt
        self.client.connect_async(m.host, m.port, m.keepalive, clean_start=True)
        self.client.loop_start()
        log.info("forwarding commune %s's kiosks %s up; province acks on %s/+/ack",
                 self.bundle.commune, ", ".join(self.bundle.devices), self.up)  # fmt: skip
        try:
            while not stop.wait(TICK_S):
                self._drain()
                if self.client.is_connected():
                    self._tick()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            log.info("forwarder stopped: %d press(es) re-forwarded", self.sent)

    def _on_connect(self, client, _userdata, _flags, reason_code, _props):
        if reason_code.is_failure:
            log.error("the commune broker refused the forwarder: %s", reason_code)
            return
        client.subscribe([(f"{self.up}/+/ack", 1), (state_topic(self.bundle.prefix), 1)])

    def _drain(self) -> None:
        now = time.monotonic()
        while True:
            try:
                heard = self.inbox.get_nowait()
            except queue.Empty:
                return
            take(self.upward, heard, self.up, self.bundle.prefix, now)

    def _tick(self) -> None:
        try:
            stored = commune_stored(self.engine, self.bundle.devices)
        except SQLAlchemyError as exc:
            log.error("cannot read the commune's watermarks: %s", exc)
            return
        for due in self.upward.due(stored, time.monotonic()):
            self._reforward(due)

    def _reforward(self, due: Reforward) -> None:
        log.warning("%s: the province has stored up to %d only: re-forwarding %d..%d",
                    due.device, due.first - 1, due.first, due.last)  # fmt: skip
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(presses.c.payload, presses.c.sig)
                .where(presses.c.device == due.device, presses.c.seq.between(due.first, due.last))
                .order_by(presses.c.seq)
            ).all()
        topic = f"{self.up}/{due.device}/press"
        for payload, sig in rows:
            props = None
            if sig is not None:  # the kiosk's own signature: the province verifies the kiosk
                props = Properties(PacketTypes.PUBLISH)
                props.UserProperty = (SIG_PROPERTY, sig)
            self.client.publish(topic, bytes(payload), 1, False, properties=props)
        self.sent += len(rows)


def take(upward: Upward, heard: Heard, up: str, prefix: str, now: float) -> None:
    """Apply one message from the commune broker to the tracker."""
    if heard.topic == state_topic(prefix):
        upward.link(heard.payload.strip() == b"1", now)
        return
    device = heard.topic.removeprefix(f"{up}/").removesuffix("/ack")
    try:
        upward.province_acked(device, parse_ack(heard.payload).upto, now)
    except ProtocolError as exc:
        log.warning("ignoring a province ack on %s: %s", heard.topic, exc)


def commune_stored(engine: Engine, names) -> dict[str, int]:
    """Return the commune database's watermark of each kiosk (what its collector acked)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(devices.c.device, devices.c.acked_upto).where(devices.c.device.in_(names))
        )
        return dict(rows.all())


@dataclass(frozen=True)
class Row:
    """One kiosk in `bridge status`."""

    device: str
    commune: int  # stored at the commune (its ack to the kiosk)
    province: int | None  # stored at the province, as its retained ack says; None: never heard


def read_progress(config: CollectorConfig, engine: Engine, bundle: BridgeBundle,
                  wait_s: float = 3.0) -> tuple[list[Row], bool | None]:  # fmt: skip
    """Return each kiosk's commune and province watermarks, and whether the bridge is up."""
    up, heard, subscribed = up_prefix(bundle.prefix), queue.SimpleQueue(), threading.Event()
    client = build_client(config, f"{config.mqtt.client_id}-status-{secrets.token_hex(3)}")
    client.on_connect = lambda c, _u, _f, rc, _p: rc.is_failure or c.subscribe(
        [(f"{up}/+/ack", 1), (state_topic(bundle.prefix), 1)])  # fmt: skip
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, m: heard.put(Heard(m.topic, bytes(m.payload)))
    client.connect(config.mqtt.host, config.mqtt.port, keepalive=30)
    client.loop_start()
    try:
        # Retained messages follow the SUBACK at once; a short grace lets them all arrive.
        if subscribed.wait(wait_s):
            time.sleep(min(0.5, wait_s))
    finally:
        client.disconnect()
        client.loop_stop()
    upward = Upward(bundle.devices, 0.0)
    while not heard.empty():
        take(upward, heard.get(), up, bundle.prefix, 0.0)
    stored = commune_stored(engine, bundle.devices)
    rows = [Row(d, stored.get(d, 0), p.province if p.heard else None)
            for d, p in upward.devices.items()]  # fmt: skip
    return rows, upward.link_up
