"""A province account chooses the office its pages show, in Chromium; a commune account cannot."""

from __future__ import annotations

from playwright.sync_api import expect

from hailong.server.accounts import users as accounts
from hailong.server.reference import catalogue, offices, scope
from tests.web.conftest import PASSWORD, login, screenshot


def communes(served) -> None:
    """Make the office of the served world the province, with two communes and a counter each."""
    with served.engine.begin() as conn:
        offices.set_office(conn, "don-vi", "lan", kind="province", new_code="tinh",
                           name="Sở Nội vụ tỉnh")  # fmt: skip
        for code, name, counter in (("xa-a", "Xã A", "Quầy Ánh"), ("xa-b", "Xã B", "Quầy Bích")):
            offices.add_office(conn, code, name, "commune", "tinh", "lan")
            with scope.acting_for(conn, code):
                catalogue.add_counter(conn, "Q1", counter, "lan")
                accounts.add_user(conn, f"admin-{code}", PASSWORD, "admin", "lan")


def named(page, name: str):
    """Return the counters' name fields holding this name (the list is a form of inputs)."""
    return page.locator(f"main input[name='name'][value='{name}']")


def test_a_province_account_chooses_the_office_its_pages_show(page, served):
    communes(served)
    login(page, served, "admin")  # an account of the root office
    page.goto(served.path("/admin/counters"))
    expect(named(page, "Quầy Ánh")).to_have_count(1)
    expect(named(page, "Quầy Bích")).to_have_count(1)
    chooser = page.locator("#office-chooser")
    chooser.get_by_label("Đơn vị").select_option("xa-a")
    chooser.get_by_role("button", name="Xem").click()
    expect(page).to_have_url(served.path("/admin/counters"))  # back on the page it was on
    expect(named(page, "Quầy Ánh")).to_have_count(1)
    expect(named(page, "Quầy Bích")).to_have_count(0)
    expect(page.get_by_label("Đơn vị")).to_have_value("xa-a")
    screenshot(page, "office-chooser")
    page.goto(served.path("/summary"))  # kept in the session
    expect(page.get_by_label("Đơn vị")).to_have_value("xa-a")


def test_a_commune_account_sees_no_chooser_and_only_its_office(page, served):
    communes(served)
    login(page, served, "admin-xa-b")
    page.goto(served.path("/admin/counters"))
    expect(named(page, "Quầy Bích")).to_have_count(1)
    expect(named(page, "Quầy Ánh")).to_have_count(0)
    expect(page.locator("#office-chooser")).to_have_count(0)
