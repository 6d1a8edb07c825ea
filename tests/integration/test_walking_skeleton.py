"""One press end to end, a hundred times: kiosk → mosquitto → ingest → SQLite → ack → kiosk."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hailong.device.journal import Journal
from hailong.server.storage.db import devices, open_database, presses
from tests.support import collector_toml, journal_acked, kiosk_toml, wait_for


def count_stored(engine, device: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(presses).where(presses.c.device == device)
        ).scalar_one()


def test_hundred_presses_stored_once_and_acked(tmp_path, secure_broker, procs):
    collector = collector_toml(tmp_path, secure_broker)
    kiosk = kiosk_toml(tmp_path, secure_broker, "k1")
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    procs.start("ingest", "hailong.server.cli", "--config", collector, "ingest")
    child = procs.start("k1", "hailong.device.cli", "--config", kiosk, "run", "--headless",
                        "--simulate", "400", "--count", "100")  # fmt: skip

    wait_for(lambda: count_stored(engine, "k1") >= 100, 60, "100 presses stored")
    with engine.connect() as conn:
        wait_for(lambda: conn.execute(select(devices.c.acked_upto)).scalar() == 100, 20, "ack")
        seqs = conn.execute(select(presses.c.seq).where(presses.c.device == "k1")).scalars().all()
    assert sorted(seqs) == list(range(1, 101))
    wait_for(lambda: journal_acked(tmp_path / "k1") == 100, 20, "the kiosk to receive its ack")

    assert procs.stop(child) == 0
    with Journal.open(tmp_path / "k1" / "journal") as journal:
        assert journal.last_seq == 100
        assert journal.acked == 100, "the kiosk must have received the end-to-end ack"
        assert journal.pending() == []


def test_summary_prints_counts_rate_and_json(tmp_path, secure_broker, procs):
    collector = collector_toml(tmp_path, secure_broker)
    kiosk = kiosk_toml(tmp_path, secure_broker, "k2")
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    procs.start("ingest", "hailong.server.cli", "--config", collector, "ingest")
    procs.start("k2", "hailong.device.cli", "--config", kiosk, "run", "--headless",
                "--simulate", "400", "--count", "40")  # fmt: skip
    wait_for(lambda: count_stored(engine, "k2") == 40, 60, "40 presses stored")
    with engine.connect() as conn:
        ratings = conn.execute(select(presses.c.rating)).scalars().all()

    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    out = subprocess.run(
        [sys.executable, "-m", "hailong.server.cli", "--config", collector, "summary",
         "--from", today, "--to", today, "--json"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    summary = json.loads(out)
    expected = {str(level): ratings.count(level) for level in (4, 3, 2, 1)}
    assert summary["counts"] == expected
    assert summary["total"] == 40
    satisfied = ratings.count(4) + ratings.count(3)
    assert summary["rate"] == round(satisfied / 40 * 100, 1)

    text = subprocess.run(
        [sys.executable, "-m", "hailong.server.cli", "--config", collector, "summary",
         "--from", today, "--to", today],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "Rất hài lòng" in text and f"{ratings.count(4):>8}" in text
    assert "Tỷ lệ hài lòng" in text
