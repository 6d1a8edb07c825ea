"""A period without a rating says so on the summary page, the board and the poster, in both languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import login

EMPTY = {"vi": "Chưa có lượt đánh giá nào trong kỳ này", "en": "No ratings yet in this period"}
PREVIOUS = {
    "vi": "Kỳ trước (Tháng 04/2024): 1 lượt đánh giá",
    "en": "Previous period (April 2024): ratings 1",
}


def speak(page, served, lang: str) -> None:
    """Choose the page's language as the switch does (its cookie)."""
    page.context.add_cookies([{"name": "lang", "value": lang, "url": served.path("/")}])


def nothing_but_the_notice(page, lang: str) -> None:
    """Check the notice is shown and no zero figure, dash or heat map is."""
    expect(page.locator("#empty-period")).to_contain_text(EMPTY[lang])
    for gone in ("#total", "#rate", "#coverage", ".heat", "svg"):
        expect(page.locator(gone)).to_have_count(0)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_summary_page_of_an_empty_period_says_so(page, served, lang):
    login(page, served)
    speak(page, served, lang)
    page.goto(served.path("/summary?period=2024-05"))
    nothing_but_the_notice(page, lang)
    expect(page.locator("#empty-period")).to_contain_text(PREVIOUS[lang])
    expect(
        page.get_by_role("heading", name="Tải báo cáo" if lang == "vi" else "Download")
    ).to_be_visible()


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("path", ["/board", "/board/poster"])
def test_the_board_and_poster_of_an_empty_month_say_so(page, served, lang, path):
    speak(page, served, lang)
    page.goto(served.path(path))  # this month: the office's presses are all in 2024
    nothing_but_the_notice(page, lang)


def test_a_period_with_ratings_shows_its_figures_not_the_notice(page, served):
    login(page, served)
    page.goto(served.path("/summary?period=2024-03"))
    expect(page.locator("#total")).to_have_text("32")
    expect(page.locator("#empty-period")).to_have_count(0)
