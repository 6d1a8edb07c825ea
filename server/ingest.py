"""The ingest process: receive, validate, batch, commit, then acknowledge."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from protocol import SIG_PROPERTY, Ack, ProtocolError, Status, Topics, parse_key

from .config import CollectorConfig
from .db import devices
from .intake import Message, classify
from .mqtt import connect_properties, make_client, user_property
from .recovery import set_resend_from
from .store import BatchOutcome, store_batch

log = logging.getLogger(__name__)
_CONNECTED = object()


@dataclass
class Received:
    """A message waiting in the queue, with what acknowledging it needs."""

    message: Message
    mid: int
    qos: int
    generation: int


@dataclass
class Totals:
    """Running counts for logs and the demo's live line."""

    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    acks: dict[str, int] = field(default_factory=dict)


def load_keys(folder: Path | None) -> dict[str, bytes]:
    """Read every <device>.key file (hex HMAC key) in folder."""
    keys: dict[str, bytes] = {}
    if folder is None or not folder.is_dir():
        return keys
    for path in sorted(folder.glob("*.key")):
        try:
            keys[path.stem] = parse_key(path.read_text())
        except (OSError, ProtocolError) as exc:
            log.error("ignoring signing key %s: %s", path, exc)
    return keys


class Ingest:
    """Own the MQTT client and the database; one loop does all the work."""

    def __init__(self, config: CollectorConfig, engine: Engine):
        self.config = config
        self.engine = engine
        self.topics = Topics(config.mqtt.prefix)
        self.keys = load_keys(config.ingest.keys_dir)
        self.totals = Totals()
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.generation = 0
        self.recovering: dict[str, int] = {}  # device -> the upto the broker remembered
        self.client = make_client(config)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def run(self, stop: threading.Event) -> None:
        """Work until stop is set, then say offline and disconnect."""
        m = self.config.mqtt
        self.client.connect_async(
            m.host, m.port, m.keepalive, clean_start=False,
            properties=connect_properties(m.session_expiry_s),
        )  # fmt: skip
        self.client.loop_start()
        try:
            while not stop.is_set():
                batch = self._collect(stop)
                if batch:
                    self._commit_until_done(batch, stop)
        finally:
            self._shutdown()

    # paho's thread: stamp and enqueue, nothing else.
    def _on_connect(self, _client, _userdata, _flags, reason_code, _props):
        if not reason_code.is_failure:
            self.generation += 1
            self.inbox.put(_CONNECTED)
        else:
            log.error("broker refused the collector: %s", reason_code)

    def _on_message(self, _client, _userdata, msg):
        message = Message(msg.topic, bytes(msg.payload), user_property(msg, SIG_PROPERTY),
                          time.time_ns() // 1_000_000, bool(msg.retain))  # fmt: skip
        self.inbox.put(Received(message, msg.mid, msg.qos, self.generation))

    def _collect(self, stop: threading.Event) -> list[Received]:
        """Wait for a first message, then gather more until the batch is full or due."""
        size, wait = self.config.ingest.batch_size, self.config.ingest.batch_ms / 1000
        batch: list[Received] = []
        deadline = None
        while len(batch) < size and not stop.is_set():
            timeout = 0.2 if deadline is None else deadline - time.monotonic()
            if timeout <= 0:
                break
            try:
                item = self.inbox.get(timeout=timeout)
            except queue.Empty:
                if deadline is None:
                    continue
                break
            if item is _CONNECTED:
                self._on_session_start()
                continue
            batch.append(item)
            deadline = deadline or time.monotonic() + wait
        return batch

    def _on_session_start(self) -> None:
        log.info("connected to %s:%s", self.config.mqtt.host, self.config.mqtt.port)
        subs = [
            (self.topics.all_of(k), SubscribeOptions(qos=1)) for k in ("press", "status", "health")
        ]
        # The broker's retained acks tell us if our database lost presses (restored backup).
        subs.append((self.topics.all_of("ack"), SubscribeOptions(qos=1, noLocal=True)))
        self.client.subscribe(subs)
        self.client.publish(self.topics.collector_status, Status("online").to_bytes(), 1, True)
        self._publish_configs()

    def _publish_configs(self) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(devices.c.device, devices.c.config).where(devices.c.config.is_not(None))
            ).all()
        for device, config in rows:
            self.client.publish(self.topics.config(device), config.encode(), 1, True)

    def _commit_until_done(self, batch: list[Received], stop: threading.Event) -> None:
        delay = 0.1
        while True:
            try:
                self._commit(batch)
                return
            except SQLAlchemyError as exc:  # not acked, so the broker keeps the messages
                log.error("batch of %d not stored, retrying in %.1fs: %s", len(batch), delay, exc)
                if stop.wait(delay):
                    return
                delay = min(delay * 2, 5.0)

    def _commit(self, batch: list[Received]) -> BatchOutcome:
        items = [classify(r.message, self.topics, self.keys) for r in batch]
        now_ms = time.time_ns() // 1_000_000
        with self.engine.begin() as conn:
            outcome = store_batch(conn, [i for i in items if i is not None], now_ms)
        # Committed: now, and only now, release the messages and tell the devices.
        for r in batch:
            if r.generation == self.generation and r.qos > 0:
                self.client.ack(r.mid, r.qos)
        for device, upto in outcome.acks.items():
            self.client.publish(self.topics.ack(device), Ack(upto).to_bytes(), 1, True)
        self._recover(outcome)
        self._count(outcome)
        return outcome

    def _recover(self, outcome: BatchOutcome) -> None:
        """Ask devices for presses a restored database lacks; stop asking once caught up."""
        for device, (first, target) in outcome.resend.items():
            log.warning("%s: broker acked up to %d but we hold %d: asking for a resend",
                        device, target, first - 1)  # fmt: skip
            self.recovering[device] = target
            self._publish_resend(device, first)
        for device, upto in outcome.acks.items():
            if device in self.recovering and upto >= self.recovering[device]:
                del self.recovering[device]
                log.info("%s: recovered up to %d", device, upto)
                self._publish_resend(device, None)

    def _publish_resend(self, device: str, first: int | None) -> None:
        with self.engine.begin() as conn:
            payload = set_resend_from(conn, device, first)
        self.client.publish(self.topics.config(device), payload, 1, True)

    def _count(self, outcome: BatchOutcome) -> None:
        t = self.totals
        t.stored += outcome.stored
        t.duplicates += outcome.duplicates
        t.quarantined += outcome.quarantined
        t.batches += 1
        t.acks.update(outcome.acks)
        if outcome.quarantined:
            log.warning("quarantined %d message(s)", outcome.quarantined)

    def _shutdown(self) -> None:
        info = self.client.publish(
            self.topics.collector_status, Status("offline").to_bytes(), 1, True
        )
        # Not connected: the broker's Will says offline for us.
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()
        log.info("ingest stopped: %s", self.totals)
