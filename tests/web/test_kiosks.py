"""Kiosks page: staff mark a kiosk's test presses by time, seeing them (with their seq) first."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from hailong.server.storage.db import corrections
from tests.web.conftest import login, screenshot


def _marked(served) -> list[tuple[str, int, str]]:
    """Return the corrections made through the page (report_world has its own, by vp-thongke)."""
    with served.engine.connect() as conn:
        query = select(corrections.c.device, corrections.c.seq, corrections.c.actor)
        query = query.where(corrections.c.actor == "thongke").order_by(corrections.c.seq)
        return [tuple(row) for row in conn.execute(query)]


def test_mark_test_presses_by_time_range_after_seeing_them(page, served):
    """k1 pressed at 08:00, 08:10 and 08:20 on Monday 04/03/2024 (report_world's series B)."""
    login(page, served, "thongke")
    page.goto(served.path("/summary?period=2024-03"))
    expect(page.locator("#total")).to_have_text("32")
    page.goto(served.path("/admin/kiosks"))
    page.locator("#m-device").select_option("k1")
    page.get_by_label("Từ (dd/mm/yyyy HH:MM)").fill("04/03/2024 08:00")
    page.get_by_label("Đến trước (dd/mm/yyyy HH:MM)").fill("04/03/2024 08:25")
    page.locator("#m-reason").fill("Kỹ thuật viên bấm thử khi lắp đặt")
    page.get_by_role("button", name="Xem các lượt").click()
    preview = page.locator("#range-preview")
    expect(preview.locator("caption")).to_have_text("3 lượt của k1 trong khoảng đã chọn")
    expect(preview.locator("tbody tr")).to_have_count(3)
    expect(preview.locator("tbody tr").first).to_contain_text("04/03/2024 08:00")
    assert _marked(served) == []  # seeing is not marking
    screenshot(page, "kiosks-mark-by-time")
    page.get_by_role("button", name="Xác nhận đánh dấu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã đánh dấu 3 lượt của k1")
    marked = _marked(served)
    assert (
        len(marked) == 3
        and {m[0] for m in marked} == {"k1"}
        and {m[2] for m in marked} == {"thongke"}
    )
    page.goto(served.path("/summary?period=2024-03"))
    expect(page.locator("#total")).to_have_text("29")


def test_an_overlapping_range_is_explained_not_just_refused(page, served):
    login(page, served, "thongke")
    page.goto(served.path("/admin/kiosks"))
    seq_form = page.locator("form", has=page.locator("#t-seqs"))
    seq_form.get_by_label("Mã kiosk").fill("k1")
    page.locator("#t-seqs").fill("10")
    page.locator("#t-reason").fill("thử")
    seq_form.get_by_role("button", name="Đánh dấu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã đánh dấu 1 lượt")
    page.locator("#m-device").select_option("k1")
    page.get_by_label("Từ (dd/mm/yyyy HH:MM)").fill("04/03/2024 08:00")
    page.get_by_label("Đến trước (dd/mm/yyyy HH:MM)").fill("04/03/2024 08:25")
    page.locator("#m-reason").fill("lắp đặt")
    page.get_by_role("button", name="Xem các lượt").click()
    rows = page.locator("#range-preview tbody tr")
    expect(rows.first).to_contain_text("Đã đánh dấu từ trước (thongke: thử)")
    expect(rows.nth(1)).to_contain_text("Sẽ được đánh dấu")
    page.get_by_role("button", name="Xác nhận đánh dấu").click()
    expect(page.get_by_role("status")).to_contain_text("(1 lượt đã được đánh dấu từ trước)")
    assert len(_marked(served)) == 3


def test_a_range_that_cannot_be_read_says_why(page, served):
    login(page, served, "thongke")
    page.goto(
        served.path("/admin/kiosks/test/preview?device=k1&start=32/13/2024+08:00&end=x&reason=r")
    )
    expect(page.get_by_role("alert").first).to_contain_text("Không đọc được thời gian")
    assert _marked(served) == []
