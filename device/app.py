"""The kiosk's one loop: it alone owns the state, the journal, the uplink and the screen.

Adapters never see the loop: they post events on the inbox (device.events), and get back a
read-only `KioskStatus` (the screen, service mode, the health report). The network half of the
loop lives in device.link.
"""

from __future__ import annotations

import logging
import threading
import time

from hailong.device import notify, texts
from hailong.device.buttons import ButtonLogic
from hailong.device.clock import Clock, Stamp
from hailong.device.config import KioskConfig
from hailong.device.dossiers import CACHE_NAME, used_dossiers
from hailong.device.events import (
    ButtonPressed,
    DossierScanned,
    Edge,
    KeyChars,
    Pressed,
    ScanRejected,
    ServiceChord,
    SkipReason,
    StuckCleared,
    StuckFault,
)
from hailong.device.health import build_health
from hailong.device.inbox import Inbox
from hailong.device.journal import Journal
from hailong.device.link import Link
from hailong.device.profile import Profile, to_settings
from hailong.device.scanner import Scanner
from hailong.device.state import (
    ConfigChanged,
    Kiosk,
    RecordPress,
    Rejected,
    ShowView,
    Suppressed,
    Tick,
)
from hailong.device.status import Counters, KioskStatus
from hailong.device.uplink import Uplink
from hailong.protocol import Config, Press, ProtocolError

log = logging.getLogger(__name__)


def press_of(effect: RecordPress, seq: int, device: str, stamp: Stamp, profile: Config) -> Press:
    """Return the validated Press a RecordPress becomes; ProtocolError if it breaks the contract."""
    return Press(
        device=device, seq=seq, rating=effect.rating, reason=effect.reason, ts=stamp.ts,
        synced=stamp.synced, boot=stamp.boot, mono=stamp.mono, counter=profile.counter,
        official=profile.official, field=profile.field, dossier=effect.dossier, mode=effect.mode,
    )  # fmt: skip


