"""Issue 14: the summary on a phone, the public board on a 1920×1080 TV and on a phone."""

from __future__ import annotations

from datetime import date

import pytest

from hailong.server.reporting.publish import publish
from tests.web.conftest import PHONE, SETTINGS, login, screenshot

TV = {"width": 1920, "height": 1080}
PAGE_WIDTH = "document.documentElement.scrollWidth"
# Every table scrolls inside its own box, never the page: the nearest ancestor that clips it.
LOOSE_TABLES = """[...document.querySelectorAll('main table')].filter(t => {
  for (let el = t.parentElement; el; el = el.parentElement) {
    if (getComputedStyle(el).overflowX === 'auto') return false;
  }
  return true;
}).length"""
FONT_PX = "el => parseFloat(getComputedStyle(el).fontSize)"


@pytest.fixture
def published(serve, tmp_path):
    """The served app with March 2024 published, so the board shows it."""
    served = serve()
    publish(served.engine, date(2024, 4, 28), tmp_path / "published", SETTINGS,
            convention="calendar")  # fmt: skip
    return served


def on_first_screen(page, selector: str) -> bool:
    """Tell whether the element lies wholly within the viewport without scrolling."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    inside_height = box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
    return inside_height and box["x"] + box["width"] <= size["width"]


def chart_label_px(page) -> float:
    """Return the height the level chart's first label takes on screen, in CSS pixels."""
    label = page.locator(".levels svg text").first
    return label.evaluate("el => el.getBoundingClientRect().height")


def test_on_a_phone_the_summary_s_rate_is_on_the_first_screen(page, served):
    page.set_viewport_size(PHONE)
    login(page, served)
    page.goto(served.path("/summary?period=2024-03"))
    assert on_first_screen(page, "#rate")
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]
    assert page.evaluate(LOOSE_TABLES) == 0
    screenshot(page, "layout_summary_phone")


def test_the_board_fills_a_tv_and_its_footnotes_read_at_arm_s_length(page, published):
    page.set_viewport_size(TV)
    page.goto(published.path("/board?period=2024-03"))
    assert page.evaluate(PAGE_WIDTH) <= TV["width"]
    assert page.evaluate("document.documentElement.scrollHeight") <= TV["height"], "one screen"
    assert on_first_screen(page, "#rate")
    chart = page.locator(".levels svg").bounding_box()
    assert chart["width"] >= TV["width"] / 2, "the chart fills its half of the screen"
    for selector in (".board footer p", ".board .periods", "#published"):
        assert page.locator(selector).evaluate(FONT_PX) >= 20, selector
    assert chart_label_px(page) >= 24, "the chart's labels grow with the chart"
    screenshot(page, "layout_board_tv")


def test_on_a_phone_the_board_fits_and_its_chart_shrinks(page, published):
    page.set_viewport_size(PHONE)
    page.goto(published.path("/board?period=2024-03"))
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]
    assert on_first_screen(page, "#rate")
    assert page.locator(".levels svg").bounding_box()["width"] <= PHONE["width"]
    assert chart_label_px(page) >= 12, "the chart's labels stay readable when it shrinks"
    assert page.evaluate(LOOSE_TABLES) == 0
    screenshot(page, "layout_board_phone")


def test_the_heat_map_fills_its_card_on_a_wide_screen(page, served):
    page.set_viewport_size(TV)
    login(page, served)
    page.goto(served.path("/summary?period=2024-03"))
    heat = page.locator("svg.heat").bounding_box()
    card = page.locator("svg.heat").locator("xpath=ancestor::section[1]").bounding_box()
    assert heat["width"] >= card["width"] - 60, "no fixed width narrower than its card"
