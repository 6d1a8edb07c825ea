"""The report upward in XLSX, PDF and CSV: the NĐ 30/2020 frame from [province], tables 1–4.

The figures are read back from the files (openpyxl, pdftotext, csv) and compared with numbers
worked out here from the offices' presses.
"""

from __future__ import annotations

import csv
import io
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date

import pytest
from openpyxl import load_workbook

from hailong.server.errors import ConfigError
from hailong.server.reporting.formats.province_docs import render_province
from hailong.server.reporting.province import consolidate
from hailong.server.reporting.settings import ProvinceFrame
from tests.server.test_province import PERIOD, SETTINGS, office, ratings

FRAME = ProvinceFrame(
    unit_name="Sở Nội vụ", parent_name="UBND tỉnh An Giang", place="An Giang",
    number="/BC-SNV", recipients=("Ủy ban nhân dân tỉnh", "Lưu: VT, CCVC."),
    signer_authority="KT. GIÁM ĐỐC", signer_title="PHÓ GIÁM ĐỐC", signer_name="Trần Văn Tâm",
)  # fmt: skip
# Xã A: 95 of 100 satisfied, Hộ tịch 100 ratings for 110 dossiers (90,9 %: met).
# Xã B: 20 of 50 satisfied, Hộ tịch 50 ratings for 100 dossiers (50 %: below), silent in hours.
# Xã C: 4 ratings, too few to rank. Province Hộ tịch: 150 of 210 = 71,4 %, 1/2 offices met.
A = ratings("ho-tich", (4, 90), (3, 5), (1, 5))
B = ratings("ho-tich", (4, 10), (3, 10), (2, 30))
C = ratings("chung-thuc", (4, 4))


@pytest.fixture(scope="module")
def report():
    offices = [
        office("xa-a", A, {"ho-tich": 110}, previous=[4] * 30 + [1] * 10),
        office("xa-b", B, {"ho-tich": 100}, in_hours=0),
        office("xa-c", C),
    ]
    return consolidate(PERIOD, offices, replace(SETTINGS, province=FRAME), date(2024, 3, 28))


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    return unicodedata.normalize("NFC", done.stdout)


def csv_rows(data: bytes) -> dict[tuple[str, str, str], str]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    found = list(csv.DictReader(io.StringIO(text[1:])))
    return {(r["table"], r["row_key"], r["column"]): r["value"] for r in found}


def test_pdf_has_the_province_frame_recipients_signer_and_the_figures(report, tmp_path):
    text = pdf_text(render_province(report, "pdf"), tmp_path)
    for line in ("UBND TỈNH AN GIANG", "SỞ NỘI VỤ", "/BC-SNV",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "An Giang, ngày 28 tháng 03 năm 2024", "BÁO CÁO", "THÁNG 03/2024",
                 "(Từ ngày 01/03/2024 đến ngày 31/03/2024)", "Kính gửi: Ủy ban nhân dân tỉnh.",
                 "Nơi nhận:", "- Ủy ban nhân dân tỉnh;", "- Lưu: VT, CCVC.", "KT. GIÁM ĐỐC",
                 "PHÓ GIÁM ĐỐC", "Trần Văn Tâm"):  # fmt: skip
        assert line in text, line
    assert "huyện" not in text.casefold()
    flat = " ".join(text.split())
    # Province: 95 + 20 + 4 = 119 of 154 satisfied = 77,3 %; before, 30 of 40 = 75,0 %.
    assert "Tổng hợp 3 đơn vị, 2 đơn vị đủ mẫu để xếp hạng; 154 lượt đánh giá" in flat
    assert "tỷ lệ hài lòng toàn tỉnh 77,3% (kỳ trước 75,0%)" in flat
    assert "chưa đạt chỉ tiêu đánh giá trên hồ sơ (0/1 lĩnh vực đạt, còn thiếu 31" in flat
    assert "không có lượt đánh giá nào trong giờ làm việc" in flat
    assert "71,4%" in flat and "90,9%" in flat and "50,0%" in flat


