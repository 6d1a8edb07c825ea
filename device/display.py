"""Put the kiosk's state on a pygame screen, and sleep in pygame's event wait."""

from __future__ import annotations

import logging
import math
import socket
import time

import pygame

from .frame import Frame
from .screen import DisplayError, Screen

log = logging.getLogger(__name__)
WAKE = pygame.USEREVENT + 1


def frame_for(app, key_hints: bool) -> Frame:
    """Return the frame that shows the app's current state (pure over the app's fields)."""
    p, view = app.profile.current, app.view
    return Frame(
        view=view.view, now=app.clock.now().replace(second=0, microsecond=0),
        language=app.config.kiosk.language, rating=view.rating,
        question=p.question or "", labels=tuple(p.labels or ()),
        reasons=tuple(p.reasons) if p.reasons else None, counter=p.counter,
        official_name=p.official_name, field_name=p.field_name,
        offline=not app.uplink.connected, clock_synced=app.clock.is_synced(),
        service_lines=service_lines(app) if view.view == "service" else (),
        lit_buttons=frozenset({view.button}) if view.button else frozenset(),
        dossier=view.dossier, key_hints=key_hints,
    )  # fmt: skip


def service_lines(app) -> tuple[str, ...]:
    """Return what a technician needs to see in service mode."""
    j = app.journal
    return (
        f"Thiết bị: {app.config.device}  ·  {socket.gethostname()}  ·  {addresses()}",
        f"Máy chủ MQTT: {app.config.mqtt.host}:{app.config.mqtt.port}  ·  "
        f"{'đã kết nối' if app.uplink.connected else 'mất kết nối'}  ·  phiên {app.uplink.session}",
        f"Số thứ tự cuối: {j.last_seq}  ·  đã xác nhận: {j.acked}  ·  chờ gửi: {j.backlog}",
        f"Giờ: {app.clock.now():%d/%m/%Y %H:%M:%S}  ·  "
        f"{'đã đồng bộ' if app.clock.is_synced() else 'chưa đồng bộ'}",
        f"Phiên bản: {app.version}  ·  lỗi: {', '.join(sorted(app.counters.faults)) or 'không'}",
    )


def addresses() -> str:
    """Return this machine's IPv4 addresses, best effort."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return "?"
    return ", ".join(sorted({i[4][0] for i in infos})) or "?"


class Display:
    """Own the screen on the main thread; other threads wake it through the inbox."""

    def __init__(self, screen: Screen, key_hints: bool = False):
        self.screen = screen
        self.key_hints = key_hints
        self.last: Frame | None = None
        self._wake_pending = False

    def attach(self, inbox) -> None:
        """Make every put on the inbox wake pygame's event wait."""
        inbox.wake_with(self._wake)

    def _wake(self) -> None:
        # Called from gpiozero's and paho's threads: SDL_PushEvent is thread-safe.
        if not self._wake_pending:
            self._wake_pending = True
            pygame.event.post(pygame.event.Event(WAKE))

    def wait(self, inbox, timeout: float) -> list[object]:
        """Sleep in pygame until an event or the timeout; return keys typed and inbox events."""
        from .app import KeyChars

        events = [pygame.event.wait(max(1, math.ceil(timeout * 1000)))] + pygame.event.get()
        self._wake_pending = False
        typed = "".join(e.unicode for e in events if e.type == pygame.KEYDOWN and e.unicode)
        keys = [KeyChars(typed, time.monotonic())] if typed else []
        return keys + inbox.drain()

    def next_deadline(self) -> float:
        """Return when the clock on screen next changes (the next minute)."""
        return time.monotonic() + 60 - (time.time() % 60)

    def show(self, app) -> None:
        """Redraw only when the frame changed."""
        frame = frame_for(app, self.key_hints)
        if frame == self.last:
            return
        try:
            self.screen.draw(frame)
            self.last = frame
        except DisplayError as exc:  # the display may fail; the kiosk keeps recording
            log.error("display failed, continuing without it: %s", exc)
            app.display = None

    def close(self) -> None:
        """Close the screen."""
        self.screen.close()
