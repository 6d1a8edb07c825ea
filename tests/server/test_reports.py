"""The report files: XLSX read back cell by cell, CSV with its BOM, PDF as text and as pictures."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hailong.server.reporting.data import ReportSettings, build_report
from hailong.server.reporting.formats import render, write_report
from hailong.server.reporting.formats.fonts import find_fonts
from hailong.server.reporting.formats.frame import build_frame, recipient_lines
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from tests.server.report_world import build_world
from tests.support import BACKENDS, fresh_database

SCREENSHOTS = Path(__file__).parent / "screenshots"
SETTINGS = ReportSettings(
    time_zone="Asia/Ho_Chi_Minh",
    unit_name="Ủy ban nhân dân xã An Bình",
    parent_name="Ủy ban nhân dân huyện Tân Phú",
    place="An Bình",
    recipients=("Phòng Nội vụ huyện", "Thường trực Đảng ủy xã;", "Lưu: VT, VP-TK."),
    signer_name="Nguyễn Thị Hồng Nhung",
    min_sample=10,
)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils missing"
)


@pytest.fixture(scope="module", params=BACKENDS)
def data(request, tmp_path_factory):
    """March 2024 of report_world's office, issued on 05/03/2024."""
    folder = tmp_path_factory.mktemp("office")
    engine = db.open_database(fresh_database(request, request.param, folder))
    build_world(engine)
    with engine.connect() as conn:
        yield build_report(conn, parse_period("2024-03"), SETTINGS, date(2024, 3, 5))
    engine.dispose()


def test_frame_is_the_administrative_header(data):
    frame = build_frame(data)
    assert frame.unit == "ỦY BAN NHÂN DÂN XÃ AN BÌNH"
    assert frame.nation == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert frame.motto == "Độc lập - Tự do - Hạnh phúc"
    assert frame.place_date == "An Bình, ngày 05 tháng 03 năm 2024"
    assert frame.title == (
        "BÁO CÁO",
        "KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG CỦA TỔ CHỨC, CÔNG DÂN",
        "THÁNG 03/2024",
    )
    assert frame.range_line == "(Từ ngày 01/03/2024 đến ngày 31/03/2024)"
    assert frame.recipients == (
        "- Phòng Nội vụ huyện;",
        "- Thường trực Đảng ủy xã;",
        "- Lưu: VT, VP-TK.",
    )
    assert frame.signer == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert recipient_lines(("Lưu",)) == ("- Lưu.",)


