"""Tests for device.status and its readers: the screen, service mode and health see only a snapshot."""

import dataclasses
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hailong.device.display import frame_for, service_lines
from hailong.device.health import build_health
from hailong.device.state import ShowView
from hailong.device.status import KioskStatus
from hailong.protocol import Anchor, Config, parse_health

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def status(**changes) -> KioskStatus:
    """Return a kiosk's status with every optional part filled, changed as asked."""
    base = KioskStatus(
        device="k1", version="0.1.0", uptime=3600.04, now=datetime(2026, 3, 5, 14, 30, 42, tzinfo=TZ),
        synced=True, anchor=Anchor("boot-1", 12.5, "2026-03-05T14:00:00.000+07:00"),
        broker="10.0.0.2:8883", connected=True, session=7, last_seq=42, acked=40, backlog=2,
        last_ack_at=datetime(2026, 3, 5, 14, 29, 58, tzinfo=TZ), recorded=5, suppressed=3,
        rejected=1, faults=("button-2-stuck", "publish-denied"), view=ShowView("idle"),
        profile=Config(counter="Q1", official_name="Nguyễn Văn An", field_name="Hộ tịch",
                       question="Ông/Bà hài lòng không?", labels=("A", "B", "C", "D"),
                       reasons=None),
        language="vi", state_dir=Path("/tmp"),
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def test_the_snapshot_cannot_be_changed_by_its_readers():
    with pytest.raises(dataclasses.FrozenInstanceError):
        status().backlog = 0


def test_the_frame_shows_the_view_the_profile_and_the_link():
    frame = frame_for(status(view=ShowView("thanks", rating=4), connected=False), key_hints=False)
    assert (frame.view, frame.rating, frame.counter, frame.official_name) == (
        "thanks", 4, "Q1", "Nguyễn Văn An"
    )  # fmt: skip
    assert frame.labels == ("A", "B", "C", "D") and frame.offline and frame.clock_synced
    assert frame.now == datetime(2026, 3, 5, 14, 30, tzinfo=TZ)  # minutes: a redraw a minute
    assert frame.service_lines == ()


def test_equal_snapshots_a_second_apart_give_the_same_frame():
    # The loop redraws only on a changed frame: seconds must not leak into an idle screen.
    later = status(now=datetime(2026, 3, 5, 14, 30, 59, tzinfo=TZ), uptime=3617.0)
    assert frame_for(status(), False) == frame_for(later, False)


def test_service_mode_lists_what_the_technician_needs():
    frame = frame_for(status(view=ShowView("service", rating=2, button=3)), key_hints=True)
    assert frame.lit_buttons == {3} and frame.key_hints
    lines = service_lines(status())
    assert lines == frame.service_lines
    assert lines[0].startswith("Thiết bị: k1")
    assert "10.0.0.2:8883  ·  đã kết nối  ·  phiên 7" in lines[2]
    assert "số 42  ·  xác nhận tới: 40 lúc 14:29:58  ·  chờ gửi: 2" in lines[3]
    assert lines[4] == "Từ khi bật: ghi 5  ·  bỏ qua 3  ·  từ chối 1"
    assert lines[5] == "Giờ: 05/03/2026 14:30:42  ·  đã đồng bộ"
    assert lines[6] == "Phiên bản: 0.1.0  ·  lỗi: button-2-stuck, publish-denied"
    unacked = service_lines(status(last_ack_at=None, faults=(), connected=False))
    assert "mất kết nối" in unacked[2] and "lúc" not in unacked[3]
    assert unacked[6].endswith("lỗi: không")


def test_health_carries_the_snapshot_and_reads_its_sensors(tmp_path):
    health = build_health(status(state_dir=tmp_path))
    assert (health.session, health.backlog, health.last_seq, health.suppressed) == (7, 2, 42, 3)
    assert health.uptime == 3600.0 and health.synced and health.anchor.mono == 12.5
    assert health.faults == ("button-2-stuck", "publish-denied")
    assert health.disk_free_mb is not None and health.disk_free_mb > 0
    assert parse_health(health.to_bytes()) == health  # what the collector reads back


def test_the_reason_view_counts_down_to_its_time_out():
    asking = status(view=ShowView("reason", rating=1, until=112.0))
    assert frame_for(asking, False, clock=100.0).seconds_left == 12
    assert frame_for(asking, False, clock=103.2).seconds_left == 9  # whole seconds, rounded up
    assert frame_for(asking, False, clock=113.0).seconds_left == 0  # never below zero
    assert frame_for(status(), False, clock=100.0).seconds_left is None
