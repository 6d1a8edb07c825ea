"""Fixtures of the device tests: a kiosk on real parts (see tests/device/kiosk.py)."""

import pytest
from gpiozero.pins.mock import MockFactory

from hailong.device.app import KioskApp
from hailong.device.clock import Clock
from hailong.device.config import KioskConfig, KioskSettingsFile, MqttSettings, ScreenSettings
from hailong.device.display import Display
from hailong.device.inbox import Inbox
from hailong.device.journal import Journal
from hailong.device.panel import Panel
from hailong.device.screen import Screen
from hailong.device.uplink import Uplink
from tests.device.kiosk import TZ, WALL, Kiosk, record_draws


@pytest.fixture
def make_kiosk(tmp_path, broker):
    """Build a kiosk on mock pins, the dummy screen and the test broker; stop it afterwards."""
    built: list[Kiosk] = []

    def make(
        cooldown_s: float = 5.0,
        fail_when=lambda _frame: False,
        screen: bool = True,
        touch: bool = True,
        sound=None,
    ):
        config = KioskConfig(
            device="k1", state_dir=tmp_path / "k1", mqtt=MqttSettings(port=broker.port),
            kiosk=KioskSettingsFile(cooldown_s=cooldown_s, counter="Q1", official_name="Nguyễn Văn An",
                                    field_name="Hộ tịch"),
            screen=ScreenSettings(fullscreen=False, touch=touch),
        )  # fmt: skip
        inbox, pins = Inbox(), MockFactory()
        clock = Clock(TZ, wall=lambda: WALL, synced=lambda: True, boot="test-boot")
        display = Display(Screen.open((800, 480)), touch=touch) if screen else None
        app = KioskApp(config, Journal.open(config.state_dir / "journal"), clock, inbox,
                       Uplink(config, inbox.put, None), display=display,
                       panel=Panel(inbox, pin_factory=pins), sound=sound,
                       version="0.1.0-test")  # fmt: skip
        kiosk = Kiosk(app, pins, display.screen if display else None)
        if display is not None:
            record_draws(kiosk, display.screen, fail_when)
        built.append(kiosk)
        return kiosk

    yield make
    for kiosk in built:
        if kiosk.thread is not None and kiosk.thread.is_alive():
            kiosk.halt()
        for part in (kiosk.app.panel, kiosk.app.journal, kiosk.screen):
            if part is not None:
                part.close()  # each close is idempotent; a loop that ran closed most already
        kiosk.pins.close()
