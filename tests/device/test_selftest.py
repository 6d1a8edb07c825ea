"""Tests for device.selftest and its parts (checklist, hardware_checks): every check passing and
failing, and the CLI against a real broker."""

import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from queue import SimpleQueue
from zoneinfo import ZoneInfo

import pytest
from gpiozero.pins.mock import MockFactory, MockPin

from hailong.device import checklist, fonts, hardware_checks, selftest
from hailong.device.checklist import Check
from hailong.device.clock import Clock
from hailong.device.config import KioskConfig, MqttSettings, ScreenSettings
from hailong.device.journal import Journal
from hailong.device.panel import Panel
from hailong.device.screen import DisplayError, Screen
from hailong.device.selftest import Adapters
from hailong.server.broker.private import free_port
from tests.support import kiosk_toml

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parents[2]
SCREEN = ScreenSettings(width=480, height=320, fullscreen=False)


@pytest.fixture
def factory():
    factory = MockFactory()
    yield factory
    factory.close()


class DeadPin(MockPin):
    """An output pin whose level never changes: a broken driver or a shorted lamp line."""

    def _set_state(self, value):
        pass


class FakeSound:
    def __init__(self, available=True):
        self.available, self.played, self.closed = available, 0, False

    def play(self):
        self.played += 1

    def close(self):
        self.closed = True


def clock_at(year, synced=True):
    wall = datetime(year, 3, 5, 14, 30, tzinfo=TZ).timestamp()
    return Clock(TZ, wall=lambda: wall, mono=lambda: 100.0, synced=lambda: synced, boot="b")


def pin_map(tmp_path, text):
    path = tmp_path / "pinmap.toml"
    path.write_text(text)
    return path


def test_panel_opens_buttons_lamps_and_buzzer(factory):
    buttons, leds = hardware_checks.check_panel(None, factory)
    assert buttons == Check(checklist.BUTTONS, True, buttons.detail)
    assert "4 nút, 4 đèn, còi" in buttons.detail and "5,6,13,19" in buttons.detail
    assert leds.ok and not leds.warn
    assert factory.pin(12).state is False  # every lamp left dark, the pins released


def test_panel_without_buzzer(tmp_path, factory):
    path = pin_map(tmp_path, "buttons = [5, 6, 13, 19]\nleds = [12, 16, 20, 21]\n")
    buttons, _ = hardware_checks.check_panel(path, factory)
    assert buttons.ok and "không còi / no buzzer" in buttons.detail


def test_pins_in_use_fail_both_lines(factory):
    with Panel(SimpleQueue(), pin_factory=factory):  # the running kiosk holds the pins
        buttons, leds = hardware_checks.check_panel(None, factory)
    assert not buttons.ok and "cannot open the button panel" in buttons.detail
    assert not leds.ok and "not tried" in leds.detail


def test_bad_pin_map_fails_naming_the_file(tmp_path, factory):
    path = pin_map(tmp_path, "buttons = [5, 6]\nleds = [12, 16, 20, 21]\n")
    buttons, _ = hardware_checks.check_panel(path, factory)
    assert not buttons.ok and "pinmap.toml" in buttons.detail and "buttons" in buttons.detail


def test_lamp_that_does_not_switch_fails(factory):
    factory.pin(16, pin_class=DeadPin)  # the lamp of button 2
    buttons, leds = hardware_checks.check_panel(None, factory)
    assert buttons.ok
    assert not leds.ok and "đèn 2 " in leds.detail


def test_screen_draws_with_the_dummy_driver():
    check = hardware_checks.check_screen(SCREEN, hardware_checks.open_screen)
    assert check.ok and check.detail.startswith("480x320 (dummy)")


def test_screen_that_cannot_open_or_draw_fails():
    def no_display(_settings):
        raise DisplayError("cannot open the display: kmsdrm not available")

    check = hardware_checks.check_screen(SCREEN, no_display)
    assert not check.ok and "kmsdrm not available" in check.detail

    broken = Screen.offscreen((480, 320))
    broken.draw = lambda frame: (_ for _ in ()).throw(DisplayError("cannot draw: lost"))
    assert hardware_checks.check_screen(SCREEN, lambda _s: broken) == Check(
        checklist.SCREEN, False, "cannot draw: lost"
    )


