"""The kiosk's one loop: it alone owns the state, the journal, the uplink and the screen."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from hailong.device import notify
from hailong.device import uplink as net
from hailong.device.buttons import (
    ButtonLogic,
    Edge,
    Pressed,
    ServiceChord,
    StuckCleared,
    StuckFault,
)
from hailong.device.clock import Clock
from hailong.device.config import KioskConfig
from hailong.device.delivery import Delivery
from hailong.device.health import build_health
from hailong.device.inbox import Inbox
from hailong.device.journal import Journal
from hailong.device.profile import Profile, to_settings
from hailong.device.scanner import Scanner, ScanRejected
from hailong.device.state import (
    ButtonPressed,
    ConfigChanged,
    DossierScanned,
    Kiosk,
    RecordPress,
    Rejected,
    ShowView,
    Suppressed,
    Tick,
)
from hailong.protocol import Press, ProtocolError, parse_ack

log = logging.getLogger(__name__)
RECONNECT_MIN_S = 1.0


@dataclass(frozen=True)
class KeyChars:
    """Characters typed on a keyboard or sent by a barcode scanner (a keyboard wedge)."""

    chars: str
    at: float


@dataclass
class Counters:
    """What the kiosk counts for health and service mode."""

    recorded: int = 0
    suppressed: int = 0
    rejected: int = 0
    denied: int = 0
    faults: set[str] = field(default_factory=set)


def used_dossiers(journal: Journal) -> set[str]:
    """Return the dossier codes already rated live, from the journal's archive."""
    return {r["dossier"] for r in journal.since(1) if r.get("dossier") and r.get("mode") == "live"}


