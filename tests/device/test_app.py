"""Tests for device.app: the one loop, driven in-process with real parts.

A real Journal in tmp_path, gpiozero MockFactory pins behind device.panel.Panel, the SDL dummy
screen behind device.display.Display, and an Uplink talking to a real mosquitto. The loop runs in
a thread until its stop Event is set; every wait is bounded.
"""

import json
import time
from dataclasses import replace

import paho.mqtt.client as paho
import pygame

from hailong.device.buttons import ButtonLogic
from hailong.device.events import ButtonPressed, DossierScanned, Edge
from hailong.device.panel import DEFAULT_PINS
from hailong.protocol import Ack, parse_press
from tests.device.kiosk import (
    TOPICS,
    Subscriber,
    journal_records,
    screenshot,
)
from tests.support import journal_acked, wait_for


def test_press_is_journaled_before_the_thanks_view_shows(make_kiosk):
    kiosk = make_kiosk().start()
    idle = wait_for(lambda: kiosk.drawn("idle", offline=False), 10, "the idle view, online")
    kiosk.press(1)
    thanks = wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    assert thanks.frame.rating == 4
    assert thanks.on_disk == 1  # durable in the journal before the citizen was thanked
    assert kiosk.app.journal.last_seq == 1
    meta = kiosk.app.config.state_dir / "journal" / "meta.json"  # the guard copy, written after
    wait_for(lambda: meta.exists() and json.loads(meta.read_text())["seq"] == 1, 5, "the guard")
    screenshot(idle, "app_idle.png")
    screenshot(thanks, "app_thanks.png")
    kiosk.halt()
    [record] = journal_records(kiosk.app.config.state_dir)
    assert (record["seq"], record["rating"], record["mode"]) == (1, 4, "live")
    assert (record["counter"], record["synced"], record["boot"]) == ("Q1", True, "test-boot")


def test_presses_during_the_cooldown_are_counted_not_journaled(make_kiosk):
    kiosk = make_kiosk(cooldown_s=5.0).start()
    kiosk.press(2)
    wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    kiosk.press(3)
    kiosk.press(4)
    wait_for(lambda: kiosk.app.counters.suppressed == 2, 5, "two suppressed presses")
    assert kiosk.app.journal.last_seq == 1 and kiosk.app.counters.recorded == 1
    kiosk.halt()
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [3]


def test_service_chord_held_five_seconds_then_test_presses_then_timeout(make_kiosk):
    app = make_kiosk(screen=False).app  # driven event by event with chosen times, no loop
    t = time.monotonic() + 1000.0
    let_go_early = [(t, 1, True), (t, 4, True), (t + 4.9, 1, False), (t + 4.9, 4, False)]
    for at, button, down in [*let_go_early, (t + 8, 1, True), (t + 8, 4, True)]:
        app.handle(Edge(button, down, at))
    assert app.view.view == "idle" and app.journal.last_seq == 0  # 4.9 s: neither mode nor rating
    for button in (1, 4):
        app.handle(Edge(button, False, t + 13.1))
    assert app.view.view == "service"
    app.handle(ButtonPressed(3, t + 20))
    assert (app.view.view, app.view.rating, app.view.button) == ("service", 2, 3)
    app.handle(ButtonPressed(1, t + 20 + app.kiosk.settings.service_timeout_s + 1))
    assert app.view.view == "thanks"  # service mode had ended by itself: a live rating again
    assert [(r["rating"], r["mode"]) for r in app.journal.since(1)] == [(2, "test"), (4, "live")]


def test_service_mode_in_the_running_loop_shows_the_technician_lines(make_kiosk):
    kiosk = make_kiosk()
    kiosk.app.buttons = ButtonLogic(service_hold_s=0.3, stuck_s=3.0)  # 5 s in the field
    kiosk.app.kiosk.settings = replace(kiosk.app.kiosk.settings, service_timeout_s=1.5)
    kiosk.start()
    wait_for(lambda: kiosk.drawn("idle", offline=False), 10, "the idle view, online")
    for button in (1, 4):
        kiosk.pins.pin(DEFAULT_PINS["buttons"][button - 1]).drive_low()
    wait_for(lambda: kiosk.drawn("service"), 5, "service mode")
    for button in (1, 4):
        kiosk.pins.pin(DEFAULT_PINS["buttons"][button - 1]).drive_high()
    kiosk.press(2)
    lit = wait_for(lambda: kiosk.drawn("service", lit_buttons={2}), 5, "button 2 lit")
    assert lit.on_disk == 1
    device, address, broker_line, counts = lit.frame.service_lines[:4]
    assert device.startswith("Thiết bị: k1") and address.startswith("Địa chỉ: ")
    assert "đã kết nối" in broker_line and "chờ gửi: 1" in counts
    assert lit.frame.service_lines[-1].startswith("Phiên bản: 0.1.0-test")
    screenshot(lit, "app_service.png")
    left = len(kiosk.draws)
    wait_for(lambda: any(d.frame.view == "idle" for d in kiosk.draws[left:]), 5, "timeout")
    kiosk.halt()
    [record] = journal_records(kiosk.app.config.state_dir)
    assert (record["rating"], record["mode"]) == (3, "test")


def test_a_failing_display_does_not_stop_the_recording(make_kiosk):
    kiosk = make_kiosk(cooldown_s=0.2, fail_when=lambda frame: frame.view == "thanks").start()
    wait_for(lambda: kiosk.draws, 10, "the first frame")
    kiosk.press(1)
    wait_for(lambda: kiosk.app.display is None, 5, "the display given up")
    assert kiosk.app.journal.last_seq == 1
    wait_for(lambda: kiosk.app.kiosk.view == "idle", 5, "the cooldown to end")
    kiosk.press(4)
    wait_for(lambda: kiosk.app.journal.last_seq == 2, 5, "the second press journaled")
    kiosk.halt()
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [4, 1]


