"""The coverage total measures only fields with dossier counts, in every report format."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from hailong.server.reporting.coverage import coverage_total, missing_months
from hailong.server.reporting.data import build_report
from hailong.server.reporting.formats import render, write_report
from hailong.server.reporting.metrics import coverage_by_field
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from tests.server.coverage_world import EXPECTED, PERIOD, build_coverage_world
from tests.server.test_reports import SETTINGS
from tests.support import BACKENDS, fresh_database


@pytest.fixture(scope="module", params=BACKENDS)
def data(request, tmp_path_factory):
    """The issue's example: three fields all short, plus ratings outside the ratio."""
    folder = tmp_path_factory.mktemp("coverage")
    engine = db.open_database(fresh_database(request, request.param, folder))
    build_coverage_world(engine)
    with engine.connect() as conn:
        yield build_report(conn, parse_period(PERIOD), SETTINGS, date(2025, 3, 28))
    engine.dispose()


def test_total_is_met_only_when_every_measured_field_is():
    # 85 ratings for 100 dossiers is above 80% overall, but field b (30 of 40) is short by 3.
    rows = coverage_by_field({"a": 55, "b": 30, "c": 5}, {"a": 60, "b": 40})
    total = coverage_total(rows)
    assert (total.fields, total.met, total.meets_target, total.needed) == (2, 1, False, 3)
    assert (total.percent, total.outside) == (85.0, 5)
    rows = coverage_by_field({"a": 49, "b": 33, "none": 500}, {"a": 60, "b": 40})
    total = coverage_total(rows)
    assert (total.met_text, total.meets_target, total.ratings, total.outside) == (
        "2/2 lĩnh vực đạt", True, 82, 500)  # fmt: skip


def test_nothing_to_measure_is_neither_met_nor_short():
    total = coverage_total(coverage_by_field({"a": 10}, {"b": 0}))
    assert (total.fields, total.ratio, total.meets_target, total.needed, total.outside) == (
        0, None, None, None, 10)  # fmt: skip


def test_missing_months_are_named_for_measured_fields():
    months = ("2025-01", "2025-02", "2025-03")
    assert missing_months(months, {"a": ["2025-01", "2025-02"], "b": ["2025-01"]}) == (
        "2025-02", "2025-03")  # fmt: skip
    assert missing_months(months, {}) == months
    assert missing_months(months, {"a": months}) == ()


def test_report_data_of_the_issues_example(data):
    total = data.field_total
    assert (total.fields, total.met, total.meets_target) == (3, 0, False)
    assert (total.ratings, total.dossiers, total.needed) == (270, 400, 53)
    assert total.percent == pytest.approx(EXPECTED["percent"])
    assert total.outside == EXPECTED["outside"] and total.missing_months == EXPECTED["missing"]
    shortfalls = [row.coverage.needed for row in data.fields if row.coverage.dossiers]
    assert sum(shortfalls) == total.needed == 53
    assert data.totals.total == 450  # every rating still counted in the satisfaction figures


def test_xlsx_total_rows(data, tmp_path):
    sheet = load_workbook(write_report(data, "xlsx", tmp_path / "r.xlsx"))["A. Theo lĩnh vực"]
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r[1]}
    measured = rows["Các lĩnh vực có số hồ sơ (0/3 lĩnh vực đạt)"]
    assert measured[2:6] == (400, 270, pytest.approx(0.675), 53)
    outside = rows["Lượt không tính vào tỷ lệ (không ghi lĩnh vực, lĩnh vực chưa nhập số hồ sơ)"]
    assert outside[3] == 180
    assert rows["Tổng cộng"][3] == 450 and rows["Tổng cộng"][4] == "—"
    notes = [r[0] for r in sheet.iter_rows(values_only=True) if r[0]]
    assert "Chưa nhập số hồ sơ: 02/2025, 03/2025 (không tính là 0)." in notes


def test_csv_total_rows(data):
    text = render(data, "csv").decode("utf-8-sig")
    cell = {
        (r["table"], r["row_key"], r["column"]): r["value"]
        for r in csv.DictReader(io.StringIO(text))
    }
    assert cell[("A", "coverage", "coverage_pct")] == "67.5"
    assert cell[("A", "coverage", "needed")] == "53" and cell[("A", "coverage", "ratings")] == "270"
    assert cell[("A", "outside coverage", "ratings")] == "180"
    assert cell[("A", "total", "coverage_pct")] == "" and cell[("A", "total", "ratings")] == "450"
    names = {r["row_name"] for r in csv.DictReader(io.StringIO(text)) if r["row_key"] == "coverage"}
    assert names == {"Các lĩnh vực có số hồ sơ (0/3 lĩnh vực đạt)"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_pdf_text(data, tmp_path):
    path = write_report(data, "pdf", tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    flat = " ".join(text.split())
    assert "0/3 lĩnh vực đạt" in flat and "còn thiếu 53 lượt" in flat
    assert "67,5%" in flat and "112,5%" not in flat
    assert "Chưa nhập số hồ sơ: 02/2025, 03/2025" in flat
