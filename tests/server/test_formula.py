"""Formula injection: hostile names become text in every XLSX and CSV cell (issue 13, finding 1)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from hailong.server.reporting.data import ReportSettings, build_report
from hailong.server.reporting.formats import render
from hailong.server.reporting.formats.formula import neutralise
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from tests.server.report_world import build_world
from tests.support import fresh_database

HOSTILE = ['=HYPERLINK("http://evil.example/x","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|'/c calc'!A0"]  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """March 2024 of report_world, with hostile field, official and unit names."""
    folder = tmp_path_factory.mktemp("hostile")
    engine = db.open_database(fresh_database(None, "sqlite", folder))
    build_world(engine)
    settings = ReportSettings(
        time_zone="Asia/Ho_Chi_Minh", unit_name=HOSTILE[0], place="@x", signer_name=HOSTILE[1]
    )
    with engine.connect() as conn:
        data = build_report(conn, parse_period("2024-03"), settings, date(2024, 3, 5))
    engine.dispose()
    names = iter(HOSTILE * 4)
    fields = tuple(replace(row, name=next(names)) for row in data.fields)
    officials = tuple(replace(row, name=next(names), code=next(names)) for row in data.officials)
    return replace(data, fields=fields, officials=officials)


@pytest.mark.parametrize(
    ("text", "shown"),
    [("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@x", "'@x"), ("\tx", "'\tx"),
     ("-3.5", "-3.5"), ("+2.0", "+2.0"), ("82.4", "82.4"), ("Hộ tịch", "Hộ tịch"), ("", "")],
)  # fmt: skip
def test_neutralise_quotes_would_be_formulas_and_keeps_numbers(text, shown):
    assert neutralise(text) == shown


def test_xlsx_holds_no_formula_and_keeps_the_text(hostile):
    book = load_workbook(BytesIO(render(hostile, "xlsx")))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for name in HOSTILE:
        assert name in texts  # shown as typed, as text


def test_csv_neutralises_every_hostile_value(hostile):
    text = render(hostile, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    values = [v for row in rows for v in row]
    assert any(v == "'" + HOSTILE[0] for v in values)
    risky = [v for v in values if v[:1] in "=+-@\t\r" and neutralise(v) != v]
    assert risky == []
    # the numbers of the report are still plain numbers
    assert any(v.replace(".", "").isdigit() for v in values)
