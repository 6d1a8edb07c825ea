"""The network half of the kiosk's loop: connect with backoff, send what is pending, apply acks.

It runs on the loop's thread, called by the loop, and touches the journal only as the loop would:
read pending presses, move the watermark, skip seqs the collector already holds. What the broker's
Config asks of the screen and the state machine is the loop's business: `handle` hands it back.
"""

from __future__ import annotations

import logging
from datetime import datetime

from hailong.device.clock import Clock
from hailong.device.config import KioskConfig
from hailong.device.delivery import Delivery
from hailong.device.events import Connected, Disconnected, Incoming, PublishFailed
from hailong.device.journal import Journal
from hailong.device.status import Counters
from hailong.device.uplink import UNREACHABLE, Uplink
from hailong.protocol import Press, ProtocolError, parse_ack
from hailong.protocol.fields import encode_object

log = logging.getLogger(__name__)
RECONNECT_MIN_S = 1.0


class Link:
    """Keep the kiosk connected and its journal delivered, end to end."""

    def __init__(self, config: KioskConfig, journal: Journal, uplink: Uplink, clock: Clock,
                 counters: Counters):  # fmt: skip
        self.config, self.journal, self.uplink, self.clock = config, journal, uplink, clock
        self.counters = counters
        self.delivery = Delivery(config.mqtt.inflight, config.mqtt.retransmit_after_s)
        self.delivery.acked = journal.acked
        self.reconnect_at: float | None = None
        self.reconnect_delay = RECONNECT_MIN_S
        self.new_session = True
        self.replayed_from: int | None = None
        self.last_ack_at: datetime | None = None  # wall clock of the last ack that moved the mark

    def start(self) -> None:
        """Open the first connection, with a new session number."""
        self.uplink.start(self.journal.next_session())

    def handle(self, event: object, now: float) -> bytes | None:
        """Apply one network event; return a Config payload for the loop to apply, if one came."""
        if not self.uplink.is_current(event):
            return None  # from a client already closed
        if isinstance(event, Connected):
            self.reconnect_delay = RECONNECT_MIN_S
            self.delivery.on_connect(self.journal.acked, now)
            self.uplink.on_connected()
            log.info("connected to the broker (session %d)", self.uplink.session)
        elif isinstance(event, Disconnected):
            self._on_disconnected(event, now)
        elif isinstance(event, Incoming):
            return self._incoming(event, now)
        elif isinstance(event, PublishFailed):
            self.counters.denied += 1
            self.counters.faults.add("publish-denied")
            log.error("broker refused publish %d: %s", event.mid, event.reason)
        return None

    def _on_disconnected(self, event: Disconnected, now: float) -> None:
        self.delivery.on_disconnect()
        # A session that never started may keep its number; one that ended needs a new one.
        self.new_session = event.reason != UNREACHABLE
        if self.new_session or self.reconnect_delay >= self.config.mqtt.reconnect_max_s / 2:
            log.warning(
                "disconnected: %s; reconnecting in %.0fs", event.reason, self.reconnect_delay
            )
        self.uplink.stop()
        self.reconnect_at = now + self.reconnect_delay
        self.reconnect_delay = min(self.reconnect_delay * 2, self.config.mqtt.reconnect_max_s)

    def _incoming(self, event: Incoming, now: float) -> bytes | None:
        if event.kind == "ack":
            self._apply_ack(event.payload, now)
        elif event.kind == "config":
            return event.payload
        elif event.kind == "collector" and b'"online"' in event.payload and self.uplink.connected:
            # A collector that (re)started may have missed what we sent meanwhile: resend now.
            self.delivery.on_connect(self.journal.acked, now)
        return None

    def _apply_ack(self, payload: bytes, now: float) -> None:
        try:
            upto = parse_ack(payload).upto
        except ProtocolError as exc:
            log.error("ignoring invalid ack: %s", exc)
            return
        if upto > self.journal.last_seq:
            # The collector holds more than we remember (journal lost or restored): never reuse.
            self.journal.skip_to(upto)
        if self.delivery.on_ack(upto, now):
            self.journal.mark_delivered(upto)
            self.last_ack_at = self.clock.now()

    def replay(self, first: int) -> None:
        """Send archived presses from seq first again (the collector restored a backup)."""
        if first == self.replayed_from:
            return  # the retained Config comes back on every connect: replay once
        self.replayed_from = first
        sent = 0
        for record in self.journal.since(first):
            if record["seq"] > self.delivery.sent_upto:
                break
            self._publish(record)
            sent += 1
        log.info("replayed %d archived presses from seq %d", sent, first)

    def on_time(self, now: float) -> None:
        """Reconnect when due, and rewind to resend when the ack has stalled."""
        if self.reconnect_at is not None and now >= self.reconnect_at:
            self.reconnect_at = None
            session = self.journal.next_session() if self.new_session else self.uplink.session
            self.uplink.start(session)
        self.delivery.check_stall(self.journal.last_seq, now)

    def send_pending(self) -> None:
        """Publish the next window of undelivered presses, in seq order."""
        span = self.delivery.next_batch(self.journal.last_seq)
        if span is None or not self.uplink.connected:
            return
        first, last = span
        for record in self.journal.pending(limit=last - self.journal.acked):
            if first <= record["seq"] <= last:
                self._publish(record)
        self.delivery.mark_sent(last)

    def _publish(self, record: dict) -> None:
        try:
            payload = Press.from_dict(record).to_bytes()
        except ProtocolError as exc:
            # Journaled by an older version without the checks: the collector quarantines it and
            # shows it to staff, where a crash here would only repeat at every restart.
            log.error("journaled press %s breaks the contract, sent as stored: %s",
                      record.get("seq"), exc)  # fmt: skip
            payload = encode_object(record)
        self.uplink.publish_press(payload)

    def deadline(self) -> float | None:
        """Return when on_time next has something to do, or None."""
        candidates = [self.reconnect_at, self.delivery.deadline(self.journal.last_seq)]
        return min((c for c in candidates if c is not None), default=None)

    @property
    def connected(self) -> bool:
        """Tell whether the broker connection is up."""
        return self.uplink.connected

    def close(self) -> None:
        """Say offline and close the connection."""
        self.uplink.stop(farewell=True)
