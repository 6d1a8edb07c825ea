"""The clock readings a press carries, and the anchor taken at the first sync of a boot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hailong.device.clock import Clock, boot_id, since_boot, system_synced

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


class FakeTime:
    def __init__(self):
        self.wall = 1_709_602_200.0  # 2024-03-05 08:30:00 +07:00
        self.mono = 1000.0
        self.synced = False


def make(t: FakeTime) -> Clock:
    return Clock(HCM, wall=lambda: t.wall, mono=lambda: t.mono, synced=lambda: t.synced, boot="b1")


def test_stamp_carries_local_rfc3339_ms_boot_and_mono():
    t = FakeTime()
    stamp = make(t).stamp()
    assert stamp.ts == "2024-03-05T08:30:00.000+07:00"
    assert (stamp.synced, stamp.boot, stamp.mono) == (False, "b1", 1000.0)


def test_stamp_of_an_earlier_press_moves_both_clocks_back():
    t = FakeTime()
    stamp = make(t).stamp(age=12.5)
    assert stamp.ts == "2024-03-05T08:29:47.500+07:00"
    assert stamp.mono == 987.5


def test_anchor_is_taken_once_at_the_first_sync_of_the_boot():
    t = FakeTime()
    clock = make(t)
    clock.stamp()
    assert clock.anchor is None
    t.wall, t.mono, t.synced = t.wall + 3600, t.mono + 60, True  # NTP stepped the clock
    clock.stamp()
    first = clock.anchor
    assert first is not None and first.boot == "b1" and first.mono == 1060.0
    assert datetime.fromisoformat(first.ts) == datetime.fromtimestamp(t.wall, HCM)
    t.wall, t.mono = t.wall + 10, t.mono + 10
    clock.stamp()
    assert clock.anchor == first, "later syncs keep the first anchor"


def test_system_readings_are_sane():
    assert len(boot_id()) >= 8
    assert since_boot() > 0
    assert isinstance(system_synced(), bool)
