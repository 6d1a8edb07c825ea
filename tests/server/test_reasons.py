"""Reasons for low ratings (table R): counted as every figure is, in the data and in every format."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from hailong.server.reporting.data import build_report
from hailong.server.reporting.formats import render
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from tests.server.reasons_world import FIELDS, LABELS, OFFICIALS, TOTAL, add_reasons
from tests.server.report_world import build_world
from tests.server.test_reports import SETTINGS, needs_poppler
from tests.support import BACKENDS, fresh_database


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request, tmp_path_factory):
    """report_world's office with reasons_world's answers."""
    folder = tmp_path_factory.mktemp("reasons")
    engine = db.open_database(fresh_database(request, request.param, folder))
    build_world(engine)
    add_reasons(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def data(engine):
    """The March 2024 report."""
    with engine.connect() as conn:
        return build_report(conn, parse_period("2024-03"), SETTINGS, date(2024, 4, 5))


def _rows(rows) -> tuple:
    return tuple((r.name, r.total, r.counts, r.no_answer) for r in rows)


def test_reasons_are_counted_per_field_and_official_as_every_figure(data):
    found = data.reasons
    assert found.labels == LABELS
    assert _rows(found.fields) == FIELDS
    # k8 names cb-01 but the roster has cb-02 at its counter: counted for cb-02.
    assert _rows(found.officials) == OFFICIALS
    assert _rows([found.total]) == (TOTAL,)
    # The low ratings are exactly those of table B's two lowest levels.
    low = sum(r.result.stats.counts[1] + r.result.stats.counts[2] for r in data.officials)
    assert found.total.total == low


def test_no_table_while_no_kiosk_asks_and_nobody_answered(tmp_path):
    engine = db.open_database(f"sqlite:///{tmp_path / 'plain.db'}")
    build_world(engine)
    with engine.connect() as conn:
        plain = build_report(conn, parse_period("2024-03"), SETTINGS, date(2024, 4, 5))
    engine.dispose()
    assert plain.reasons is None
    assert "R1" not in render(plain, "csv").decode("utf-8-sig")


def _expected_cells(rows) -> list[list]:
    return [[name, total, *counts, no_answer] for name, total, counts, no_answer in rows]


def test_xlsx_has_the_reasons_sheet(data):
    book = load_workbook(io.BytesIO(render(data, "xlsx")))
    sheet = book["R. Lý do chưa hài lòng"]
    values = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert any(row[:1] == ["Bảng R1. Lý do chưa hài lòng theo lĩnh vực"] for row in values)
    headings = [cell for row in values for cell in row if isinstance(cell, str)]
    assert all(f"{n}. {label}" in headings for n, label in enumerate(LABELS, 1))
    body = [row[1:] if isinstance(row[0], int) else row for row in values if row]
    names = {r[0] for r in FIELDS + OFFICIALS + (TOTAL,)}
    expected = _expected_cells(FIELDS + (TOTAL,) + OFFICIALS + (TOTAL,))
    assert [row for row in body if row[0] in names] == expected


def test_csv_keys_reasons_by_number(data):
    rows = list(csv.reader(io.StringIO(render(data, "csv").decode("utf-8-sig"))))
    table = {(r[1], r[2], r[4]): r[5] for r in rows[1:] if r[1] in ("R1", "R2")}
    assert table[("R1", "ho-tich", "reason_1")] == "2"
    assert table[("R1", "dat-dai", "reason_2")] == "2"
    assert table[("R1", "ho-tich", "no_answer")] == "4"
    assert table[("R2", "cb-02", "reason_4")] == "1"
    assert table[("R2", "cb-03", "ratings")] == "2"
    assert table[("R2", "total", "ratings")] == "13"
    assert {key for (t, key, _c) in table if t == "R2"} == {"cb-01", "cb-02", "cb-03", "total"}


@needs_poppler
def test_pdf_text_shows_the_reasons(data, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(render(data, "pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "Bảng R1. Lý do chưa hài lòng theo lĩnh vực" in text
    assert "Bảng R2. Lý do chưa hài lòng theo cán bộ" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert any("3 Trần Thị Bích 5 0 2 0 1 2" in line for line in lines)
    assert any("Tổng cộng 13 2 2 1 1 7" in line for line in lines)
