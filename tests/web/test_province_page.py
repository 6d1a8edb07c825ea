"""The province page in Chromium: the communes side by side, sorted, flagged in words, downloaded.

The served office, made the province, keeps its own kiosks and their presses (tests/server/
report_world.py): they are the province's own row, beside the communes.

Xã A: 40 ratings in March 2024 in office hours, 30 satisfied (75 %), 100 dossiers resolved in
Hộ tịch (40 %: below the 80 % target). Xã B: 20 ratings, all "Rất hài lòng", all at night
(silent), 20 dossiers (100 %: met). Counted here from the rows inserted.
"""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import insert

from hailong.server.accounts import users as accounts
from hailong.server.reference import offices, scope
from hailong.server.storage import db
from tests.server.report_world import at, press_row
from tests.web.conftest import DESKTOP, PASSWORD, PHONE, login, screenshot
from tests.web.test_csp import LISTEN

MARCH = "/province?period=2024-03&convention=calendar"
PAGE_WIDTH = "document.documentElement.scrollWidth"
A_RATINGS = [4] * 20 + [3] * 10 + [2] * 6 + [1] * 4
B_RATINGS = [4] * 20


def province(served) -> None:
    """Make the served office the province, with communes xa-a and xa-b and a kiosk each."""
    with served.engine.begin() as conn:
        offices.set_office(conn, "don-vi", "lan", kind="province", new_code="tinh",
                           name="Sở Nội vụ tỉnh")  # fmt: skip
        for code, name in (("xa-a", "Xã A"), ("xa-b", "Xã B")):
            offices.add_office(conn, code, name, "commune", "tinh", "lan")
            with scope.acting_for(conn, code):
                accounts.add_user(conn, f"admin-{code}", PASSWORD, "admin", "lan")
        ids = {o.code: o.id for o in offices.every_office(conn)}
        conn.execute(insert(db.devices), [{"device": "ka", "acked_upto": 0, "office_id": ids["xa-a"]},
                                          {"device": "kb", "acked_upto": 0, "office_id": ids["xa-b"]}])  # fmt: skip
        rows = [press_row("ka", i, r, at("2024-03-05", "08:00") + timedelta(minutes=5 * i),
                          field="ho-tich") for i, r in enumerate(A_RATINGS, start=1)]  # fmt: skip
        rows += [press_row("kb", i, r, at("2024-03-06", "21:00") + timedelta(minutes=2 * i),
                           field="ho-tich") for i, r in enumerate(B_RATINGS, start=1)]  # fmt: skip
        conn.execute(insert(db.presses), rows)
        conn.execute(insert(db.dossier_counts), [
            {"office_id": ids["xa-a"], "field": "ho-tich", "month": "2024-03", "resolved": 100},
            {"office_id": ids["xa-b"], "field": "ho-tich", "month": "2024-03", "resolved": 20},
        ])  # fmt: skip


def order(page) -> list[str]:
    """Return the communes' codes as the table shows them, top to bottom."""
    found = [i.removeprefix("office-") for i in
             page.locator("#offices tbody tr").evaluate_all("rows => rows.map(r => r.id)")]  # fmt: skip
    return [code for code in found if code != "tinh"]  # the province's own row, checked apart


def test_the_province_page_sorts_flags_and_downloads(page, served, tmp_path):
    province(served)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    login(page, served, "admin")
    page.goto(served.path(MARCH))
    # The served office's own kiosks (it was made the province) pressed in March: a row of its own.
    expect(page.locator("#offices tbody tr")).to_have_count(3)
    expect(page.locator("#office-tinh th")).to_have_text("Sở Nội vụ tỉnh (cấp tỉnh)")
    row_a, row_b = page.locator("#office-xa-a"), page.locator("#office-xa-b")
    expect(row_a).to_contain_text("75,0%")
    expect(row_b).to_contain_text("100,0%")
    # Flagged in words: A below the target (40 of 100 dossiers), B silent (all at night).
    expect(row_a.locator(".flag-word")).to_have_text(["Chưa đạt chỉ tiêu 80,0%"])
    expect(row_b.locator(".flag-word")).to_have_text(
        ["Im lặng: không có lượt nào trong giờ làm việc"]
    )
    expect(row_a.locator("svg.spark")).to_have_count(1)
    assert order(page) == ["xa-b", "xa-a"]  # ranked: 100 % before 75 %

    # With the script: the ratings column sorts in the page, most first, then least first.
    ratings = page.locator("#offices thead th[data-sort='ratings'] a")
    ratings.click()
    assert order(page) == ["xa-a", "xa-b"]
    expect(page.locator("#offices thead th[data-sort='ratings']")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert "sort=ratings" in page.url and "order=desc" in page.url
    ratings.click()
    assert order(page) == ["xa-b", "xa-a"]
    assert page.evaluate("window.__violations") == []  # the sorting script is the page's own
    page.reload()  # the address kept the order: the server sorts the same way
    assert order(page) == ["xa-b", "xa-a"]
    expect(page.locator("#offices thead th[data-sort='ratings']")).to_have_attribute(
        "aria-sort", "ascending"
    )

    with served.engine.begin() as conn:  # a new press: the kept view no longer holds
        conn.execute(insert(db.presses), [press_row("kb", 99, 4, at("2024-03-07", "21:00"),
                                                    field="ho-tich")])  # fmt: skip
    page.goto(served.path(MARCH))
    expect(row_b.locator("td").nth(2)).to_have_text(str(len(B_RATINGS) + 1))

    with page.expect_download() as done:
        page.locator(".downloads").get_by_role("link", name="XLSX").click()
    book = load_workbook(io.BytesIO(done.value.path().read_bytes()), read_only=True)
    cells = {row[1]: row for row in book.worksheets[0].iter_rows(values_only=True) if row}
    assert cells["xa-a"][3] == len(A_RATINGS) and cells["xa-b"][3] == len(B_RATINGS) + 1

    page.goto(served.path(f"/lang/en?next={MARCH.replace('&', '%26')}"))
    expect(page.locator("h1")).to_contain_text("Offices in the province")
    expect(row_b.locator(".flag-word")).to_have_text(["Silent: no rating within office hours"])
    page.goto(served.path("/lang/vi"))

    page.set_viewport_size(PHONE)  # the table scrolls in its box; the page does not
    page.goto(served.path(MARCH))
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]
    screenshot(page, "province-phone")
    page.set_viewport_size(DESKTOP)
    page.goto(served.path(MARCH))
    screenshot(page, "province-desktop")
    assert [text for text in console if "Content Security Policy" in text] == []


def test_sorting_works_without_the_script(browser, served):
    province(served)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, served, "admin")
        page.goto(served.path(MARCH))
        page.locator("#offices thead th[data-sort='name'] a").click()  # a link: ?sort=name
        assert "sort=name&order=asc" in page.url and order(page) == ["xa-a", "xa-b"]
        page.locator("#offices thead th[data-sort='name'] a").click()
        assert "order=desc" in page.url and order(page) == ["xa-b", "xa-a"]
    finally:
        context.close()


def test_a_commune_account_gets_404_and_a_link_opens_an_offices_summary(page, served):
    province(served)
    login(page, served, "admin-xa-a")
    assert page.goto(served.path("/province")).status == 404
    page.context.clear_cookies()
    login(page, served, "admin")
    page.goto(served.path(MARCH))
    page.locator("#office-xa-b").get_by_role("button", name="Xã B").click()
    expect(page).to_have_url(served.path("/summary?period=2024-03&convention=calendar"))
    expect(page.get_by_label("Đơn vị")).to_have_value("xa-b")
    expect(page.locator("#total")).to_have_text("20")
