"""The reasons for low ratings on the summary page (Chromium) and in the JSON API."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hailong.server.accounts import users as accounts
from tests.server.reasons_world import FIELDS, LABELS, OFFICIALS, TOTAL, add_reasons
from tests.web.conftest import login, screenshot


@pytest.fixture
def asked(serve):
    """The app over report_world's office with reasons_world's answers."""
    served = serve()
    add_reasons(served.engine)
    return served


def _cells(row) -> list[str]:
    name, total, counts, no_answer = row
    return [name, str(total), *map(str, counts), str(no_answer)]


def _table_rows(table) -> list[list[str]]:
    """Return each body and footer row's cells, the name without its code."""
    rows = table.locator("tbody tr, tfoot tr")
    found = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("th, td")
        name = cells.nth(0).evaluate("cell => cell.firstChild.textContent.trim()")
        found.append([name, *(cells.nth(j).inner_text() for j in range(1, cells.count()))])
    return found


def test_the_summary_page_shows_the_reasons(page, asked):
    login(page, asked, "leader")
    page.goto(asked.path("/summary?period=2024-03"))
    section = page.locator("#reasons")
    expect(section.locator("h2")).to_have_text("Lý do chưa hài lòng")
    tables = section.locator("table")
    expect(tables).to_have_count(2)
    for n, label in enumerate(LABELS, 1):
        expect(tables.nth(0).locator("thead")).to_contain_text(f"{n}. {label}")
    total = _cells(TOTAL)
    assert _table_rows(tables.nth(0)) == [*map(_cells, FIELDS), total]
    assert _table_rows(tables.nth(1)) == [*map(_cells, OFFICIALS), total]
    screenshot(page, "summary_reasons")
    page.get_by_role("link", name="English").click()
    expect(section.locator("h2")).to_have_text("Reasons for not being satisfied")
    expect(section).to_contain_text("after Dissatisfied, Neutral")


def test_the_page_has_no_reasons_while_no_kiosk_asks(page, served):
    login(page, served, "leader")
    page.goto(served.path("/summary?period=2024-03"))
    expect(page.locator("#total")).to_have_text("32")
    expect(page.locator("#reasons")).to_have_count(0)


def test_the_api_gives_the_reasons_by_number(asked):
    with asked.engine.begin() as conn:
        token = accounts.add_token(conn, "erp", "test")
    client = asked.app.test_client()
    body = client.get("/api/v1/reasons?period=2024-03",
                      headers={"Authorization": f"Bearer {token}"}).get_json()  # fmt: skip
    found = body["reasons"]
    assert found["levels"] == [1, 2]
    assert found["labels"] == {str(n): label for n, label in enumerate(LABELS, 1)}
    officials = {row["name"]: row for row in found["officials"]}
    assert officials["Trần Thị Bích"] == {
        "code": "cb-02", "name": "Trần Thị Bích", "ratings": 5, "no_answer": 2,
        "counts": {"1": 0, "2": 2, "3": 0, "4": 1},
    }  # fmt: skip
    by_field = [(r["name"], r["ratings"], tuple(r["counts"].values()), r["no_answer"])
                for r in found["fields"]]  # fmt: skip
    assert by_field == list(FIELDS)
    assert found["total"]["ratings"] == TOTAL[1]
    assert client.get("/api/v1/reasons?period=2024-03").status_code == 401
