"""Put the kiosk's state on a pygame screen, and read its keyboard between sleeps on the inbox."""

from __future__ import annotations

import fcntl
import logging
import math
import socket
import struct
import time

import pygame

from hailong.device.events import KeyChars, Pressed, SkipReason
from hailong.device.frame import Frame
from hailong.device.inbox import Inbox
from hailong.device.layout import layout
from hailong.device.reason_view import skip_box
from hailong.device.screen import DisplayError, Screen
from hailong.device.status import KioskStatus

log = logging.getLogger(__name__)
# SDL's keys are read every KEY_POLL_S while nobody types, and for TYPING_S after a key every
# KEY_POLL_TYPING_S: well inside the scanner's 50 ms gap, so a scanned code stays one run.
KEY_POLL_S, KEY_POLL_TYPING_S, TYPING_S = 0.1, 0.02, 1.0
HINTED = ("idle", "reason")  # the views that draw key hints, which lift the buttons (views.compose)


def button_at(point: tuple[int, int], size: tuple[int, int], key_hints: bool) -> int | None:
    """Return the button (1..4 from the left) drawn under a point of the screen, or None."""
    x, y = point
    for number, box in enumerate(layout(size, key_hints=key_hints).buttons, start=1):
        if box.x <= x < box.right and box.y <= y < box.bottom:
            return number
    return None


def frame_for(
    status: KioskStatus, key_hints: bool, touch: bool = True, clock: float | None = None
) -> Frame:
    """Return the frame that shows the kiosk's status at monotonic `clock` (pure over both)."""
    p, view = status.profile, status.view
    left = None
    if view.until is not None and clock is not None:  # the reason view's countdown
        left = max(0, math.ceil(view.until - clock))
    return Frame(
        view=view.view, now=status.now.replace(second=0, microsecond=0),
        language=status.language, rating=view.rating,
        question=p.question or "", labels=tuple(p.labels or ()),
        reasons=tuple(p.reasons) if p.reasons else None, counter=p.counter,
        official_name=p.official_name, field_name=p.field_name,
        offline=not status.connected, clock_synced=status.synced,
        service_lines=service_lines(status) if view.view == "service" else (),
        lit_buttons=frozenset({view.button}) if view.button else frozenset(),
        dossier=view.dossier, key_hints=key_hints, touch=touch, seconds_left=left,
    )  # fmt: skip


def service_lines(status: KioskStatus) -> tuple[str, ...]:
    """Return what a technician needs to see in service mode."""
    s = status
    link = "đã kết nối" if s.connected else "mất kết nối"
    synced = "đã đồng bộ" if s.synced else "chưa đồng bộ"
    acked_at = f" lúc {s.last_ack_at:%H:%M:%S}" if s.last_ack_at is not None else ""
    return (
        f"Thiết bị: {s.device}  ·  máy {socket.gethostname()}",
        f"Địa chỉ: {addresses()}",
        f"Máy chủ MQTT: {s.broker}  ·  {link}  ·  phiên {s.session}",
        f"Lượt cuối: số {s.last_seq}  ·  xác nhận tới: {s.acked}{acked_at}"
        f"  ·  chờ gửi: {s.backlog}",
        f"Từ khi bật: ghi {s.recorded}  ·  bỏ qua {s.suppressed}  ·  từ chối {s.rejected}",
        f"Giờ: {s.now:%d/%m/%Y %H:%M:%S}  ·  {synced}",
        f"Phiên bản: {s.version}  ·  lỗi: {', '.join(s.faults) or 'không'}",
    )


SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address


def addresses() -> str:
    """Return each network interface's IPv4 address, e.g. "eth0 192.168.1.42", best effort."""
    found = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _, name in socket.if_nameindex():
                request = struct.pack("256s", name.encode()[:15])
                try:
                    reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
                except OSError:
                    continue  # down, or no IPv4 address
                if name != "lo":
                    found.append(f"{name} {socket.inet_ntoa(reply[20:24])}")
    except OSError:
        return "?"
    # The hostname's address is often 127.0.1.1 on Debian: only the interfaces tell the LAN one.
    return ", ".join(found) or "không có mạng"


class Display:
    """Own the screen on the main thread; sleep on the inbox, reading SDL's keys between naps.

    pygame.event.wait is no real sleep: it polls SDL every millisecond (about 1 % of a core at
    idle), and Python's SIGTERM handler cannot run until it returns (up to a minute). A wait on the
    inbox's queue sleeps in the kernel and lets a signal handler run at once (it puts None to wake
    the loop), so the loop sleeps there and fetches typed keys (a scanner is a keyboard) in between.
    """

    def __init__(self, screen: Screen, key_hints: bool = False, touch: bool = True):
        self.screen = screen
        self.key_hints = key_hints
        self.touch = touch
        self.last: Frame | None = None
        self._typed_at = float("-inf")

    def wait(self, inbox: Inbox, timeout: float) -> list[object]:
        """Sleep until an inbox event, a key typed or the timeout; return the keys, then events."""
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:  # ends by the deadline at the latest
            now = time.monotonic()
            nap = KEY_POLL_TYPING_S if now - self._typed_at < TYPING_S else KEY_POLL_S
            events = inbox.wait(min(deadline - now, nap))
            sdl = pygame.event.get()
            typed = "".join(e.unicode for e in sdl if e.type == pygame.KEYDOWN)
            taps = self.taps(sdl, time.monotonic())
            if events or typed or taps or time.monotonic() >= deadline:
                break
        if not typed:
            return [*taps, *events]
        self._typed_at = time.monotonic()
        return [KeyChars(typed, self._typed_at), *taps, *events]

    def taps(self, sdl_events, at: float) -> list[Pressed | SkipReason]:
        """Return a Pressed for each touch (or click) on a drawn button, a SkipReason on "Bỏ qua"."""
        if not self.touch:
            return []
        width, height = self.screen.size
        points = []
        for e in sdl_events:
            if e.type == pygame.FINGERDOWN:  # x and y are fractions of the screen
                points.append((round(e.x * width), round(e.y * height)))
            elif e.type == pygame.MOUSEBUTTONDOWN and e.button == 1 and not getattr(e, "touch", 0):
                # SDL also sends a mouse click for each touch: only a real mouse's counts.
                points.append(e.pos)
        hinted = self.last is not None and self.last.key_hints and self.last.view in HINTED
        if self.last is not None and self.last.view == "reason":
            skip = skip_box(layout(self.screen.size, key_hints=hinted))
            if any(skip.x <= x < skip.right and skip.y <= y < skip.bottom for x, y in points):
                return [SkipReason(at)]
        buttons = (button_at(point, self.screen.size, hinted) for point in points)
        return [Pressed(n, at) for n in buttons if n is not None]

    def next_deadline(self) -> float:
        """Return when the screen next changes by itself: the next minute, or second in service
        and on the reason screen (its countdown)."""
        # Both show seconds and end by themselves, so the per-second redraws are brief.
        period = 1 if self.last is not None and self.last.view in ("service", "reason") else 60
        return time.monotonic() + period - (time.time() % period)

    def show(self, status: KioskStatus) -> bool:
        """Redraw only when the frame changed; return False once the display has failed."""
        frame = frame_for(status, self.key_hints, self.touch, time.monotonic())
        if frame == self.last:
            return True
        try:
            self.screen.draw(frame)
        except DisplayError as exc:  # the display may fail; the kiosk keeps recording
            log.error("display failed, continuing without it: %s", exc)
            return False
        self.last = frame
        return True

    def close(self) -> None:
        """Close the screen."""
        self.screen.close()