def test_published_press_reaches_a_subscriber(make_kiosk, broker):
    listener = Subscriber(broker, TOPICS.press("k1"))
    try:
        kiosk = make_kiosk().start()
        kiosk.press(1)
        message = listener.messages.get(timeout=10)
    finally:
        listener.close()
    press = parse_press(message.payload, "k1")
    assert (press.seq, press.rating, press.mode, press.device) == (1, 4, "live", "k1")
    assert message.topic == "hailong/v1/k1/press" and message.qos == 1


def test_retained_ack_moves_the_journal_watermark(make_kiosk, broker):
    kiosk = make_kiosk(cooldown_s=0.0, screen=False).start()
    for _ in range(3):  # stamped as the simulator does; cooldown 0 takes each one
        kiosk.app.inbox.put(ButtonPressed(2, time.monotonic()))
    wait_for(lambda: kiosk.app.journal.last_seq == 3, 5, "three presses journaled")
    collector = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    collector.connect("127.0.0.1", broker.port)
    collector.loop_start()
    try:
        info = collector.publish(TOPICS.ack("k1"), Ack(2).to_bytes(), 1, retain=True)
        info.wait_for_publish(10)
        state_dir = kiosk.app.config.state_dir
        wait_for(lambda: journal_acked(state_dir) == 2, 10, "the watermark at 2")
    finally:
        collector.disconnect()
        collector.loop_stop()
    assert kiosk.app.journal.acked == 2 and kiosk.app.journal.backlog == 1


def test_a_code_typed_by_the_scanner_goes_with_the_next_press(make_kiosk):
    kiosk = make_kiosk().start()
    wait_for(lambda: kiosk.draws, 10, "the first frame")
    for char in "H12.22-250101-0001\r":  # a keyboard-wedge scanner types, then Enter
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, unicode=char, key=0, mod=0))
    wait_for(lambda: kiosk.drawn("idle", dossier="H12.22-250101-0001"), 5, "the code shown")
    kiosk.press(2)
    wait_for(lambda: kiosk.app.journal.last_seq == 1, 5, "the press journaled")
    kiosk.halt()
    [record] = journal_records(kiosk.app.config.state_dir)
    assert (record["rating"], record["dossier"]) == (3, "H12.22-250101-0001")


def test_sigterm_stops_a_kiosk_with_a_screen_at_once(tmp_path, broker, procs):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'device = "k1"\nstate_dir = "{tmp_path / "k1"}"\n[mqtt]\n'
                      f"port = {broker.port}\n[screen]\nfullscreen = false\n")  # fmt: skip
    kiosk = procs.start("kiosk", "hailong.device.cli", "--config", config, "run")
    wait_for(lambda: "connected to the broker" in procs.log("kiosk"), 20, "the kiosk online")
    stopping = time.monotonic()
    assert procs.stop(kiosk, timeout=10) == 0
    # pygame.event.wait would hold the Python handler back until its timeout, up to 60 s.
    assert time.monotonic() - stopping < 3, procs.log("kiosk")
    assert "kiosk stopping" in procs.log("kiosk")


def test_a_press_that_breaks_the_contract_is_never_journaled(make_kiosk):
    app = make_kiosk(screen=False).app  # driven event by event, no loop
    t = time.monotonic()
    # The scanner refuses such a code; an event put on the inbox directly is not so careful.
    app.handle(DossierScanned("H" * 70, t))
    app.handle(ButtonPressed(1, t + 1))
    assert app.journal.last_seq == 0 and app.counters.recorded == 0
    assert "press-invalid" in app.status().faults
    app.handle(ButtonPressed(2, t + 1 + app.kiosk.settings.cooldown_s + 1))
    assert [r["rating"] for r in app.journal.since(1)] == [3]  # the next citizen is recorded


def test_a_stored_press_an_older_version_got_wrong_is_sent_as_stored(make_kiosk, broker):
    kiosk = make_kiosk(screen=False)
    bad = {"v": 1, "device": "k1", "rating": 9, "ts": "yesterday", "mode": "live"}
    kiosk.app.journal.add(bad)  # journaled before the checks: the loop must not die on it
    listener = Subscriber(broker, TOPICS.press("k1"))
    try:
        kiosk.start()
        first = listener.messages.get(timeout=10)
        kiosk.app.inbox.put(ButtonPressed(1, time.monotonic()))
        second = listener.messages.get(timeout=10)
    finally:
        listener.close()
    assert json.loads(first.payload) == {**bad, "seq": 1}  # the collector quarantines it
    assert parse_press(second.payload, "k1").seq == 2
    kiosk.halt()


def test_the_status_snapshot_follows_the_loop(make_kiosk):
    app = make_kiosk(cooldown_s=5.0, screen=False).app
    t = time.monotonic()
    for at in (t, t + 1, t + 2):
        app.handle(ButtonPressed(2, at))
    snapshot = app.status()
    assert (snapshot.recorded, snapshot.suppressed, snapshot.last_seq, snapshot.backlog) == (
        1,
        2,
        1,
        1,
    )
    assert (snapshot.view.view, snapshot.view.rating, snapshot.profile.counter) == (
        "thanks",
        3,
        "Q1",
    )
    assert (snapshot.device, snapshot.version, snapshot.connected) == ("k1", "0.1.0-test", False)
    app.handle(ButtonPressed(2, t + 10))
    assert snapshot.recorded == 1 and app.status().recorded == 2  # a snapshot, not a view
