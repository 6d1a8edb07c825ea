"""The summary command counts what the report counts: marked test presses and dossier repeats out."""

from __future__ import annotations

import json
from datetime import date

import pytest

from hailong.server.cli import main
from hailong.server.reference.dossier_rule import REASON
from hailong.server.reporting.data import build_report
from hailong.server.reporting.metrics import fmt_pct
from hailong.server.reporting.periods import custom
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage import db
from tests.server.batches import press, store
from tests.server.report_world import build_world

MARCH = custom(date(2024, 3, 1), date(2024, 3, 31))
ZONE = "Asia/Ho_Chi_Minh"


@pytest.fixture
def engine(database_url):
    """The office of report_world.py plus a dossier rated on two kiosks (the second excluded)."""
    engine = db.open_database(database_url)
    build_world(engine)
    store(engine, [press("k8", 1, dossier="HS-1", rating=4)])
    store(engine, [press("k9", 1, dossier="HS-1", rating=1)])
    yield engine
    engine.dispose()


@pytest.fixture
def config(tmp_path, database_url):
    """Write a collector configuration naming the test database and the office's zone."""
    path = tmp_path / "collector.toml"
    path.write_text(f'database = "{database_url}"\ntime_zone = "{ZONE}"\n')
    return path


def report_totals(engine):
    with engine.connect() as conn:
        data = build_report(conn, MARCH, ReportSettings(time_zone=ZONE), date(2024, 4, 5))
    return data


def summary(config, capsys, *extra) -> str:
    args = ["--config", str(config), "summary", "--from", "01/03/2024", "--to", "31/03/2024"]
    assert main([*args, *extra]) == 0
    return capsys.readouterr().out


def test_the_summary_json_equals_the_report_totals(engine, config, capsys):
    data = report_totals(engine)
    assert data.screening.filtered[f"excluded: {REASON}"] == 1, "the repeat is in the world"
    assert data.screening.filtered["excluded: Kỹ thuật viên bấm thử"] == 1
    found = json.loads(summary(config, capsys, "--json"))
    assert found["total"] == data.totals.total == 33
    assert found["counts"] == {str(k): v for k, v in data.totals.counts.items()}
    assert found["rate"] == float(fmt_pct(data.totals.rate, "en").removesuffix("%"))


def test_the_summary_text_shows_the_report_totals(engine, config, capsys):
    data = report_totals(engine)
    lines = summary(config, capsys).splitlines()
    assert lines[-2].split() == ["Tổng", "số", str(data.totals.total)]
    assert lines[-1].split()[-1] == fmt_pct(data.totals.rate)
    very_satisfied = next(line for line in lines if line.strip().startswith("Rất hài lòng"))
    assert very_satisfied.split()[3] == str(data.totals.counts[4])