class KioskApp:
    """Turn events into journaled presses, screen frames and MQTT traffic."""

    def __init__(self, config: KioskConfig, journal: Journal, clock: Clock, inbox: Inbox,
                 uplink: Uplink, *, display=None, panel=None, sound=None, console=None,
                 version: str = ""):  # fmt: skip
        self.config, self.journal, self.clock, self.inbox = config, journal, clock, inbox
        self.uplink, self.display, self.panel, self.sound = uplink, display, panel, sound
        self.console = console  # a technician's terminal (run --headless or --simulate)
        self.version = version
        self.profile = Profile(config, config.state_dir / "collector-config.json")
        self.kiosk = Kiosk(to_settings(self.profile.current, config))
        # At most one rating per dossier, ever.
        self.kiosk.mark_used(used_dossiers(journal, config.state_dir / CACHE_NAME))
        self.buttons = ButtonLogic(service_hold_s=config.kiosk.service_hold_s)
        self.scanner = Scanner()
        self.counters = Counters()
        self.link = Link(config, journal, uplink, clock, self.counters)
        self.view = ShowView("idle")
        self.started = time.monotonic()
        self.next_health = self.started + 5.0
        self.next_prune = self.started + 60.0

    def run(self, stop: threading.Event) -> None:
        """Work until stop is set; then say offline and close everything."""
        log.info("kiosk %s starting: last seq %d, acked %d", self.config.device,
                 self.journal.last_seq, self.journal.acked)  # fmt: skip
        self.link.start()
        if self.panel is not None:
            self.panel.ready()
        ping_s = notify.watchdog_interval() or 60.0  # wake in time to feed systemd's watchdog
        # The idle screen goes up now, not after the first event: a citizen can rate from here on,
        # and systemd's READY (which the start-up measurement waits for) means the screen shows it.
        self._redraw()
        notify.ready(f"recording as {self.config.device}")
        if self.console is not None:
            self.console.ready(self._labels())
        try:
            while not stop.is_set():
                notify.watchdog()
                timeout = min(self._next_deadline() - time.monotonic(), 60.0, ping_s)
                events = (
                    self.display.wait(self.inbox, timeout)
                    if self.display
                    else self.inbox.wait(timeout)
                )
                recorded = self.counters.recorded
                for event in events:
                    self.handle(event)
                if self.counters.recorded != recorded:
                    self._redraw()  # thank first: the press is durable, sending it can wait a frame
                self._on_time(time.monotonic())
                self.link.send_pending()
                self._redraw()
                self.journal.save_guard()  # the seq's guard copy, once the thanks is on screen
                if self.console is not None:
                    self.console.acknowledged(self.journal.acked)
        finally:
            self._shutdown()

    def handle(self, event: object) -> None:
        """Dispatch one event from a button, the keyboard, the network or a simulator."""
        if isinstance(event, Edge):
            for e in self.buttons.feed(event):
                self._button_event(e)
        elif isinstance(event, Pressed):  # a tap on a button drawn on the touch screen
            self._button_event(event)
        elif isinstance(event, KeyChars):
            for e in self.scanner.feed(event.chars, event.at):
                self._keyboard_event(e)
        elif isinstance(event, ButtonPressed | DossierScanned | SkipReason):
            self._run_effects(self.kiosk.handle(event))
        elif event is not None:  # None only wakes the loop (a signal handler's)
            config = self.link.handle(event, time.monotonic())
            if config is not None:
                self._apply_config(config)

    def _button_event(self, event) -> None:
        if isinstance(event, Pressed):
            self._run_effects(self.kiosk.handle(ButtonPressed(event.button, event.at)))
        elif isinstance(event, ServiceChord):
            self._run_effects(self.kiosk.handle(event))
        elif isinstance(event, StuckFault):
            log.warning("button %d stuck", event.button)
            self.counters.faults.add(event.code)
        elif isinstance(event, StuckCleared):
            self.counters.faults.discard(event.code)

    def _keyboard_event(self, event) -> None:
        if isinstance(event, ScanRejected):
            log.warning("scan rejected: %s", event)
            return
        self._run_effects(self.kiosk.handle(event))

    def _run_effects(self, effects) -> None:
        for effect in effects:
            if isinstance(effect, RecordPress):
                self._record(effect)
            elif isinstance(effect, ShowView):
                self.view = effect
            elif isinstance(effect, Suppressed):
                self.counters.suppressed += 1
                if self.console is not None:
                    left = (self.kiosk.next_deadline() or effect.at) - effect.at
                    self.console.held_back(effect.button, left)
            elif isinstance(effect, Rejected):
                self.counters.rejected += 1
                log.info("press rejected: %s", effect.reason_code)
                if self.console is not None:
                    self.console.rejected(effect.reason_code, effect.button)

    def _record(self, effect: RecordPress) -> None:
        """Journal first; only then light, sound and send."""
        stamp = self.clock.stamp(age=max(0.0, time.monotonic() - effect.at))
        try:
            press = press_of(effect, self.journal.last_seq + 1, self.config.device, stamp,
                             self.profile.current)  # fmt: skip
        except ProtocolError as exc:  # never journaled: a stored press must be sendable
            log.error("press not recorded, it breaks the contract: %s", exc)
            self.counters.faults.add("press-invalid")
            return
        self.journal.append(press)
        self.counters.recorded += 1
        if effect.dossier:
            self.kiosk.mark_used([effect.dossier])
        if self.panel is not None:
            self.panel.flash(5 - effect.rating)
            self.panel.beep()
        if self.sound is not None:
            wanted = self.profile.current
            self.sound.thank(effect.rating, voice=wanted.voice, volume=wanted.volume)
        log.debug("journaled seq %d rating %d", press.seq, effect.rating)
        if self.console is not None:
            reasons = self.profile.current.reasons or texts.reasons(self.config.kiosk.language)
            self.console.recorded(press, self._labels(), tuple(reasons))

    def _labels(self) -> tuple[str, ...]:
        """Return the four level names the screen shows, best first."""
        return tuple(self.profile.current.labels or texts.labels(self.config.kiosk.language))

    def _apply_config(self, payload: bytes) -> None:
        incoming = self.profile.apply(payload)
        if incoming is None:
            return
        self.kiosk.handle(ConfigChanged(to_settings(self.profile.current, self.config)))
        log.info("config from the collector: %s", sorted(incoming.present()))
        if self.console is not None:
            self.console.configured(self.profile.current)
        if self.profile.current.resend_from:
            self.link.replay(self.profile.current.resend_from)

    def _on_time(self, now: float) -> None:
        for e in self.buttons.poll(now):
            self._button_event(e)
        for e in self.scanner.flush(now):
            self._keyboard_event(e)
        self._run_effects(self.kiosk.handle(Tick(now)))
        self.link.on_time(now)
        if now >= self.next_prune:  # drop delivered presses past their retention, daily
            self.next_prune = now + 86_400
            removed = self.journal.prune(self.clock.now())
            if removed:
                log.info("pruned %d archived journal segment(s)", removed)
        if now >= self.next_health:
            self.next_health = now + self.config.mqtt.health_interval_s
            self.uplink.publish_health(build_health(self.status(now)))

    def status(self, now: float | None = None) -> KioskStatus:
        """Return a read-only snapshot of the kiosk for the screen and the health report."""
        j, c, m = self.journal, self.counters, self.config.mqtt
        now = time.monotonic() if now is None else now
        return KioskStatus(
            device=self.config.device, version=self.version, uptime=now - self.started,
            now=self.clock.now(), synced=self.clock.is_synced(), anchor=self.clock.anchor,
            broker=f"{m.host}:{m.port}", connected=self.link.connected, session=self.uplink.session,
            last_seq=j.last_seq, acked=j.acked, backlog=j.backlog, last_ack_at=self.link.last_ack_at,
            recorded=c.recorded, suppressed=c.suppressed, rejected=c.rejected,
            faults=tuple(sorted(c.faults)), view=self.view, profile=self.profile.current,
            language=self.config.kiosk.language, state_dir=self.config.state_dir,
        )  # fmt: skip

    def _next_deadline(self) -> float:
        candidates = [self.next_health, self.next_prune, self.kiosk.next_deadline(),
                      self.buttons.next_deadline(), self.scanner.next_deadline(),
                      self.link.deadline()]  # fmt: skip
        if self.display is not None:
            candidates.append(self.display.next_deadline())
        return min(c for c in candidates if c is not None)

    def _redraw(self) -> None:
        if self.display is not None and not self.display.show(self.status()):
            self.display = None

    def _shutdown(self) -> None:
        notify.stopping()
        if self.console is not None:
            self.console.stopping()
        log.info("kiosk stopping: last seq %d, acked %d", self.journal.last_seq, self.journal.acked)
        self.link.close()
        if self.panel is not None:
            self.panel.close()
        if self.display is not None:
            self.display.close()
        self.journal.close()
