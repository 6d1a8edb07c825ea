"""The `report` command: one line on stdout, the file's path, and no log noise (issue 14)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hailong.server.storage.db import open_database
from tests.server.report_world import build_world


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_report_prints_the_path_it_wrote_and_nothing_else(tmp_path, fmt):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = open_database(url)
    build_world(engine)
    engine.dispose()
    (tmp_path / "c.toml").write_text(f'database = "{url}"\n')
    out = tmp_path / f"bao-cao.{fmt}"
    done = subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(tmp_path / "c.toml"),
                           "report", "--period", "2024-03", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{out}\n"
    assert done.stderr == ""  # fontTools once logged ~150 INFO lines per PDF
    assert out.stat().st_size > 1000
