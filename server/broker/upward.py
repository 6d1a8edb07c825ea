"""When a commune re-forwards presses the province lacks (pure: the caller gives the clock).

The commune collector acks its kiosks; the bridge carries their presses up as they come. The
bridge's queue is not trusted: it lives in the commune broker's memory and persistence file, a
bounded queue may drop, and the province may be restored from a backup. So the commune watches
the province's retained ack of each kiosk (remapped by the bridge to {up}/D/ack) and, when the
province's `upto` stays below what the commune has stored for `timeout_s`, re-forwards the
missing presses from its own database, in seq order, a chunk at a time (the next chunk as soon
as the province has stored the last one). Each re-forward that brings no progress doubles the wait (up to `max_timeout_s`), so a province that cannot take
them is not flooded; any progress resets it. While mosquitto says the bridge is down nothing
is re-forwarded (it would only pile up in the same queue), and the wait starts again when it
comes back, so that the queue drains first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reforward:
    """Presses first..last of a device to send up again."""

    device: str
    first: int
    last: int


@dataclass
class Progress:
    """How far the province has stored one kiosk, as the commune last heard."""

    province: int = 0
    heard: bool = False  # a retained ack came down at least once
    since: float = 0.0  # when the province last moved (or the wait was restarted)
    wait: float = 0.0  # the current timeout
    reforwarded: int = 0  # presses re-forwarded so far, for the logs and `bridge status`
    sent: int = 0  # the last seq of the re-forward in flight (0: none)


class Upward:
    """Track the province's acks and the bridge link; say what to re-forward and when."""

    def __init__(self, devices, now: float, timeout_s: float = 60.0,
                 max_timeout_s: float = 900.0, chunk: int = 1000):  # fmt: skip
        if timeout_s <= 0 or max_timeout_s < timeout_s or chunk < 1:
            raise ValueError("need 0 < timeout_s <= max_timeout_s and chunk >= 1")
        self.timeout, self.max_timeout, self.chunk = timeout_s, max_timeout_s, chunk
        self.devices = {d: Progress(since=now, wait=timeout_s) for d in sorted(devices)}
        self.link_up: bool | None = None  # None: mosquitto has not said (treated as up)

    def province_acked(self, device: str, upto: int, now: float) -> None:
        """Take the province's ack of a device; a lower one (a restored province) counts too."""
        p = self.devices.get(device)
        if p is None:
            return
        if upto != p.province or not p.heard:
            p.since, p.wait = now, self.timeout
        if p.sent and upto >= p.sent:  # our chunk landed: the next one is due at once
            p.since, p.sent = now - p.wait, 0
        p.province, p.heard = upto, True

    def link(self, up: bool, now: float) -> None:
        """Take mosquitto's word on the bridge; when it comes up, wait a timeout for the queue."""
        if up and self.link_up is not True:
            for p in self.devices.values():
                p.since = now
        self.link_up = up

    def due(self, stored: dict[str, int], now: float) -> list[Reforward]:
        """Return the re-forwards due now, given the commune's stored watermark of each kiosk."""
        if self.link_up is False:
            return []
        out = []
        for device, p in self.devices.items():
            have = stored.get(device, 0)
            if have <= p.province or now - p.since < p.wait:
                continue
            last = min(have, p.province + self.chunk)
            out.append(Reforward(device, p.province + 1, last))
            p.since, p.wait, p.sent = now, min(p.wait * 2, self.max_timeout), last
            p.reforwarded += last - p.province
        return out

    def behind(self, stored: dict[str, int]) -> dict[str, int]:
        """Return how many stored presses of each kiosk the province still lacks."""
        return {d: max(0, stored.get(d, 0) - p.province) for d, p in self.devices.items()}