def test_xlsx_reads_back_the_offices_ranked_and_the_province_row(report):
    book = load_workbook(io.BytesIO(render_province(report, "xlsx")))
    assert book.sheetnames == ["1. Theo đơn vị", "2. Theo lĩnh vực và đơn vị", "3. Theo lĩnh vực",
                               "4. Cần lưu ý"]  # fmt: skip
    first = book["1. Theo đơn vị"]
    values = [[c.value for c in row] for row in first.iter_rows()]
    assert (first["A1"].value, first["A2"].value) == ("UBND TỈNH AN GIANG", "SỞ NỘI VỤ")
    table = {row[1]: row for row in values if row[1] in ("xa-a", "xa-b", "xa-c")}
    heads = next(row for row in values if row[0] == "TT")
    rank, rate = heads.index("Xếp hạng"), heads.index("Tỷ lệ hài lòng")
    assert table["xa-a"][3] == 100 and table["xa-a"][rank] == 1 and table["xa-b"][rank] == 2
    assert table["xa-c"][rank] == "—" and table["xa-c"][rate] == "—"  # listed, not ranked
    assert table["xa-a"][rate] == pytest.approx(0.95)  # Excel keeps 95 % as 0.95
    province = next(row for row in values if row[2] == "Toàn tỉnh")
    assert province[3] == 154 and province[rate] == pytest.approx(119 / 154)
    coverage = book["2. Theo lĩnh vực và đơn vị"]
    marked = {c.value for row in coverage.iter_rows() for c in row
              if c.fill.fgColor.rgb and c.fill.fgColor.rgb.endswith("FFC7CE")}  # fmt: skip
    assert marked == {0.5, 150 / 210}  # Xã B's Hộ tịch and the province's, below 80 %
    signer = [c.value for row in book["4. Cần lưu ý"].iter_rows() for c in row if c.value]
    assert "Nơi nhận:" in signer and "PHÓ GIÁM ĐỐC" in signer and "Trần Văn Tâm" in signer


def test_csv_parses_to_the_figures_worked_out_from_the_presses(report):
    rows = csv_rows(render_province(report, "csv"))
    assert rows[("meta", "unit", "value")] == "Sở Nội vụ"
    assert rows[("P1", "xa-a", "rate_pct")] == "95.0"
    assert rows[("P1", "xa-b", "rate_pct")] == "40.0"  # 20 of 50
    assert rows[("P1", "xa-c", "rate_pct")] == "" and rows[("P1", "xa-c", "rank")] == ""
    assert rows[("P1", "province", "ratings")] == "154"
    assert rows[("P1", "province", "rate_pct")] == "77.3"
    assert rows[("P1", "xa-a", "previous_rate_pct")] == "75.0"
    assert rows[("P1", "xa-a", "change_points")] == "+20.0"
    assert rows[("P2", "xa-a", "field:ho-tich")] == "90.9"
    assert rows[("P2", "xa-b", "fields_met")] == "0/1"
    assert rows[("P2", "province", "field:ho-tich")] == "71.4"
    assert rows[("P3", "ho-tich", "dossiers")] == "210"
    assert rows[("P3", "ho-tich", "offices_met")] == "1/2"
    assert rows[("P3", "chung-thuc", "dossiers")] == ""  # no count entered anywhere
    assert {key for (table, key, _c) in rows if table == "P4"} == {"xa-b", "xa-c"}


def test_english_tables_keep_the_numbers_and_the_frame(report, tmp_path):
    text = " ".join(pdf_text(render_province(report, "pdf", "en"), tmp_path).split())
    assert "Table 1. Results by office" not in text  # sections print the title after the number
    assert "RESULTS BY OFFICE" in text and "Fields met" in text and "Needs attention" in text
    assert "the province's satisfaction rate 77.3% (previous period 75.0%)" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Recipients:" in text
    assert csv_rows(render_province(report, "csv", "en"))[("P1", "province", "rate_pct")] == "77.3"


def test_the_same_report_gives_the_same_bytes(report):
    for fmt in ("xlsx", "pdf", "csv"):
        assert render_province(report, fmt) == render_province(report, fmt)


def test_a_report_upward_without_its_sender_is_refused_naming_the_province_keys(report):
    bare = replace(report, settings=SETTINGS)  # no [province] table: no unit, no place
    with pytest.raises(ConfigError, match=r"\[province\] unit_name.*\[province\] place"):
        render_province(bare, "pdf")


def test_default_recipients_and_signer_name_no_district():
    frame = ProvinceFrame()
    assert not any("huyện" in text.casefold() for text in
                   (*frame.recipients, frame.signer_title, frame.signer_authority, frame.number))  # fmt: skip


def test_a_province_with_no_dossier_count_measures_nothing_and_says_so():
    offices = [office("xa-a", A), office("xa-b", B)]
    report = consolidate(PERIOD, offices, replace(SETTINGS, province=FRAME), date(2024, 3, 28))
    text = render_province(report, "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    total = {
        r["column"]: r["value"] for r in rows if (r["table"], r["row_key"]) == ("P3", "province")
    }
    assert total["dossiers"] == "" and total["coverage_pct"] == "" and total["ratings"] == "150"
    assert {r["row_name"] for r in rows if (r["table"], r["row_key"]) == ("P3", "province")} == {
        "Toàn tỉnh"
    }
    flagged = {r["row_key"]: r["value"] for r in rows if r["table"] == "P4"}
    assert all("chưa nhập số hồ sơ đã giải quyết" in reason for reason in flagged.values())
    assert set(flagged) == {"xa-a", "xa-b"}
