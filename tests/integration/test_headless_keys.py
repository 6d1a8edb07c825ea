"""`hailong-kiosk run --headless` on a terminal: keys 1–4 rate, as on the four buttons."""

from __future__ import annotations

import os
import pty
import re

from sqlalchemy import select

from hailong.server.storage.db import open_database, presses
from tests.support import collector_toml, kiosk_toml, start_ingest, wait_for

CLOCK = r"\d\d:\d\d:\d\d "


def test_keys_typed_on_a_terminal_are_ratings(tmp_path, broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    parent, child = pty.openpty()  # a real terminal, so the kiosk reads single keys
    try:
        kiosk = procs.start("k1", "hailong.device.cli", "--config", kiosk_toml(tmp_path, broker, "k1"),
                            "run", "--headless", stdin=child)  # fmt: skip
        wait_for(lambda: "connected to the broker" in procs.log("k1"), 20, "k1 to connect")
        for done, key in enumerate("1423", start=1):
            os.write(parent, key.encode())
            wait_for(lambda n=done: len(_ratings(engine)) == n, 10, f"key {key} stored")
        assert _ratings(engine) == [4, 1, 3, 2], "key n is button n: best first"
        assert procs.stop(kiosk) == 0
    finally:
        os.close(parent)
        os.close(child)


def test_each_press_prints_a_line_a_technician_reads_and_q_quits(tmp_path, broker, procs):
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    parent, child = pty.openpty()
    try:
        kiosk = procs.start("k1", "hailong.device.cli", "--config", kiosk_toml(tmp_path, broker, "k1"),
                            "run", "--headless", stdin=child)  # fmt: skip
        wait_for(lambda: "Sẵn sàng: phím 1–4" in procs.log("k1"), 20, "the ready line")
        os.write(parent, b"2")
        recorded = CLOCK + r"Nút 2 → Hài lòng: đã ghi \(seq 1\), chờ xác nhận\n"
        wait_for(lambda: re.search(recorded, procs.log("k1")), 10, "the press line")
        wait_for(lambda: re.search(CLOCK + r"seq 1 đã xác nhận\n", procs.log("k1")), 20, "the ack")
        os.write(parent, b"q")
        assert kiosk.wait(15) == 0, "q quits cleanly"
    finally:
        os.close(parent)
        os.close(child)
    log = procs.log("k1")
    assert "Đang dừng kiosk." in log
    assert not re.search(r"\w+\(\w+=", log), "no Python repr reaches the technician"


def test_simulate_says_when_the_cooldown_holds_presses_back(tmp_path, broker, procs):
    config = kiosk_toml(tmp_path, broker, "k1")
    config.write_text(config.read_text().replace("cooldown_s = 0.0", "cooldown_s = 60.0"))
    kiosk = procs.start("k1", "hailong.device.cli", "--config", config, "run", "--headless",
                        "--simulate", 20, "--count", 4)  # fmt: skip
    held = CLOCK + r"Nút [1-4]: bỏ qua, đang trong thời gian chờ sau lượt trước \(còn \d+ giây\)"
    wait_for(lambda: len(re.findall(held, procs.log("k1"))) == 3, 20, "three presses held back")
    assert len(re.findall(r"đã ghi \(seq \d+\)", procs.log("k1"))) == 1
    assert procs.stop(kiosk) == 0


def _ratings(engine) -> list[int]:
    with engine.connect() as conn:
        return conn.execute(select(presses.c.rating).order_by(presses.c.seq)).scalars().all()
