"""The report body is complete: its office named, its addressees, the signer's room and the page's colours."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest

from hailong.server.errors import ConfigError
from hailong.server.reporting.data import build_report
from hailong.server.reporting.formats import FORMATS, render
from hailong.server.reporting.formats.pdf import BAR_COLOURS
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from hailong.server.web.svg import LEVEL_COLOURS
from tests.server.report_world import build_world
from tests.server.test_reports import SCREENSHOTS, SETTINGS


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """March 2024 of report_world's office, issued on 05/04/2024."""
    folder = tmp_path_factory.mktemp("office")
    engine = db.open_database(f"sqlite:///{folder / 'collector.db'}")
    build_world(engine)
    with engine.connect() as conn:
        yield build_report(conn, parse_period("2024-03"), SETTINGS, date(2024, 4, 5))
    engine.dispose()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"unit_name": ""}, ["unit_name"]),
        ({"unit_name": "Ủy ban nhân dân xã"}, ["unit_name"]),
        ({"place": "  "}, ["place"]),
        ({"unit_name": "", "place": ""}, ["unit_name", "place"]),
    ],
)
def test_a_report_without_its_office_is_refused_naming_every_missing_setting(
    data, fmt, changes, named
):
    bare = replace(data, settings=replace(SETTINGS, **changes))
    with pytest.raises(ConfigError) as refused:
        render(bare, fmt)
    message = refused.value.say("vi")  # the page's words; the command line's are English
    assert all(f"{key} =" in message for key in named), message
    assert "Báo cáo chưa thể in" in message
    assert str(refused.value).startswith("The report cannot be printed yet:")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_the_pdf_names_its_addressees_and_leaves_room_to_sign_and_seal(data, tmp_path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render(data, "pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True, text=True).stdout  # fmt: skip
    assert "Kính gửi: Phòng Nội vụ huyện; Thường trực Đảng ủy xã." in text
    assert "ỦY BAN NHÂN DÂN XÃ AN BÌNH" in text and "An Bình, ngày 05 tháng 04 năm 2024" in text
    assert "……" not in text
    for heading in ("I. KẾT QUẢ CHUNG", "II. ", "III. ", "IV. ", "V. NHẬN XÉT, KIẾN NGHỊ"):
        assert heading in text
    lines = text.splitlines()
    title = next(i for i, line in enumerate(lines) if line.strip().endswith("CHỦ TỊCH"))
    name = next(i for i, line in enumerate(lines) if "Nguyễn Thị Hồng Nhung" in line)
    assert name - title >= 6, "room for the signature and the seal between title and name"
    SCREENSHOTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(SCREENSHOTS / "report_body")],
                   check=True)  # fmt: skip


def test_the_pdf_s_level_colours_are_the_page_s():
    for level, colour in LEVEL_COLOURS.items():
        assert "#" + bytes(BAR_COLOURS[level]).hex() == colour
