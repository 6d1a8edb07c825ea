"""The ingest process: receive, validate, batch, commit, then acknowledge.

Several instances may run side by side (`[ingest] share_group`): the broker hands each press
to one of them through a shared subscription, the database decides every ack
(server/watermark.py) and each instance keeps the retained acks right (server/ack_publisher.py).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from hailong.protocol import SIG_PROPERTY, Status, Topics
from hailong.server.config import CollectorConfig
from hailong.server.epoch import now_ms
from hailong.server.errors import DatabaseError
from hailong.server.ingest.acks import AckPublisher
from hailong.server.ingest.client import connect_properties, make_client, user_property
from hailong.server.ingest.intake import Message, RetainedPress, Sorted, classify
from hailong.server.ingest.keys import load_keys
from hailong.server.ingest.recovery import set_resend_from
from hailong.server.ingest.space import FreeBytes, hold_while_low, space_floor
from hailong.server.ingest.state import record_commit
from hailong.server.ingest.totals import Totals
from hailong.server.ingest.wire import Publish
from hailong.server.storage.batch import BatchOutcome, store_batch
from hailong.server.storage.db import devices
from hailong.server.storage.quarantine import QuarantineLimits

log = logging.getLogger(__name__)
_CONNECTED = object()
SETTLE_S = 0.2  # how often confirmed acks are checked against the database


@dataclass(frozen=True)
class Confirmed:
    """The broker's PUBACK for one of our publishes."""

    mid: int


class Received(NamedTuple):
    """A message waiting in the queue, with what acknowledging it needs, classified early."""

    message: Message
    mid: int
    qos: int
    generation: int
    early: Sorted = None  # classify's verdict on arrival, with the keys it used
    keys: Mapping[str, bytes] | None = None


def _waited(item: Received, limit: float) -> float:
    """Return how long a message has waited since it arrived, in seconds, within [0, limit].

    A batch is due batch_ms after its first message arrived, not after the loop took it: what
    piled up during the last commit is stored at once instead of waiting batch_ms more. The
    wall clock may step; the bounds keep a batch due within batch_ms whatever it does.
    """
    return min(max((now_ms() - item.message.received_ms) / 1000, 0.0), limit)