def test_screen_disabled_is_a_warning():
    check = hardware_checks.check_screen(
        replace(SCREEN, enabled=False), hardware_checks.open_screen
    )
    assert check.ok and check.warn


def test_font_covers_every_vietnamese_letter_and_ui_string():
    check = hardware_checks.check_font(None, ["Nguyễn Văn An", "Hộ tịch"])
    assert check.ok and "đủ" in check.detail


def test_font_missing_a_character_fails_naming_it():
    check = hardware_checks.check_font(None, ["Phòng 中"])
    assert not check.ok and "U+4E2D(中)" in check.detail


def test_no_font_file_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "REGULAR", (str(tmp_path / "none.ttf"),))
    check = hardware_checks.check_font(tmp_path / "configured.ttf")
    assert not check.ok and "fonts-dejavu-core" in check.detail


def test_font_coverage_without_fonttools_agrees(monkeypatch):
    path = fonts.find_fonts().regular
    with_fonttools = hardware_checks.font_characters(path)
    monkeypatch.setitem(sys.modules, "fontTools.ttLib", None)  # import now raises ImportError
    probe = set(range(0x20, 0x2200))
    assert hardware_checks.font_characters(path) == with_fonttools & probe


def test_journal_writable_reports_its_counts(tmp_path):
    folder = tmp_path / "journal"
    with Journal.open(folder) as journal:
        journal.add({"rating": 4})
    check = selftest.check_journal(folder)
    assert check.ok and "seq 1, chờ gửi / backlog 1" in check.detail
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_journal_in_use_by_the_kiosk_passes_with_a_note(tmp_path):
    with Journal.open(tmp_path / "journal"):
        check = selftest.check_journal(tmp_path / "journal")
    assert check.ok and "in use by the kiosk" in check.detail


def test_journal_folder_that_cannot_exist_fails(tmp_path):
    (tmp_path / "state").write_text("a file where a folder should be")
    check = selftest.check_journal(tmp_path / "state" / "journal")
    assert not check.ok and "state/journal" in check.detail


def test_broker_outcomes_from_the_connect_function():
    config = KioskConfig(device="k1")
    assert selftest.check_broker(config, lambda _c, _t: None, 1).ok
    refused = selftest.check_broker(config, lambda _c, _t: "refused: Not authorized", 1)
    assert not refused.ok and refused.detail.endswith("refused: Not authorized")

    def unreachable(_c, _t):
        raise ConnectionRefusedError(111, "Connection refused")

    down = selftest.check_broker(config, unreachable, 1)
    assert not down.ok and "unreachable" in down.detail and "user k1" in down.detail


def device_config(tmp_path, broker, password):
    (tmp_path / "pw").write_text(password)
    mqtt = MqttSettings(port=broker.port, password_file=str(tmp_path / "pw"))
    return KioskConfig(device="k1", state_dir=tmp_path / "state", mqtt=mqtt)


def test_mqtt_connect_with_the_device_credentials(tmp_path, secure_broker):
    right = device_config(tmp_path, secure_broker, secure_broker.users["k1"])
    assert selftest.mqtt_connect(right, 5) is None
    wrong = device_config(tmp_path, secure_broker, "not-the-password")
    assert selftest.mqtt_connect(wrong, 5) == "refused: Not authorized"


def test_mqtt_connect_to_a_closed_port_is_unreachable(tmp_path):
    config = KioskConfig(device="k1", mqtt=MqttSettings(port=free_port()))
    check = selftest.check_broker(config, selftest.mqtt_connect, 2)
    assert not check.ok and "unreachable" in check.detail


def test_clock_synced_unsynced_and_impossible():
    synced = selftest.check_clock(clock_at(2026))
    assert synced.ok and not synced.warn and "05/03/2026 14:30:00 +07" in synced.detail
    unsynced = selftest.check_clock(clock_at(2026, synced=False))
    assert unsynced.ok and unsynced.warn and "not NTP-synchronised" in unsynced.detail
    wrong = selftest.check_clock(clock_at(1970, synced=False))
    assert not wrong.ok and "wrong date" in wrong.detail


