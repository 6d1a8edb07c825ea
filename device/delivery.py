"""Decide what the kiosk sends and when: the end-to-end ack protocol's sender side (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Delivery:
    """Track sent and acked seqs; retransmit on connect and when the ack stalls.

    A press leaves the journal only on an ack with upto >= seq, never on PUBACK, so this
    keeps just two numbers per connection: how far we have sent and how far we are acked.
    """

    inflight: int = 100
    retransmit_after_s: float = 20.0
    acked: int = 0
    sent_upto: int = 0
    connected: bool = False
    last_progress: float = 0.0
    stall_backoff: float = 0.0
    retransmissions: int = 0

    def on_connect(self, acked: int, now: float) -> None:
        """Start a connection: everything not yet acked is to be sent again, in order."""
        self.connected = True
        self.acked = max(self.acked, acked)
        self.sent_upto = self.acked
        self.last_progress = now
        self.stall_backoff = self.retransmit_after_s

    def on_disconnect(self) -> None:
        """Stop sending until the next connection."""
        self.connected = False

    def on_ack(self, upto: int, now: float) -> bool:
        """Apply an ack; return True when it moved the watermark forward."""
        if upto <= self.acked:
            return False
        self.acked = upto
        self.sent_upto = max(self.sent_upto, upto)
        self.last_progress = now
        self.stall_backoff = self.retransmit_after_s
        return True

    def next_batch(self, last_seq: int) -> tuple[int, int] | None:
        """Return the inclusive seq range to publish now, within the in-flight window."""
        if not self.connected:
            return None
        first = self.sent_upto + 1
        last = min(last_seq, self.acked + self.inflight)
        return (first, last) if first <= last else None

    def mark_sent(self, upto: int) -> None:
        """Record that every seq up to upto has been handed to the MQTT client."""
        self.sent_upto = max(self.sent_upto, upto)

    def check_stall(self, last_seq: int, now: float) -> bool:
        """Rewind to resend everything pending if the ack has not moved for too long."""
        if not self.connected or last_seq <= self.acked or self.sent_upto <= self.acked:
            return False
        if now - self.last_progress < self.stall_backoff:
            return False
        self.sent_upto = self.acked
        self.last_progress = now
        self.stall_backoff = min(self.stall_backoff * 2, 300.0)  # back off a silent collector
        self.retransmissions += 1
        return True

    def deadline(self, last_seq: int) -> float | None:
        """Return when check_stall next needs to run, or None."""
        if not self.connected or last_seq <= self.acked:
            return None
        return self.last_progress + self.stall_backoff
