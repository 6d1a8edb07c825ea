"""Tests for the kiosk's start: the idle screen is up when it says ready, and starts stay light."""

import os
import subprocess
import sys

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


def test_the_start_path_leaves_out_what_the_first_screen_does_not_need():
    script = (
        "import sys\n"
        "from hailong.device import cli, hardware\n"
        "import pygame\n"
        "pygame.font.init()\n"
        "assert pygame.font.Font(None, 20).size('x')[0] > 0, 'pygame lost its own font'\n"
        "print(sorted({'pkg_resources', 'hailong.device.provision'} & set(sys.modules)))\n"
        "import pkg_resources  # anyone else may still import it\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "SDL_VIDEODRIVER": "dummy"}, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Both cost a Pi's kiosk start dearly (bench_kiosk.py --cpu-quota 0.125) and serve it nothing.
    assert done.stdout.strip() == "[]"
