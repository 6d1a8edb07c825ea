"""Publish each device's retained ack after commit, so that the broker's copy ends at the truth.

Every value published is a watermark the database has committed (server/watermark.py), so no
device is ever told more than is stored. With several ingest instances, though, their
publishes travel on different connections and may reach the broker out of order: a lower ack
sent by one instance could land after a higher one sent by another and stay retained. A kiosk
ignores a lower ack, but the retained copy is what a reconnecting kiosk and a restarted
collector's restore check read, so it must end at the stored watermark.

The rule: when the broker confirms (PUBACK) an ack we published for a device, read the stored
watermark again and, if it is above the last value we sent for that device, publish it.

Why the retained ack then ends at the final watermark W of a device: let M (value m) be the
last ack of the device to reach the broker, sent by instance X. X read the watermark after
M's PUBACK, so after M reached the broker. A commit raising the watermark after that read is
followed by its instance's publish, which would reach the broker after M; M is the last, so
there was none and X read W. One instance's publishes carry watermarks read at increasing
times, so they never go down, and any it sent after M would arrive after M: at the check, m
is the last value X sent. Were m < W, X would publish W after M, so m = W.
"""

from __future__ import annotations

import logging

from paho.mqtt.client import Client
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from hailong.protocol import Ack, Topics
from hailong.server.ingest.watermark import acked

log = logging.getLogger(__name__)


class AckPublisher:
    """Send retained acks and check each confirmed one against the database."""

    def __init__(self, client: Client, topics: Topics):
        self.client = client
        self.topics = topics
        self.sent: dict[str, int] = {}  # device -> the last upto we published
        self.waiting: dict[int, str] = {}  # mid -> device, until the broker confirms it
        self.confirmed: set[str] = set()  # devices whose ack the broker took: check again

    def publish(self, device: str, upto: int) -> None:
        """Publish a committed watermark as the device's retained ack."""
        info = self.client.publish(self.topics.ack(device), Ack(upto).to_bytes(), 1, True)
        self.sent[device] = upto
        self.waiting[info.mid] = device

    def on_puback(self, mid: int) -> None:
        """Note that the broker took one of our publishes (called from the main loop)."""
        device = self.waiting.pop(mid, None)
        if device is not None:
            self.confirmed.add(device)

    def settle(self, engine: Engine, also: set[str] = frozenset()) -> dict[str, int]:
        """Re-publish confirmed devices whose stored watermark is higher; return what was read."""
        names = self.confirmed | set(also)
        if not names:
            return {}
        try:
            with engine.connect() as conn:
                stored = acked(conn, names)
        except SQLAlchemyError as exc:  # keep them: the next settle tries again
            log.warning("could not re-read acks: %s", exc)
            return {}
        self.confirmed -= names
        for device, upto in stored.items():
            if upto > self.sent.get(device, 0):
                self.publish(device, upto)
        return stored
