"""The coverage total on the summary page, the board, the poster and the API: one honest rule."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from hailong.server.accounts import users as accounts
from hailong.server.reporting.publish import publish
from tests.server.coverage_world import PERIOD, build_coverage_world
from tests.web.conftest import login

MISSING = "Chưa nhập số hồ sơ: 02/2025, 03/2025 (không tính là 0)."


@pytest.fixture
def office(served):
    """The served office plus the issue's example in the first quarter of 2025."""
    build_coverage_world(served.engine)
    return served


def test_summary_page_says_not_met(page, office):
    login(page, office)
    page.goto(office.path(f"/summary?period={PERIOD}"))
    expect(page.locator("#coverage")).to_have_text("67,5%")
    measured = page.locator("#coverage-total")
    expect(measured).to_contain_text("0/3 lĩnh vực đạt")
    expect(measured).to_contain_text("chưa đạt, còn thiếu 53 lượt")
    expect(measured).not_to_contain_text("Đạt chỉ tiêu")
    expect(page.locator("#coverage-outside")).to_contain_text("180")
    expect(page.locator("#coverage-missing")).to_have_text(MISSING)


@pytest.fixture
def published(office, tmp_path):
    """Publish the first quarter of 2025 on its 28th: the board and poster show published periods."""
    settings = office.app.extensions["hailong"].settings
    publish(office.engine, date(2025, 3, 28), tmp_path / "published", settings)
    return office


@pytest.mark.parametrize("path", ["/board", "/board/poster"])
def test_board_and_poster_say_not_met(published, path):
    html = published.app.test_client().get(f"{path}?period={PERIOD}").get_data(as_text=True)
    assert "Quý I/2025" in html
    assert "67,5%" in html and "0/3 lĩnh vực đạt" in html
    assert "chưa đạt, còn thiếu 53 lượt" in html and MISSING in html
    assert "112,5%" not in html and "Đạt chỉ tiêu" not in html


def test_board_in_english(published):
    client = published.app.test_client()
    client.set_cookie("lang", "en")
    html = client.get(f"/board?period={PERIOD}").get_data(as_text=True)
    assert "0/3 fields meet the target" in html and "not met, 53 more ratings needed" in html


def test_api_coverage(office):
    with office.engine.begin() as conn:
        token = accounts.add_token(conn, "erp", "test")
    response = office.app.test_client().get(
        f"/api/v1/summary?period={PERIOD}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.get_json()["coverage"] == {
        "fields": 3, "fields_met": 0, "ratings": 270, "dossiers": 400, "coverage_pct": 67.5,
        "meets_target": False, "needed": 53, "outside_ratings": 180,
        "missing_months": ["2025-02", "2025-03"], "target_pct": 80.0,
    }  # fmt: skip
