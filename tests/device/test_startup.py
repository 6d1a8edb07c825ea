"""Tests for the kiosk's start: the idle screen is up when it says ready, and starts stay light."""

from hailong.device import notify
from tests.support import wait_for


def test_the_idle_screen_is_drawn_before_systemd_hears_ready(make_kiosk, monkeypatch):
    kiosk = make_kiosk()
    views_at_ready: list[list[str]] = []
    real_ready = notify.ready

    def ready(status=None):
        views_at_ready.append([d.frame.view for d in kiosk.draws])
        return real_ready(status)

    monkeypatch.setattr(notify, "ready", ready)
    kiosk.start()
    wait_for(lambda: views_at_ready, 10, "the kiosk ready")
    kiosk.halt()
    # The start-up figure (bench_kiosk.py) waits for READY: it must mean a citizen sees the screen.
    assert views_at_ready == [["idle"]]
