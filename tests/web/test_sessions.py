"""Issue 13, finding 10: a session ends on the server at logout, new password and deactivation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import DESKTOP, PASSWORD, login

NEW_PASSWORD = "mật-khẩu-mới-2025-dài"


@pytest.fixture
def other_page(browser):
    """A second browser (its own cookies), as on another computer."""
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


def signed_in(page, served) -> bool:
    """Open a staff page; tell whether it showed (rather than sending to the login page)."""
    page.goto(served.path("/devices"))
    return "/login" not in page.url


def test_a_copied_cookie_stops_working_after_logout(page, other_page, served):
    login(page, served, "leader")
    other_page.context.add_cookies(page.context.cookies())  # the cookie, stolen
    assert signed_in(other_page, served)
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("status")).to_have_text("Đã đăng xuất.")
    other_page.goto(served.path("/devices"))  # the replayed cookie
    expect(other_page).to_have_url(re.compile(r"/login\?next=/devices$"))
    assert not signed_in(page, served)


def test_a_new_password_ends_the_other_browsers_session(page, other_page, served):
    login(page, served, "admin")
    login(other_page, served, "admin")
    page.goto(served.path("/admin/users"))
    page.get_by_label("Mật khẩu mới admin").fill(NEW_PASSWORD)
    page.get_by_role("row", name=re.compile("^admin")).get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_have_text("Đã lưu admin.")
    assert signed_in(page, served)  # the browser that set it stays signed in ...
    assert not signed_in(other_page, served)  # ... the other one is sent to the login page
    login(other_page, served, "admin", NEW_PASSWORD)
    assert signed_in(other_page, served)


def test_deactivating_an_account_ends_its_sessions(page, other_page, served):
    login(other_page, served, "leader")
    login(page, served, "admin")
    page.goto(served.path("/admin/users"))
    page.get_by_label("Đang dùng leader").uncheck()
    page.get_by_role("row", name=re.compile("^leader")).get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_have_text("Đã lưu leader.")
    assert not signed_in(other_page, served)
    other_page.get_by_label("Tên đăng nhập").fill("leader")
    other_page.get_by_label("Mật khẩu").fill(PASSWORD)
    other_page.get_by_role("button", name="Đăng nhập").click()
    expect(other_page.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
