"""An office's figures for the report upward, taken from its ReportData, on SQLite and PostgreSQL.

report_world's March 2024 is worked out by hand in test_report_data.py: 32 accepted ratings
(17, 10, 2, 3 from best to worst), 3 of them outside office hours; February 4 4 3 3 3 2 1 1.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hailong.server.reporting.data import NO_FIELD, build_report
from hailong.server.reporting.exchange import export_bytes, new_key, read_export
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.province import office_figures
from tests.server.report_world import world_engine  # noqa: F401 - the `engine` fixture
from tests.server.test_report_data import ISSUED, SETTINGS

MARCH = parse_period("2024-03")


def report(engine, period=MARCH):
    with engine.connect() as conn:
        return build_report(conn, period, SETTINGS, ISSUED)


def test_an_office_s_figures_are_its_report_s_counts(engine):
    figures = office_figures("xa-an-binh", "Xã An Bình", report(engine))
    assert figures.period == "2024-03"
    assert figures.counts == {4: 17, 3: 10, 2: 2, 1: 3}
    assert figures.previous == {4: 2, 3: 3, 2: 1, 1: 2}
    assert figures.in_hours == 32 - 3  # A (Fri 00:30), C (lunch), E (Saturday) were not
    fields = {f.code: f for f in figures.fields}
    # Khác has neither ratings nor a count, Văn hóa is inactive: neither is sent.
    assert set(fields) == {"ho-tich", "chung-thuc", "dat-dai", NO_FIELD}
    assert {c: f.dossiers for c, f in fields.items()} == {
        "ho-tich": 20, "chung-thuc": 10, "dat-dai": 8, NO_FIELD: None,
    }  # fmt: skip
    assert sum(fields[NO_FIELD].counts.values()) == 1  # J, sent without a field
    assert figures.missing_months == ()


def test_the_previous_report_must_be_of_the_previous_period(engine):
    march = report(engine)
    february = report(engine, parse_period("2024-02"))
    assert office_figures("a", "A", march, february).previous == {4: 2, 3: 3, 2: 1, 1: 2}
    with pytest.raises(ValueError, match="not of 2024-02"):
        office_figures("a", "A", march, report(engine, parse_period("2024-01")))


def test_real_figures_survive_the_signed_file(engine):
    key = bytes.fromhex(new_key())
    figures = office_figures("xa-an-binh", "Xã An Bình", report(engine))
    raw = export_bytes(figures, MARCH, datetime(2024, 4, 1, tzinfo=UTC), key)
    back = read_export(raw, {"xa-an-binh": key}).figures
    assert (back.counts, back.previous, back.fields, back.in_hours, back.source) == (
        figures.counts, figures.previous, figures.fields, figures.in_hours, "file",
    )  # fmt: skip
