"""Screenshots of every page at 1366×768 and at phone width, to be looked at."""

from __future__ import annotations

import pytest

from tests.web.conftest import DESKTOP, PHONE, login, screenshot

# Form controls that a screen reader could not name.
UNLABELLED = """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !el.labels.length && !el.getAttribute('aria-label')).map(el => el.outerHTML)"""
PAGE_WIDTH = "document.documentElement.scrollWidth"
PAGES = {
    "summary": "/summary?period=2024-03",
    "devices": "/devices",
    "officials": "/admin/officials",
    "duty": "/admin/duty",
    "dossiers": "/admin/dossiers?year=2024",
    "kiosks": "/admin/kiosks",
    "audit": "/admin/audit",
    "users": "/admin/users",
}


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_staff_pages_look_right(page, served, size):
    page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
    login(page, served)
    for name, path in PAGES.items():
        response = page.goto(served.path(path))
        assert response.status == 200, name
        assert page.locator("h1").count() == 1
        assert page.evaluate(UNLABELLED) == [], name
        assert page.evaluate(PAGE_WIDTH) <= page.viewport_size["width"], (
            name
        )  # tables scroll, not pages
        screenshot(page, f"{name}_{size}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_public_pages_look_right(page, served, size):
    page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
    for name, path in {"board": "/board?period=2024-03", "poster": "/board/poster?period=2024-03",
                       "login": "/login"}.items():  # fmt: skip
        assert page.goto(served.path(path)).status == 200, name
        assert page.evaluate(PAGE_WIDTH) <= page.viewport_size["width"], name
        screenshot(page, f"{name}_{size}")


def test_summary_in_english_looks_right(page, served):
    login(page, served)
    page.goto(served.path("/summary?period=2024-03"))
    page.get_by_role("link", name="English").click()
    assert page.locator("h1").inner_text() == "Survey results: March 2024"
    screenshot(page, "summary_en_desktop")


def test_keyboard_reaches_the_skip_link_first_and_then_the_page(page, served):
    login(page, served)
    page.goto(served.path("/summary?period=2024-03"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "period"  # the first control of the page