class Ingest:
    """Own the MQTT client and the database; one loop does all the work."""

    def __init__(
        self, config: CollectorConfig, engine: Engine, free_bytes: FreeBytes | None = None
    ):
        self.config = config
        self.engine = engine
        self.floor = space_floor(config, free_bytes)
        i = config.ingest
        self.limits = QuarantineLimits(i.quarantine_keep_bytes, i.quarantine_per_hour)
        self.topics = Topics(config.mqtt.prefix)
        self.keys = load_keys(config.ingest.keys_dir)
        self.reload_keys = threading.Event()  # set by SIGHUP: `device add` wrote a new key
        self.totals = Totals()
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.generation = 0
        self.recovering: dict[str, int] = {}  # device -> the upto the broker remembered
        self.client = make_client(config)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_publishes = self._on_publishes
        self.carry: collections.deque = collections.deque()  # the rest of a list from the inbox
        self.client.on_publish = self._on_publish
        self.acks = AckPublisher(self.client, self.topics)
        self.settle_at = 0.0

    def run(self, stop: threading.Event) -> None:
        """Work until stop is set, then say offline and disconnect."""
        m, i = self.config.mqtt, self.config.ingest
        self.client.connect_async(
            m.host, m.port, m.keepalive, clean_start=False,
            properties=connect_properties(self.config.session_expiry_s, i.batch_size),
        )  # fmt: skip
        self.client.loop_start()
        try:
            while not stop.is_set():
                batch = self._collect(stop)
                if batch:
                    self._commit_until_done(batch, stop)
                self._settle()
        finally:
            self._shutdown()

    # paho's thread: stamp and enqueue, nothing else.
    def _on_connect(self, _client, _userdata, _flags, reason_code, _props):
        if not reason_code.is_failure:
            self.generation += 1
            self.inbox.put(_CONNECTED)
        else:
            log.error("broker refused the collector: %s", reason_code)

    def _on_publishes(self, publishes: list[Publish]) -> None:
        # Classified here, on arrival: this thread is idle while the batch loop waits for the
        # database, so parsing the next batch overlaps with storing this one. _commit
        # classifies again any message whose keys were reloaded since. One list per read from
        # the socket: one wake-up of the batch loop, not one per message.
        keys, at, generation, topics = self.keys, now_ms(), self.generation, self.topics
        received = []
        new = tuple.__new__  # a named tuple's own __new__ is Python, and costs twice as much
        for p in publishes:
            message = new(Message, (p.topic, p.payload, p.sig, at, p.retain))
            try:
                early = classify(message, topics, keys)
            except Exception:  # noqa: BLE001 - never kill paho's thread: _commit classifies again
                log.exception("could not classify a message on arrival")
                received.append(Received(message, p.mid, p.qos, generation))
                continue
            received.append(new(Received, (message, p.mid, p.qos, generation, early, keys)))
        self.inbox.put(received)

    def _on_message(self, _client, _userdata, msg):  # what wire.decode_publish left to paho
        message = Message(msg.topic, bytes(msg.payload), user_property(msg, SIG_PROPERTY),
                          now_ms(), bool(msg.retain))  # fmt: skip
        self.inbox.put(Received(message, msg.mid, msg.qos, self.generation))

    def _on_publish(self, _client, _userdata, mid, _reason_code, _props):
        self.inbox.put(Confirmed(mid))

    def _collect(self, stop: threading.Event) -> list[Received]:
        """Wait for a first message, then gather more until the batch is full or due."""
        size, wait = self.config.ingest.batch_size, self.config.ingest.batch_ms / 1000
        batch: list[Received] = []
        deadline = None
        while len(batch) < size and not stop.is_set():
            # Once due, take what is already waiting (up to the size), but wait for no more.
            timeout = 0.2 if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                item = self._next(timeout)
            except queue.Empty:
                self._apply_reload()  # idle: say at once that the new keys hold
                if deadline is None and not self._settle_due():
                    continue
                break
            if item is _CONNECTED:
                self._on_session_start()
            elif isinstance(item, Confirmed):
                self.acks.on_puback(item.mid)
            elif item.message.topic == self.topics.collector_status:
                self._on_peer_status(item)
            else:
                batch.append(item)
                if deadline is None:
                    deadline = time.monotonic() + wait - _waited(item, wait)
        return batch

    def _next(self, timeout: float):
        """Return the next item: from the list being taken apart, else from the inbox."""
        if self.carry:
            return self.carry.popleft()
        item = self.inbox.get(timeout=timeout)
        if type(item) is list:
            self.carry.extend(item)
            return self.carry.popleft()
        return item

    def _on_session_start(self) -> None:
        log.info("connected to %s:%s", self.config.mqtt.host, self.config.mqtt.port)
        self.client.subscribe(self._subscriptions())
        self.client.publish(self.topics.collector_status, Status("online").to_bytes(), 1, True)
        self._publish_configs()

    def _subscriptions(self) -> list[tuple[str, SubscribeOptions]]:
        group = self.config.ingest.share_group
        share = f"$share/{group}/" if group else ""
        # noLocal: clearing a retained press (_clear_retained) publishes an empty one, which
        # must not come back to us as junk. A shared subscription may not ask for it, and gets
        # no retained messages anyway.
        subs = [
            (share + self.topics.all_of("press"), SubscribeOptions(qos=1, noLocal=not share)),
            (share + self.topics.all_of("health"), SubscribeOptions(qos=1)),
        ]
        # Statuses come to every instance: a shared subscription gets no retained messages,
        # and applying one twice changes nothing (store.py's rules decide by session). This
        # also brings P/collector/status, so that we see a peer instance's Will.
        subs.append((self.topics.all_of("status"), SubscribeOptions(qos=1)))
        # The broker's retained acks tell us if our database lost presses (restored backup).
        subs.append((self.topics.all_of("ack"), SubscribeOptions(qos=1, noLocal=True)))
        return subs

    def _on_peer_status(self, item: Received) -> None:
        """Answer a peer instance's offline with our online; kiosks then resend what it held."""
        if item.generation == self.generation and item.qos > 0:
            self.client.ack(item.mid, item.qos)
        if self.config.ingest.share_group and b'"offline"' in item.message.payload:
            log.info("another ingest instance went offline: saying online")
            self.client.publish(self.topics.collector_status, Status("online").to_bytes(), 1, True)

    def _publish_configs(self) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(devices.c.device, devices.c.config).where(devices.c.config.is_not(None))
            ).all()
        for device, config in rows:
            self.client.publish(self.topics.config(device), config.encode(), 1, True)

    def _commit_until_done(self, batch: list[Received], stop: threading.Event) -> None:
        """Commit the batch, retrying with backoff; give up after max_failed_commits in a row."""
        delay, failures = 0.1, 0
        while self._wait_for_space(batch, stop):
            try:
                self._commit(batch)
                return
            except SQLAlchemyError as exc:  # not acked, so the broker keeps the messages
                failures += 1
                if failures >= self.config.ingest.max_failed_commits:
                    # Retrying forever would hide a broken database behind a running service:
                    # exit non-zero so that systemd restarts us and the journal says why.
                    log.critical("giving up after %d failed commits in a row: %s", failures, exc)
                    raise DatabaseError(f"{failures} commits in a row failed: {exc}") from exc
                log.error("batch of %d not stored, retrying in %.1fs: %s", len(batch), delay, exc)
                if stop.wait(delay):
                    return
                delay = min(delay * 2, 5.0)

    def _wait_for_space(self, batch: list[Received], stop: threading.Event) -> bool:
        """Hold the batch unacked while free space is below the floor; False once stopped."""
        pending = lambda: len(batch) + len(self.carry) + self.inbox.qsize()  # noqa: E731
        return hold_while_low(self.floor, self.engine, self.config.mqtt.client_id, pending, stop)

    def _commit(self, batch: list[Received]) -> BatchOutcome:
        self._apply_reload()  # a SIGHUP that came while the batch was gathered applies to it
        keys = self.keys
        items = [r.early if r.keys is keys else classify(r.message, self.topics, keys)
                 for r in batch]  # fmt: skip
        retained = [i for i in items if isinstance(i, RetainedPress)]
        now = now_ms()
        with self.engine.begin() as conn:
            kept = [i for i in items if i is not None and not isinstance(i, RetainedPress)]
            outcome = store_batch(conn, kept, now, self.limits)
            record_commit(conn, self.config.mqtt.client_id, now)
        # Committed: now, and only now, release the messages and tell the devices.
        generation = self.generation
        # QoS 1 only: every subscription asks for at most 1, so the broker sends no QoS 2.
        self.client.ack_many(r.mid for r in batch if r.generation == generation and r.qos == 1)
        for device, upto in outcome.acks.items():
            self.acks.publish(device, upto)
        self._clear_retained(retained)
        self._recover(outcome)
        self.totals.add(outcome)
        return outcome

    def _apply_reload(self) -> None:
        if self.reload_keys.is_set():
            self.reload_keys.clear()
            self.keys = load_keys(self.config.ingest.keys_dir)
            log.info("reloaded %d signing key(s)", len(self.keys))

    def _clear_retained(self, retained: list[RetainedPress]) -> None:
        """Remove retained presses from the broker, which would hand them over at every start."""
        for item in retained:
            log.warning("%s: ignoring a retained press (%d bytes) on %s and clearing it",
                        item.device, len(item.message.payload), item.message.topic)  # fmt: skip
            self.client.publish(item.message.topic, b"", 1, True)
        self.totals.retained += len(retained)

    def _settle_due(self) -> bool:
        return bool(self.acks.confirmed or self.recovering) and time.monotonic() >= self.settle_at

    def _settle(self) -> None:
        """Check confirmed acks (and devices being recovered) against the database."""
        if self._settle_due():
            self.settle_at = time.monotonic() + SETTLE_S
            try:
                self._caught_up(self.acks.settle(self.engine, set(self.recovering)))
            except SQLAlchemyError as exc:  # resend_from stays set: cleared on a later try
                log.error("could not clear resend_from: %s", exc)

    def _recover(self, outcome: BatchOutcome) -> None:
        """Ask devices for presses a restored database lacks; stop asking once caught up."""
        for device, (first, target) in outcome.resend.items():
            log.warning("%s: broker acked up to %d but we hold %d: asking for a resend",
                        device, target, first - 1)  # fmt: skip
            self.recovering[device] = target
            self._publish_resend(device, first)
        self._caught_up(outcome.acks)

    def _caught_up(self, acks: dict[str, int]) -> None:
        # Another instance may store the last missing press: its ack shows in our settle.
        for device, upto in acks.items():
            if device in self.recovering and upto >= self.recovering[device]:
                del self.recovering[device]
                log.info("%s: recovered up to %d", device, upto)
                self._publish_resend(device, None)

    def _publish_resend(self, device: str, first: int | None) -> None:
        with self.engine.begin() as conn:
            payload = set_resend_from(conn, device, first)
        self.client.publish(self.topics.config(device), payload, 1, True)

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
