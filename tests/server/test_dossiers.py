"""Dossier counts: CSV and XLSX import (all-or-nothing), entry by hand, sums for coverage."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select

from hailong.server.errors import InputError
from hailong.server.reference import catalogue as reference
from hailong.server.reference import dossiers
from hailong.server.reference.audit import recent
from hailong.server.reference.dossiers import ImportErrors
from hailong.server.storage.db import audit, dossier_counts, open_database


@pytest.fixture
def engine(database_url):
    """A fresh database with four fields, one of them inactive."""
    engine = open_database(database_url)
    with engine.begin() as conn:
        for code, name in (("ho-tich", "Hộ tịch"), ("chung-thuc", "Chứng thực"),
                           ("dat-dai", "Đất đai"), ("ldtbxh", "Lao động - Thương binh và Xã hội")):  # fmt: skip
            reference.add_field(conn, code, name, "setup")
        reference.set_field(conn, "ldtbxh", "setup", active=False)
    yield engine
    engine.dispose()


def write_csv(path, text: str, bom: bool = False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def counts(engine) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(
            select(dossier_counts.c.field, dossier_counts.c.month, dossier_counts.c.resolved)
        )
        return {(f, m): n for f, m, n in rows}


def tables(engine) -> tuple:
    with engine.connect() as conn:
        return conn.execute(select(dossier_counts)).all(), conn.execute(select(audit)).all()


def run_import(engine, path, actor="lan"):
    with engine.begin() as conn:
        return dossiers.import_file(conn, path, actor)


def test_english_csv(engine, tmp_path):
    path = write_csv(
        tmp_path / "d.csv", "field,month,resolved\nho-tich,2024-03,120\ndat-dai,2024-03,45\n"
    )
    result = run_import(engine, path)
    assert (result.rows, result.changed, result.unchanged) == (2, 2, 0)
    assert counts(engine) == {("ho-tich", "2024-03"): 120, ("dat-dai", "2024-03"): 45}


def test_vietnamese_headers_bom_semicolons_names_and_mm_yyyy(engine, tmp_path):
    text = (
        "STT;Lĩnh vực;Tháng;Số hồ sơ tiếp nhận;Số hồ sơ đã giải quyết\n"
        "1;Hộ tịch;03/2024;130;120\n"
        "2;CHUNG THUC;3/2024;20;1.234\n"
        "3;Lao động-Thương binh và Xã hội;04/2024;9;7\n"  # inactive fields still take history
        ";;;;\n"
        ";Tổng cộng;;159;1361\n"
    )
    run_import(engine, write_csv(tmp_path / "d.csv", text, bom=True))
    assert counts(engine) == {("ho-tich", "2024-03"): 120, ("chung-thuc", "2024-03"): 1234,
                              ("ldtbxh", "2024-04"): 7}  # fmt: skip


def test_short_vietnamese_header_and_decomposed_unicode(engine, tmp_path):
    decomposed = "Lĩnh vực".replace("ĩ", "i\u0303")  # NFD, as some Mac tools write
    text = f"{decomposed},THÁNG,Đã giải quyết\nĐất đai,2024-12,3\n"
    run_import(engine, write_csv(tmp_path / "d.csv", text))
    assert counts(engine) == {("dat-dai", "2024-12"): 3}


def test_xlsx_first_sheet_under_a_title_block(engine, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ"])
    sheet.append([])
    sheet.append(["Lĩnh vực", "Tháng", "Số hồ sơ đã giải quyết"])
    sheet.append(["Hộ tịch", "2024-01", 80])
    sheet.append(["dat-dai", datetime(2024, 2, 1), 12.0])  # Excel turned the month into a date
    book.create_sheet("ignored").append(["field", "month", "resolved"])
    book.save(tmp_path / "d.xlsx")
    result = run_import(engine, tmp_path / "d.xlsx")
    assert result.rows == 2
    assert counts(engine) == {("ho-tich", "2024-01"): 80, ("dat-dai", "2024-02"): 12}


def test_a_bad_file_lists_every_bad_line_and_changes_nothing(engine, tmp_path):
    run_import(
        engine, write_csv(tmp_path / "ok.csv", "field,month,resolved\nho-tich,2024-03,120\n")
    )
    before = tables(engine)
    text = (
        "field,month,resolved\n"
        "ho-tich,2024-03,999\n"  # good, and must not be written
        "ho-tich,2024-13,5\n"
        "van-hoa,2024-04,-3\n"
        "dat-dai,,12.5\n"
        "ho-tich,03/2024,7\n"
    )
    with pytest.raises(ImportErrors) as caught:
        run_import(engine, write_csv(tmp_path / "bad.csv", text))
    assert caught.value.lines("en") == [
        "line 3: month: '2024-13' is not a month between 2000-01 and 2099-12",
        "line 4: field: unknown field 'van-hoa' (codes and names are in `field list`)",
        "line 4: resolved: -3 is negative; a count of dossiers is 0 or more",
        "line 5: month: missing",
        "line 5: resolved: '12.5' is not a whole number of dossiers (e.g. 125)",
        "line 6: month: ho-tich 2024-03 is already on line 2",
    ]
    assert tables(engine) == before


def test_bad_xlsx_cells_are_named_by_row(engine, tmp_path):
    book = Workbook()
    book.active.append(["field", "month", "resolved"])
    book.active.append(["ho-tich", "2024-01", "nhiều"])
    book.active.append([None, "2024-01", 1])
    book.save(tmp_path / "d.xlsx")
    with pytest.raises(ImportErrors) as caught:
        run_import(engine, tmp_path / "d.xlsx")
    assert caught.value.lines("en") == [
        "line 2: resolved: 'nhiều' is not a whole number of dossiers (e.g. 125)",
        "line 3: field: missing",
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"field,month\nho-tich,2024-01\n", "line 1: header: missing column(s) resolved"),
        (b"a,b,c\n1,2,3\n", "line 1: header: no header row"),
        (b"field,month,resolved\n", "line 1: the file has no data rows"),
        ("field,month,resolved\nĐât,2024-01,3\n".encode("cp1258"), "line 2: the file is not UTF-8"),
        (b"field,Month,resolved,FIELD\n", "line 1: FIELD: the column appears twice"),
    ],
)
def test_unusable_files_are_refused(engine, tmp_path, content, problem):
    (tmp_path / "d.csv").write_bytes(content)
    with pytest.raises(ImportErrors) as caught:
        run_import(engine, tmp_path / "d.csv")
    assert caught.value.lines("en")[0].startswith(problem)


def test_other_files_are_refused(engine, tmp_path):
    (tmp_path / "d.xls").write_bytes(b"\xd0\xcf")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="expected a .csv or .xlsx"):
        run_import(engine, tmp_path / "d.xls")
    with pytest.raises(ImportErrors, match="not a readable XLSX"):
        run_import(engine, tmp_path / "broken.xlsx")
    with pytest.raises(InputError, match="cannot read"):
        run_import(engine, tmp_path / "missing.csv")


def test_reimport_changes_and_audits_only_what_differs(engine, tmp_path):
    first = "field,month,resolved\nho-tich,2024-03,120\ndat-dai,2024-03,45\nho-tich,2024-04,60\n"
    run_import(engine, write_csv(tmp_path / "d.csv", first), actor="lan")
    second = first.replace("45", "50")
    result = run_import(engine, write_csv(tmp_path / "d.csv", second), actor="minh")
    assert (result.changed, result.unchanged) == (1, 2)
    with engine.connect() as conn:
        latest = [e for e in recent(conn, 100) if e.actor == "minh"]
    file_entry, change = latest
    assert (change.action, change.entity, change.key) == (
        "import",
        "dossier_count",
        "dat-dai/2024-03",
    )
    assert change.before == {"field": "dat-dai", "month": "2024-03", "resolved": 45}
    assert change.after == {"field": "dat-dai", "month": "2024-03", "resolved": 50}
    assert (file_entry.entity, file_entry.key, file_entry.after) == (
        "dossier_file", "d.csv", {"rows": 3, "changed": 1, "unchanged": 2})  # fmt: skip


def test_set_count_creates_updates_and_audits(engine):
    with engine.begin() as conn:
        assert dossiers.set_count(conn, "Hộ tịch", "03/2024", "10", "lan")
        assert dossiers.set_count(conn, "ho-tich", "2024-03", 0, "lan")
        assert not dossiers.set_count(conn, "ho-tich", "2024-03", 0, "lan")
        entries = [e for e in reversed(recent(conn, 10)) if e.actor == "lan"]
    assert [
        (e.action, e.before and e.before["resolved"], e.after["resolved"]) for e in entries
    ] == [
        ("create", None, 10),
        ("update", 10, 0),
    ]


def test_set_count_names_every_bad_argument(engine):
    with engine.begin() as conn, pytest.raises(InputError) as caught:
        dossiers.set_count(conn, "xyz", "2024/03", "-1", "lan")
    message = str(caught.value)  # the command line's English
    assert message.startswith("Field: unknown field 'xyz'")
    assert "; Month: '2024/03' is not a month" in message
    assert "; Resolved dossiers: -1 is negative" in message
    assert caught.value.say("vi").startswith(
        "Lĩnh vực: Không có lĩnh vực “xyz” (mã và tên có trong danh sách lĩnh vực); "
        "Tháng: “2024/03” không phải tháng"
    )


def test_counts_for_sums_the_months_in_range(engine):
    with engine.begin() as conn:
        for month, n in (("2023-12", 1), ("2024-01", 10), ("2024-02", 20), ("2024-03", 40)):
            dossiers.set_count(conn, "ho-tich", month, n, "lan")
        dossiers.set_count(conn, "dat-dai", "2024-02", 5, "lan")
        assert dossiers.counts_for(conn, "2024-01", "2024-02") == {"dat-dai": 5, "ho-tich": 30}
        assert dossiers.counts_for(conn, "2024-03", "2024-12") == {"ho-tich": 40}
        with pytest.raises(InputError):
            dossiers.counts_for(conn, "2024", "2024-12")


def test_a_name_shared_by_two_active_fields_is_ambiguous(engine, tmp_path):
    with engine.begin() as conn:
        reference.add_field(conn, "ho-tich-2", "Hộ tịch", "setup")
    path = write_csv(
        tmp_path / "d.csv", "field,month,resolved\nHo tich,2024-01,1\nho-tich,2024-01,2\n"
    )
    with pytest.raises(ImportErrors) as caught:
        run_import(engine, path)
    assert caught.value.lines("en") == [
        "line 2: field: 'Ho tich' matches several fields (ho-tich, ho-tich-2); use the code"
    ]


@pytest.mark.parametrize(
    ("text", "count"),
    [("0", 0), ("125", 125), ("1.234", 1234), ("1,234,567", 1234567), (" 42 ", 42), (7.0, 7)],
)
def test_resolved_numbers(text, count):
    assert dossiers.parse_resolved(text, pytest.fail) == count


@pytest.mark.parametrize("text", ["", "1.23", "12.5", "1,2345", "abc", "-1", True, 2.5])
def test_bad_resolved_numbers(text):
    problems = []
    assert dossiers.parse_resolved(text, problems.append) is None
    assert len(problems) == 1


@given(st.integers(2000, 2099), st.integers(1, 12))
def test_both_month_forms_read_the_same(year, month):
    iso = dossiers.parse_month(f"{year}-{month:02d}", pytest.fail)
    assert iso == dossiers.parse_month(f"{month}/{year}", pytest.fail) == f"{year}-{month:02d}"


def test_fold_ignores_case_diacritics_and_punctuation():
    assert dossiers.fold("Lao động - Thương binh và Xã hội") == "lao dong thuong binh va xa hoi"
    assert dossiers.fold("ĐẤT  ĐAI") == dossiers.fold("dat dai")


def test_the_documented_examples_import(engine, tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "dossier-import.md").read_text()
    examples = re.findall(r"```csv\n(.*?)```", doc, re.S)
    assert len(examples) == 2
    for number, text in enumerate(examples):
        result = run_import(engine, write_csv(tmp_path / f"example{number}.csv", text))
        assert result.rows == 3
    assert counts(engine)[("dat-dai", "2024-03")] == 1234
