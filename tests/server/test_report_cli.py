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
    # The pages' report settings serve the command too when --settings is not given.
    office = tmp_path / "report.toml"
    office.write_text('unit_name = "Ủy ban nhân dân xã An Bình"\nplace = "An Bình"\n')
    (tmp_path / "c.toml").write_text(f'database = "{url}"\n[web]\nreport_settings = "{office}"\n')
    out = tmp_path / f"bao-cao.{fmt}"
    done = subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(tmp_path / "c.toml"),
                           "report", "--period", "2024-03", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{out}\n"
    assert done.stderr == ""  # fontTools once logged ~150 INFO lines per PDF
    assert out.stat().st_size > 1000


def test_a_report_without_the_office_s_name_and_place_is_refused_naming_both(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    open_database(url).dispose()
    (tmp_path / "c.toml").write_text(f'database = "{url}"\n')
    out = tmp_path / "bao-cao.pdf"
    done = subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(tmp_path / "c.toml"),
                           "report", "--period", "2024-03", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0 and not out.exists()
    assert (
        "unit_name" in done.stderr
        and "place" in done.stderr
        and "The report cannot be printed yet" in done.stderr
    )
