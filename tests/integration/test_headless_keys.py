"""`hailong-kiosk run --headless` on a terminal: keys 1–4 rate, as on the four buttons."""

from __future__ import annotations

import os
import pty

from sqlalchemy import select

from hailong.server.storage.db import open_database, presses
from tests.support import collector_toml, kiosk_toml, start_ingest, wait_for


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


def _ratings(engine) -> list[int]:
    with engine.connect() as conn:
        return conn.execute(select(presses.c.rating).order_by(presses.c.seq)).scalars().all()
