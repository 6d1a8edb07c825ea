"""When a commune re-forwards presses the province lacks: the pure rules, on a fake clock."""

import pytest

from hailong.server.broker.forward import Heard, take
from hailong.server.broker.upward import Reforward, Upward


def tracker(**options) -> Upward:
    return Upward(["k1", "k2"], now=0.0, **{"timeout_s": 10, "max_timeout_s": 40, **options})


def test_nothing_is_reforwarded_while_the_province_keeps_up():
    up = tracker()
    up.province_acked("k1", 50, 1.0)
    assert up.due({"k1": 50, "k2": 0}, 100.0) == []
    assert up.behind({"k1": 50}) == {"k1": 0, "k2": 0}


def test_a_lag_is_reforwarded_only_after_the_timeout_then_with_growing_waits():
    up = tracker()
    up.province_acked("k1", 10, 0.0)
    assert up.due({"k1": 30}, 9.9) == []
    assert up.due({"k1": 30}, 10.0) == [Reforward("k1", 11, 30)]
    # no progress: 20 s, then 40 s (the cap), then 40 s again
    assert up.due({"k1": 30}, 29.9) == []
    assert up.due({"k1": 30}, 30.0) == [Reforward("k1", 11, 30)]
    assert up.due({"k1": 30}, 69.9) == []
    assert up.due({"k1": 30}, 70.0) == [Reforward("k1", 11, 30)]
    assert up.due({"k1": 30}, 110.0) == [Reforward("k1", 11, 30)]
    assert up.devices["k1"].reforwarded == 80


def test_progress_resets_the_wait_and_a_landed_chunk_sends_the_next_at_once():
    up = tracker(chunk=100)
    up.province_acked("k1", 0, 0.0)
    assert up.due({"k1": 250}, 10.0) == [Reforward("k1", 1, 100)]
    up.province_acked("k1", 40, 11.0)  # part of the chunk: progress, the wait starts again
    assert up.due({"k1": 250}, 20.9) == []
    up.province_acked("k1", 100, 12.0)  # the whole chunk landed: the next one is due now
    assert up.due({"k1": 250}, 12.0) == [Reforward("k1", 101, 200)]
    up.province_acked("k1", 200, 13.0)
    assert up.due({"k1": 250}, 13.0) == [Reforward("k1", 201, 250)]


def test_a_province_that_went_back_gets_the_presses_again():
    up = tracker()
    up.province_acked("k2", 80, 0.0)
    up.province_acked("k2", 30, 5.0)  # restored from an older backup: its retained ack fell
    assert up.due({"k2": 80}, 14.9) == []
    assert up.due({"k2": 80}, 15.0) == [Reforward("k2", 31, 80)]


def test_nothing_goes_up_while_the_bridge_is_down_and_the_queue_drains_first():
    up = tracker()
    up.link(True, 0.0)
    up.province_acked("k1", 0, 0.0)
    up.link(False, 5.0)
    assert up.due({"k1": 20}, 100.0) == []
    up.link(True, 100.0)  # back: give the bridge's own queue a timeout to arrive
    assert up.due({"k1": 20}, 109.9) == []
    assert up.due({"k1": 20}, 110.0) == [Reforward("k1", 1, 20)]


def test_unknown_kiosks_and_bad_acks_change_nothing():
    up = tracker()
    take(up, Heard("hailong/up/v1/k9/ack", b'{"v":1,"upto":5}'), "hailong/up/v1", "hailong/v1", 1)
    take(up, Heard("hailong/up/v1/k1/ack", b"junk"), "hailong/up/v1", "hailong/v1", 1)
    assert set(up.devices) == {"k1", "k2"} and not up.devices["k1"].heard
    take(up, Heard("hailong/up/v1/k1/ack", b'{"v":1,"upto":5}'), "hailong/up/v1", "hailong/v1", 1)
    take(up, Heard("hailong/up/v1/bridge/state", b"0"), "hailong/up/v1", "hailong/v1", 1)
    assert up.devices["k1"].province == 5 and up.link_up is False


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        Upward(["k1"], 0.0, timeout_s=0)
    with pytest.raises(ValueError):
        Upward(["k1"], 0.0, timeout_s=10, max_timeout_s=5)