class KioskApp:
    """Turn events into journaled presses, screen frames and MQTT traffic."""

    def __init__(self, config: KioskConfig, journal: Journal, clock: Clock, inbox: Inbox,
                 uplink: net.Uplink, *, display=None, panel=None, sound=None, version: str = ""):  # fmt: skip
        self.config, self.journal, self.clock, self.inbox = config, journal, clock, inbox
        self.uplink, self.display, self.panel, self.sound = uplink, display, panel, sound
        self.version = version
        self.profile = Profile(config, config.state_dir / "collector-config.json")
        self.kiosk = Kiosk(to_settings(self.profile.current, config))
        self.kiosk.mark_used(used_dossiers(journal))  # at most one rating per dossier, ever
        self.buttons = ButtonLogic(service_hold_s=config.kiosk.service_hold_s)
        self.scanner = Scanner()
        self.delivery = Delivery(config.mqtt.inflight, config.mqtt.retransmit_after_s)
        self.delivery.acked = journal.acked
        self.counters = Counters()
        self.view = ShowView("idle")
        self.started = time.monotonic()
        self.reconnect_at: float | None = None
        self.reconnect_delay = RECONNECT_MIN_S
        self.new_session = True
        self.next_health = self.started + 5.0
        self.next_prune = self.started + 60.0
        self.replayed_from: int | None = None
        self.last_ack_at = None  # wall-clock time of the last ack that moved the watermark

    def run(self, stop: threading.Event) -> None:
        """Work until stop is set; then say offline and close everything."""
        log.info("kiosk %s starting: last seq %d, acked %d", self.config.device,
                 self.journal.last_seq, self.journal.acked)  # fmt: skip
        self.uplink.start(self.journal.next_session())
        if self.panel is not None:
            self.panel.ready()
        ping_s = notify.watchdog_interval() or 60.0  # wake in time to feed systemd's watchdog
        notify.ready(f"recording as {self.config.device}")
        try:
            while not stop.is_set():
                notify.watchdog()
                timeout = min(self._next_deadline() - time.monotonic(), 60.0, ping_s)
                events = (
                    self.display.wait(self.inbox, timeout)
                    if self.display
                    else self.inbox.wait(timeout)
                )
                for event in events:
                    self.handle(event)
                self._on_time(time.monotonic())
                self._send_pending()
                self._redraw()
        finally:
            self._shutdown()

    def handle(self, event: object) -> None:
        """Dispatch one event from a button, the keyboard, the network or a simulator."""
        if isinstance(event, Edge):
            for e in self.buttons.feed(event):
                self._button_event(e)
        elif isinstance(event, KeyChars):
            for e in self.scanner.feed(event.chars, event.at):
                self._keyboard_event(e)
        elif isinstance(event, ButtonPressed | DossierScanned):
            self._run_effects(self.kiosk.handle(event))
        else:
            self._network_event(event)

    def _button_event(self, event) -> None:
        if isinstance(event, Pressed):
            self._run_effects(self.kiosk.handle(ButtonPressed(event.button, event.at)))
        elif isinstance(event, ServiceChord):
            self._run_effects(self.kiosk.handle(event))
        elif isinstance(event, StuckFault):
            log.warning("button %d stuck", event.button)
            self.counters.faults.add(event.code)
        elif isinstance(event, StuckCleared):
            self.counters.faults.discard(f"button-{event.button}-stuck")

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
            elif isinstance(effect, Rejected):
                self.counters.rejected += 1
                log.info("press rejected: %s", effect.reason_code)

    def _record(self, effect: RecordPress) -> None:
        """Journal first; only then light, sound and send."""
        stamp = self.clock.stamp(age=max(0.0, time.monotonic() - effect.at))
        p = self.profile.current
        record = self.journal.add({
            "v": 1, "device": self.config.device, "rating": effect.rating,
            "reason": effect.reason, "ts": stamp.ts, "synced": stamp.synced, "boot": stamp.boot,
            "mono": stamp.mono, "counter": p.counter, "official": p.official, "field": p.field,
            "dossier": effect.dossier, "mode": effect.mode,
        })  # fmt: skip
        self.counters.recorded += 1
        if effect.dossier:
            self.kiosk.mark_used([effect.dossier])
        if self.panel is not None:
            self.panel.flash(5 - effect.rating)
            self.panel.beep()
        if self.sound is not None:
            self.sound.play()
        log.debug("journaled seq %d rating %d", record["seq"], effect.rating)

    def _network_event(self, event: object) -> None:
        now = time.monotonic()
        if not self.uplink.is_current(event):
            return  # from a client already closed
        if isinstance(event, net.Connected):
            self.reconnect_delay = RECONNECT_MIN_S
            self.delivery.on_connect(self.journal.acked, now)
            self.uplink.on_connected()
            log.info("connected to the broker (session %d)", self.uplink.session)
        elif isinstance(event, net.Disconnected):
            self._on_disconnected(event, now)
        elif isinstance(event, net.Incoming):
            self._incoming(event, now)
        elif isinstance(event, net.PublishFailed):
            self.counters.denied += 1
            self.counters.faults.add("publish-denied")
            log.error("broker refused publish %d: %s", event.mid, event.reason)

    def _on_disconnected(self, event: net.Disconnected, now: float) -> None:
        self.delivery.on_disconnect()
        # A session that never started may keep its number; one that ended needs a new one.
        self.new_session = event.reason != net.UNREACHABLE
        if self.new_session or self.reconnect_delay >= self.config.mqtt.reconnect_max_s / 2:
            log.warning(
                "disconnected: %s; reconnecting in %.0fs", event.reason, self.reconnect_delay
            )
        self.uplink.stop()
        self.reconnect_at = now + self.reconnect_delay
        self.reconnect_delay = min(self.reconnect_delay * 2, self.config.mqtt.reconnect_max_s)

    def _incoming(self, event: net.Incoming, now: float) -> None:
        if event.kind == "ack":
            self._apply_ack(event.payload, now)
        elif event.kind == "config":
            self._apply_config(event.payload)
        elif event.kind == "collector" and b'"online"' in event.payload and self.uplink.connected:
            # A collector that (re)started may have missed what we sent meanwhile: resend now.
            self.delivery.on_connect(self.journal.acked, now)

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

    def _apply_config(self, payload: bytes) -> None:
        incoming = self.profile.apply(payload)
        if incoming is None:
            return
        self.kiosk.handle(ConfigChanged(to_settings(self.profile.current, self.config)))
        log.info("config from the collector: %s", sorted(incoming.present()))
        resend = self.profile.current.resend_from
        if resend and resend != self.replayed_from:
            self._replay(resend)

    def _replay(self, first: int) -> None:
        """Send archived presses from seq first again (the collector restored a backup)."""
        self.replayed_from = first
        sent = 0
        for record in self.journal.since(first):
            if record["seq"] > self.delivery.sent_upto:
                break
            self.uplink.publish_press(Press.from_dict(record).to_bytes())
            sent += 1
        log.info("replayed %d archived presses from seq %d", sent, first)

    def _on_time(self, now: float) -> None:
        for e in self.buttons.poll(now):
            self._button_event(e)
        for e in self.scanner.flush(now):
            self._keyboard_event(e)
        self._run_effects(self.kiosk.handle(Tick(now)))
        if self.reconnect_at is not None and now >= self.reconnect_at:
            self.reconnect_at = None
            session = self.journal.next_session() if self.new_session else self.uplink.session
            self.uplink.start(session)
        self.delivery.check_stall(self.journal.last_seq, now)
        if now >= self.next_prune:  # drop delivered presses past their retention, daily
            self.next_prune = now + 86_400
            removed = self.journal.prune(self.clock.now())
            if removed:
                log.info("pruned %d archived journal segment(s)", removed)
        if now >= self.next_health:
            self.next_health = now + self.config.mqtt.health_interval_s
            self.uplink.publish_health(build_health(self, now))

    def _send_pending(self) -> None:
        span = self.delivery.next_batch(self.journal.last_seq)
        if span is None or not self.uplink.connected:
            return
        first, last = span
        for record in self.journal.pending(limit=last - self.journal.acked):
            if first <= record["seq"] <= last:
                self.uplink.publish_press(Press.from_dict(record).to_bytes())
        self.delivery.mark_sent(last)

    def _next_deadline(self) -> float:
        candidates = [self.next_health, self.next_prune, self.kiosk.next_deadline(), self.buttons.next_deadline(),
                      self.scanner.next_deadline(), self.reconnect_at,
                      self.delivery.deadline(self.journal.last_seq)]  # fmt: skip
        if self.display is not None:
            candidates.append(self.display.next_deadline())
        return min(c for c in candidates if c is not None)

    def _redraw(self) -> None:
        if self.display is not None:
            self.display.show(self)

    def _shutdown(self) -> None:
        notify.stopping()
        log.info("kiosk stopping: last seq %d, acked %d", self.journal.last_seq, self.journal.acked)
        self.uplink.stop(farewell=True)
        if self.panel is not None:
            self.panel.close()
        if self.display is not None:
            self.display.close()
        self.journal.close()