def test_xlsx_table_a_cell_by_cell(data, tmp_path):
    book = load_workbook(write_report(data, "xlsx", tmp_path / "r.xlsx"))
    assert book.sheetnames == [
        "A. Theo lĩnh vực",
        "B. Theo cán bộ",
        "C. So với kỳ trước",
        "D. Nhận xét, kiến nghị",
    ]
    a = book["A. Theo lĩnh vực"]
    assert (a["A1"].value, a["A2"].value) == (
        "ỦY BAN NHÂN DÂN HUYỆN TÂN PHÚ",
        "ỦY BAN NHÂN DÂN XÃ AN BÌNH",
    )
    assert a["F1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert a["F3"].value == "An Bình, ngày 05 tháng 03 năm 2024"
    assert [a[f"A{r}"].value for r in range(5, 9)] == [
        "BÁO CÁO", "KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG CỦA TỔ CHỨC, CÔNG DÂN", "THÁNG 03/2024",
        "(Từ ngày 01/03/2024 đến ngày 31/03/2024)",
    ]  # fmt: skip
    assert a["A9"].value == "Kính gửi: Phòng Nội vụ huyện; Thường trực Đảng ủy xã."
    assert (a["G12"].value, a["G13"].value, a["H13"].value) == ("Rất hài lòng", "Số lượt", "Tỷ lệ")
    assert a.freeze_panes == "A14"
    # Row 16 is Hộ tịch: 20 dossiers, 16 ratings, 80% (not above 80%: marked), 1 more needed.
    row = [a.cell(16, c).value for c in range(1, 16)]
    assert row[:6] == [3, "Hộ tịch", 20, 16, pytest.approx(0.8), 1]
    assert row[6:] == pytest.approx([8, 0.5, 5, 0.3125, 2, 0.125, 1, 0.0625, 0.8125])
    assert a["E16"].number_format == "0.0%" and a["C16"].number_format == "#,##0"
    assert a["E16"].fill.fgColor.rgb.endswith("FFC7CE")  # below target
    assert a["E14"].fill.fgColor.rgb in (None, "00000000")  # Chứng thực, 90%: not marked
    assert [a.cell(17, c).value for c in (2, 3, 5)] == ["Khác", "—", "—"]  # no dossier count
    measured = [a.cell(19, c).value for c in range(2, 7)]
    assert measured[:3] == ["Các lĩnh vực có số hồ sơ (1/3 lĩnh vực đạt)", 38, 31]
    assert measured[3:] == [pytest.approx(31 / 38), 2]
    assert a["E19"].fill.fgColor.rgb.endswith("FFC7CE")  # the total is below target too
    assert [a.cell(20, c).value for c in (3, 4, 5)] == ["—", 1, "—"]  # no field: outside the ratio
    total = [a.cell(21, c).value for c in range(2, 16)]
    assert total[:4] == ["Tổng cộng", "—", 32, "—"]
    assert total[-1] == pytest.approx(0.84375) and a["B21"].font.b


def test_xlsx_tables_b_c_d(data, tmp_path):
    book = load_workbook(write_report(data, "xlsx", tmp_path / "r.xlsx"))
    b = book["B. Theo cán bộ"]
    assert b.freeze_panes == "A4"
    assert [b.cell(4, c).value for c in range(1, 6)] == [1, "cb-01", "Nguyễn Văn An", 22, 14]
    assert b["M4"].value == pytest.approx(20 / 22) and b["N4"].value == 1
    held = [b.cell(5, c).value for c in range(1, 15)]
    assert held == [2, "cb-02", "Trần Thị Bích", 5, 2, "—", 2, "—", 1, "—", 0, "—", "—", "—"]
    c = book["C. So với kỳ trước"]
    assert [c.cell(3, k).value for k in range(1, 5)] == ["Tổng số lượt đánh giá", 32, 8, 24]
    assert [c.cell(12, k).value for k in (1, 2, 3)] == ["Tỷ lệ hài lòng", 0.84375, 0.625]
    assert c["D12"].value == pytest.approx(21.875) and c["D12"].number_format == "+0.0;-0.0;0.0"
    screening = {c.cell(r, 1).value: c.cell(r, 2).value for r in range(17, 26)}
    assert screening["Lượt bấm ghi nhận"] == 37
    assert screening["Loại ra: bấm thử (chế độ kiểm tra)"] == 3
    assert screening["Loại ra: Trẻ em bấm nghịch"] == 1
    assert screening["Lượt đánh giá được tính"] == 32
    assert screening["Gắn cờ, vẫn tính: ngoài giờ làm việc"] == 3
    assert screening["Gắn cờ, vẫn tính: bấm dồn dập"] == 4
    d = book["D. Nhận xét, kiến nghị"]
    assert (d["A3"].value, d["A4"].value) == ("Tỷ lệ đánh giá lĩnh vực Hộ tịch còn thấp.",
                                              "Đề nghị bố trí thêm máy tại quầy 2.")  # fmt: skip
    column = [d.cell(r, 1).value for r in range(1, d.max_row + 1)]
    assert "Nơi nhận:" in column and "- Lưu: VT, VP-TK." in column


def test_csv_has_a_bom_and_one_long_table(data):
    raw = render(data, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == ["period", "table", "row_key", "row_name", "column", "value"]
    cell = {(r["table"], r["row_key"], r["column"]): r["value"] for r in rows}
    assert cell[("A", "ho-tich", "coverage_pct")] == "80.0"
    assert cell[("A", "ho-tich", "dossiers")] == "20"
    assert cell[("A", "khac", "dossiers")] == ""
    assert cell[("A", "total", "rate_pct")] == "84.4"  # 84.375 rounded half up, as printed
    assert cell[("B", "cb-02", "rate_pct")] == "" and cell[("B", "cb-02", "level_4")] == "2"
    assert cell[("C", "rate_pct", "change")] == "+21.9"
    assert cell[("C2", "filtered: test", "current")] == "3"
    assert cell[("D", "paragraph 2", "text")] == "Đề nghị bố trí thêm máy tại quầy 2."
    assert cell[("meta", "issued", "value")] == "2024-03-05"
    names = {r["row_name"] for r in rows if r["table"] == "B"}
    assert "Lê Hoàng Ánh" in names and all(unicodedata.is_normalized("NFC", n) for n in names)


def test_the_same_data_gives_the_same_bytes(data):
    for fmt in ("xlsx", "pdf", "csv"):
        assert render(data, fmt) == render(data, fmt), fmt
    # Nothing in the workbook carries the clock: every entry and the properties say 05/03 08:00.
    book = zipfile.ZipFile(io.BytesIO(render(data, "xlsx")))
    assert {info.date_time for info in book.infolist()} == {(2024, 3, 5, 8, 0, 0)}
    core = book.read("docProps/core.xml").decode()
    assert core.count("2024-03-05T08:00:00Z") == 2  # created and modified


@needs_poppler
def test_pdf_text_reads_back_in_vietnamese(data, tmp_path):
    pdf = write_report(data, "pdf", tmp_path / "r.pdf")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert unicodedata.is_normalized("NFC", text)
    for wanted in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                   "An Bình, ngày 05 tháng 03 năm 2024", "ỦY BAN NHÂN DÂN XÃ AN BÌNH", "BÁO CÁO",
                   "KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG CỦA TỔ CHỨC, CÔNG DÂN", "THÁNG 03/2024",
                   "(Từ ngày 01/03/2024 đến ngày 31/03/2024)", "Rất hài lòng", "Không hài lòng",
                   "Bình thường", "Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Ánh", "Hộ tịch",
                   "Chứng thực", "Đất đai", "84,4%", "Tỷ lệ đánh giá lĩnh vực Hộ tịch còn thấp.",
                   "Nơi nhận:", "- Phòng Nội vụ huyện;", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH",
                   "Nguyễn Thị Hồng Nhung"):  # fmt: skip
        assert wanted in text, wanted
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "yes" in fonts.split("\n")[2]  # the font is embedded (subset)


@needs_poppler
def test_pdf_pages_as_pictures(data):
    """Render every page to tests/server/screenshots/ (git-ignored) for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    pdf = SCREENSHOTS / "report_2024-03.pdf"
    pdf.write_bytes(render(data, "pdf"))
    for old in SCREENSHOTS.glob("report_2024-03-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", str(pdf), str(SCREENSHOTS / "report_2024-03")], check=True
    )
    pages = sorted(SCREENSHOTS.glob("report_2024-03-*.png"))
    assert len(pages) >= 2
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "A4" in info


def test_a_font_with_every_vietnamese_letter_is_found():
    fonts = find_fonts()
    assert set(fonts) == {"", "B", "I", "BI"} and all(p.exists() for p in fonts.values())
