"""Build and parse the topic names of the wire contract, all in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hailong.protocol.errors import ProtocolError

DEFAULT_PREFIX = "hailong/v1"
DEVICE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
# The collector's own status lives at P/collector/status, so no device may take that name.
RESERVED_IDS = frozenset({"collector"})
DEVICE_KINDS = ("press", "ack", "status", "health", "config")


def check_device_id(device: object, field: str = "device") -> str:
    """Return the device id unchanged, or raise ProtocolError naming the field."""
    if not isinstance(device, str) or not DEVICE_ID.fullmatch(device):
        raise ProtocolError(field, f"must match [a-z0-9][a-z0-9-]{{0,31}}, got {device!r}")
    if device in RESERVED_IDS:
        raise ProtocolError(field, f"{device!r} is reserved")
    return device


@dataclass(frozen=True)
class TopicName:
    """A parsed topic: the device it belongs to (None for the collector's) and its kind."""

    device: str | None
    kind: str


@dataclass(frozen=True)
class Topics:
    """Topic builders and parser for one prefix (P in the contract)."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self):
        if not self.prefix or self.prefix.startswith("/") or self.prefix.endswith("/"):
            raise ProtocolError(
                "prefix", f"must be non-empty without leading/trailing '/': {self.prefix!r}"
            )
        if any(c in self.prefix for c in "+#\0"):
            raise ProtocolError("prefix", f"must not contain wildcards: {self.prefix!r}")

    def press(self, device: str) -> str:
        """Return the topic a device publishes its presses on."""
        return self._device_topic(device, "press")

    def ack(self, device: str) -> str:
        """Return the retained topic the collector acknowledges a device on."""
        return self._device_topic(device, "ack")

    def status(self, device: str) -> str:
        """Return the retained birth/Will topic of a device."""
        return self._device_topic(device, "status")

    def health(self, device: str) -> str:
        """Return the topic of a device's periodic health report."""
        return self._device_topic(device, "health")

    def config(self, device: str) -> str:
        """Return the retained topic carrying a device's Config."""
        return self._device_topic(device, "config")

    @property
    def collector_status(self) -> str:
        """Return the collector's own birth/Will topic."""
        return f"{self.prefix}/collector/status"

    def all_of(self, kind: str) -> str:
        """Return the wildcard filter matching one kind from every device."""
        if kind not in DEVICE_KINDS:
            raise ProtocolError("kind", f"unknown topic kind {kind!r}")
        return f"{self.prefix}/+/{kind}"

    def parse(self, topic: str) -> TopicName:
        """Split a topic under this prefix into device and kind, or raise ProtocolError."""
        head = self.prefix + "/"
        if not isinstance(topic, str) or not topic.startswith(head):
            raise ProtocolError("topic", f"not under prefix {self.prefix!r}: {topic!r}")
        parts = topic[len(head) :].split("/")
        if parts == ["collector", "status"]:
            return TopicName(None, "status")
        if len(parts) != 2 or parts[1] not in DEVICE_KINDS:
            raise ProtocolError("topic", f"expected {head}<device>/<kind>, got {topic!r}")
        return TopicName(check_device_id(parts[0], "topic"), parts[1])

    def _device_topic(self, device: str, kind: str) -> str:
        return f"{self.prefix}/{check_device_id(device)}/{kind}"