def test_sound_played_missing_or_off():
    sound = FakeSound()
    assert hardware_checks.check_sound(SCREEN, lambda _s: sound).detail.startswith("đã phát")
    assert sound.played == 1 and sound.closed
    silent = hardware_checks.check_sound(SCREEN, lambda _s: FakeSound(available=False))
    assert silent.ok and silent.warn
    off = hardware_checks.check_sound(
        replace(SCREEN, sound=False), lambda _s: pytest.fail("opened")
    )
    assert off.ok and not off.warn


def test_run_checks_in_order_with_injected_adapters(tmp_path, factory):
    config = KioskConfig(device="k1", state_dir=tmp_path, screen=SCREEN)
    adapters = Adapters(pin_factory=factory, open_screen=lambda s: Screen.offscreen((480, 320)),
                        connect=lambda _c, _t: "refused: Not authorized", clock=clock_at(2026),
                        open_sound=lambda _s: FakeSound(), show_s=0.0)  # fmt: skip
    checks = selftest.run_checks(config, adapters)
    assert [c.name for c in checks] == [checklist.BUTTONS, checklist.LEDS, checklist.SCREEN,
                                        checklist.FONT, checklist.JOURNAL, checklist.BROKER,
                                        checklist.CLOCK, checklist.SOUND]  # fmt: skip
    assert [c.name for c in checks if not c.ok] == [checklist.BROKER]
    assert checklist.exit_status(checks) == 1
    assert checklist.exit_status([c for c in checks if c.ok]) == 0


def test_a_running_kiosk_is_named_beside_the_pins_it_holds(tmp_path, factory):
    config = KioskConfig(device="k1", state_dir=tmp_path, screen=replace(SCREEN, sound=False))
    adapters = Adapters(pin_factory=factory, open_screen=lambda s: Screen.offscreen((480, 320)),
                        connect=lambda _c, _t: None, clock=clock_at(2026), show_s=0.0)  # fmt: skip
    with Journal.open(tmp_path / "journal"), Panel(SimpleQueue(), pin_factory=factory):
        checks = {c.name: c for c in selftest.run_checks(config, adapters)}
    assert checks[checklist.BUTTONS].detail.endswith(selftest.RUNNING)
    assert checks[checklist.JOURNAL].ok and checks[checklist.BROKER].ok


def test_report_lines_and_verdict():
    checks = [Check(checklist.BUTTONS, True, "4 nút, 4 đèn, còi"),
              Check(checklist.CLOCK, True, "chưa đồng bộ", warn=True),
              Check(checklist.BROKER, False, "refused: Not authorized")]  # fmt: skip
    assert checklist.report(checks).splitlines() == [
        "[ OK ]  Nút bấm / buttons: 4 nút, 4 đèn, còi",
        "[CHÚ Ý] Đồng hồ / clock: chưa đồng bộ",
        "[LỖI]   Máy chủ MQTT / broker: refused: Not authorized",
        "Kết quả / result: 1 LỖI / FAILED (2/3)",
    ]
    assert checklist.report(checks[:2]).endswith("ĐẠT / PASSED (2/2)")


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "GPIOZERO_PIN_FACTORY": "mock"}
    command = [
        sys.executable,
        "-m",
        "hailong.device.cli",
        "--config",
        str(config),
        "selftest",
        *args,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_cli_passes_with_the_right_password(tmp_path, secure_broker):
    done = run_cli(kiosk_toml(tmp_path, secure_broker, "k1"), "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[ OK ]  Máy chủ MQTT / broker: 127.0.0.1:" in done.stdout
    assert "ĐẠT / PASSED (8/8)" in done.stdout
    assert secure_broker.users["k1"] not in done.stdout + done.stderr


def test_cli_fails_with_the_wrong_password_and_says_why(tmp_path, secure_broker):
    config = kiosk_toml(tmp_path, secure_broker, "k2")
    (tmp_path / "k2.password").write_text("not-the-password")
    done = run_cli(config, "--quick", "--broker-timeout", "5")
    assert done.returncode == 1, done.stdout + done.stderr
    broker_line = next(line for line in done.stdout.splitlines() if checklist.BROKER in line)
    assert broker_line.startswith("[LỖI]") and broker_line.endswith("refused: Not authorized")


def test_cli_configuration_error_exits_2(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('device = "k1"\n[mqtt]\npassword_file = "/nonexistent/password"\n')
    done = run_cli(config, "--quick")
    assert done.returncode == 2 and "configuration error" in done.stderr
