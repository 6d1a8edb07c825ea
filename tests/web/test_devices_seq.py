"""The devices page never shows a last seq below the acknowledged one, and names its fault column as the guides do."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import update

from hailong.server.storage import db
from tests.web.conftest import login

GUIDES = Path(__file__).parents[2] / "docs" / "guides"


def test_a_health_report_older_than_the_ack_shows_the_acked_seq_and_says_so(page, serve):
    served = serve()  # k1 from tests/web/conftest.py add_fleet
    with served.engine.begin() as conn:
        conn.execute(update(db.devices).where(db.devices.c.device == "k1").values(
            acked_upto=122, health=json.dumps({"last_seq": 121, "synced": True})))  # fmt: skip
    login(page, served)
    page.goto(served.path("/devices"))
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="k1"))
    expect(row).to_contain_text("122 / 122")
    expect(row).to_contain_text("báo cáo tình trạng cũ (số cuối 121)")
    expect(row).not_to_contain_text("121 / 122")
    expect(row).not_to_contain_text("thiếu")


def test_a_fresh_health_report_shows_its_seq_and_what_is_missing(page, serve):
    served = serve()
    with served.engine.begin() as conn:
        conn.execute(update(db.devices).where(db.devices.c.device == "k1").values(
            acked_upto=120, health=json.dumps({"last_seq": 123, "synced": True})))  # fmt: skip
    login(page, served)
    page.goto(served.path("/devices"))
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="k1"))
    expect(row).to_contain_text("123 / 120")
    expect(row).to_contain_text("thiếu 3")
    expect(row).not_to_contain_text("báo cáo tình trạng cũ")


def test_the_guides_name_the_fault_column_as_the_page_does(page, serve):
    served = serve()
    login(page, served)
    page.goto(served.path("/devices"))
    header = page.get_by_role("columnheader").nth(7).inner_text().strip()
    assert header == "Báo lỗi"
    for guide in ("staff.vi.md", "staff.en.md", "technician.vi.md", "technician.en.md"):
        text = (GUIDES / guide).read_text()
        assert f"**{header}**" in text or f"| {header} |" in text, guide
        assert "| Lỗi |" not in text, guide
