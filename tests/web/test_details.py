"""Small things staff notice: the favicon, the English menu, the ranking score explained (issue 17)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import login
from tests.web.test_security import _sign_in


def test_favicon_is_served_and_linked(page, served):
    login(page, served, "leader")
    page.goto(served.path("/summary?period=2024-03"))
    href = page.locator("link[rel=icon]").get_attribute("href")
    icon = page.request.get(served.path(href))
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in icon.body()


def test_english_menu_names_the_lists(page, served):
    login(page, served, "admin")
    page.goto(served.path("/summary?period=2024-03&lang=en"))
    page.get_by_role("link", name="English").click()
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Fields", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Counters", exact=True)).to_be_visible()
    # inside a page the same word is still one item: the coverage table's column
    expect(page.get_by_role("columnheader", name="Field", exact=True).first).to_be_visible()


def test_ranking_score_is_explained_where_it_is_shown(page, served):
    login(page, served, "leader")
    page.goto(served.path("/summary?period=2024-03"))
    note = page.get_by_text("Điểm xếp hạng: tỷ lệ hài lòng đã điều chỉnh theo số lượt")
    expect(note).to_be_visible()
    page.get_by_role("link", name="Cách tính", exact=True).click()
    expect(page.locator("h1")).to_have_text("Cách tính điểm xếp hạng")
    # min_sample 10 in the test settings, office at 85 %: 3 of 3 → 88.5 %, 270 of 300 → 89.8 %
    expect(page.locator("main")).to_contain_text("được 88,5%")
    expect(page.locator("main")).to_contain_text("được 89,8%")


def test_a_static_file_does_not_resend_the_session_cookie(served):
    """A late favicon response must not put back an older cookie and lose the next page's message."""
    client = served.app.test_client()
    _sign_in(client, "leader")
    assert "Set-Cookie" not in client.get("/static/favicon.svg").headers


FITS = """el => {
  const ctx = document.createElement('canvas').getContext('2d');
  const style = getComputedStyle(el);
  ctx.font = style.font;
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [...el.options].every(o => ctx.measureText(o.text).width <= room - 16);  // 16: the arrow
}"""


def test_role_choices_show_whole(page, served):
    """Issue 17: the role select showed "Cán bộ thống k…"; every choice must fit its select."""
    login(page, served, "admin")
    for width in (1366, 1024, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(served.path("/admin/users"))
        _every_choice_fits(page.locator("select[name=role]"))


def _every_choice_fits(selects) -> None:
    """Assert every option of every select fits the select's box."""
    assert selects.count() >= 3
    for i in range(selects.count()):
        assert selects.nth(i).evaluate(FITS), selects.nth(i).get_attribute("aria-label")
