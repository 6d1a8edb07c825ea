"""Staff remarks (table D): written per period, audited, shown in the report."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from hailong.server.errors import InputError
from hailong.server.reference.remarks import remarks_for, set_remarks
from hailong.server.storage.db import audit


def test_remarks_are_written_replaced_and_audited(engine):
    with engine.begin() as conn:
        assert set_remarks(conn, "2024-Q1", "  Cần bổ sung ghế chờ.  ", "thu") == "2024-Q1"
        set_remarks(conn, "2024-q1", "Cần bổ sung ghế chờ.", "thu")  # same text: no new row
        set_remarks(conn, "2024-Q1", "Đề nghị thêm một quầy Hộ tịch.", "lan")
    with engine.connect() as conn:
        assert remarks_for(conn, "2024-Q1") == "Đề nghị thêm một quầy Hộ tịch."
        assert remarks_for(conn, "2024-03") is None
        rows = conn.execute(
            select(audit.c.actor, audit.c.action, audit.c.before, audit.c.after)
            .where(audit.c.entity == "remarks").order_by(audit.c.id)
        ).all()  # fmt: skip
    assert [(r.actor, r.action) for r in rows] == [("thu", "create"), ("lan", "update")]
    assert "ghế chờ" in rows[1].before and "quầy Hộ tịch" in rows[1].after


def test_bad_period_is_refused(engine):
    with engine.begin() as conn, pytest.raises(InputError, match="period"):
        set_remarks(conn, "quý 1", "x", "thu")


def test_cli_sets_from_a_file_and_shows(tmp_path):
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n')
    note = tmp_path / "note.txt"
    note.write_text("Tỷ lệ hài lòng tăng; đề nghị khen thưởng.\n", encoding="utf-8")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(config), *args],
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    assert run("remarks", "set", "2024-03", "--file", str(note)).returncode == 0
    shown = run("remarks", "show", "2024-03")
    assert shown.stdout.strip() == "Tỷ lệ hài lòng tăng; đề nghị khen thưởng."
    bad = run("remarks", "set", "2024-13", "--text", "x")
    assert bad.returncode == 2 and "period" in bad.stderr
