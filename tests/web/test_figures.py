"""The summary's extras (per counter, hour × weekday, quarantine) and the figures cache."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import insert

from hailong.server.reporting.data import build_report
from hailong.server.reporting.figures import FigureCache
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from tests.server.report_world import at, build_world, press_row
from tests.web.conftest import SETTINGS

TODAY = date(2024, 4, 5)


@pytest.fixture
def engine(tmp_path):
    engine = db.open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    build_world(engine)
    yield engine
    engine.dispose()


def test_extras_follow_the_report_rules(engine):
    figures = FigureCache().figures(engine, parse_period("2024-03"), SETTINGS, TODAY)
    counters = {row.code: row.stats for row in figures.counters}
    assert counters["Q1"].total == 22 and counters["Q2"].total == 10  # k1 18 + k3 4; k2 10
    assert counters["Q2"].counts == {4: 3, 3: 4, 2: 1, 1: 2}
    assert sum(map(sum, figures.heat)) == figures.data.totals.total == 32
    assert figures.heat[0][8] == 6  # Monday 04/03 08:00–08:50 (B), local time
    assert figures.heat[4][0] == 1  # Friday 01/03 00:30 (A), still 29/02 in UTC
    assert figures.quarantine == {"invalid": 1} and figures.conflicts == 0


def test_the_data_is_the_report_itself(engine):
    figures = FigureCache().figures(engine, parse_period("2024-03"), SETTINGS, TODAY)
    with engine.connect() as conn:
        report = build_report(conn, parse_period("2024-03"), SETTINGS, TODAY)
    assert figures.data == report


def test_figures_are_kept_until_something_changes(engine):
    cache, period = FigureCache(), parse_period("2024-03")
    first = cache.figures(engine, period, SETTINGS, TODAY)
    assert cache.figures(engine, period, SETTINGS, TODAY) is first
    with engine.begin() as conn:
        conn.execute(insert(db.presses).values(press_row("k9", 1, 1, at("2024-03-20", "09:00"),
                                                         counter="Q2")))  # fmt: skip
    second = cache.figures(engine, period, SETTINGS, TODAY)
    assert second.data.totals.total == 33
    assert {r.code: r.stats.total for r in second.counters}["Q2"] == 11
    with engine.begin() as conn:  # a correction is a change too
        conn.execute(insert(db.corrections).values(device="k9", seq=1, action="exclude",
                                                   reason="thử", actor="t", at_ms=0))  # fmt: skip
    third = cache.figures(engine, period, SETTINGS, TODAY)
    assert third.data.totals.total == 32 and sum(map(sum, third.heat)) == 32
    assert cache.figures(engine, period, replace(SETTINGS, min_sample=5), TODAY) is not third
