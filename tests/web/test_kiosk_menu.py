"""Issue 14: one menu entry for the kiosks; revoking one is picked from a list and confirmed."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from hailong.server.config import BrokerSettings, IngestSettings
from hailong.server.reference import catalogue as reference
from hailong.server.storage.db import device_counters
from tests.web.conftest import login


def placed(served) -> dict[str, str]:
    """Return device -> counter for every kiosk placed at a counter."""
    with served.engine.connect() as conn:
        return dict(conn.execute(select(device_counters.c.device, device_counters.c.counter)).all())


def with_broker_files(serve, tmp_path):
    """Serve the app with the broker's account files in a temporary folder, k1 at Q1."""
    broker = BrokerSettings(address="10.0.0.2", password_file=tmp_path / "passwd",
                            acl_file=tmp_path / "acl", systemd=False)  # fmt: skip
    served = serve(config_changes={"broker": broker,
                                   "ingest": IngestSettings(keys_dir=tmp_path / "keys")})  # fmt: skip
    with served.engine.begin() as conn:
        reference.set_device_counter(conn, "k1", "Q1", "test")
    return served


def test_the_menu_has_one_entry_for_the_kiosks_leading_to_their_administration(page, served):
    login(page, served, "thongke")
    menu = page.get_by_role("navigation", name="Trang")
    expect(menu.get_by_role("link", name="Kiosk", exact=True)).to_have_count(0)
    menu.get_by_role("link", name="Thiết bị").click()
    page.get_by_role("link", name=re.compile("^Quản lý kiosk")).click()
    expect(page).to_have_url(re.compile(r"/admin/kiosks$"))
    expect(page.get_by_role("heading", name="Quản lý kiosk")).to_be_visible()


def test_a_leader_sees_the_fleet_without_the_administration_link(page, served):
    login(page, served, "leader")
    page.goto(served.path("/devices"))
    expect(page.get_by_role("heading", name="Tình trạng các kiosk")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Quản lý kiosk"))).to_have_count(0)


def test_revoking_asks_first_and_no_changes_nothing(page, serve, tmp_path):
    served = with_broker_files(serve, tmp_path)
    before = placed(served)
    assert before["k1"] == "Q1"
    login(page, served)
    page.goto(served.path("/admin/kiosks"))
    choices = page.get_by_label("Kiosk cần thu hồi").locator("option").all_inner_texts()
    assert choices == ["k1", "k2", "k3"], "picked from the kiosks known, not typed"
    page.get_by_label("Kiosk cần thu hồi").select_option("k1")
    page.get_by_role("button", name="Thu hồi…").click()
    question = page.get_by_role("alertdialog")
    expect(question.get_by_role("heading")).to_have_text("Thu hồi kiosk k1?")
    expect(question).to_contain_text("Kiosk k1 (Q1) sẽ không gửi được lượt bấm nữa")
    assert placed(served) == before, "asking changes nothing"
    question.get_by_role("link", name="Không, giữ kiosk").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    assert placed(served) == before
    page.goto(served.path("/admin/kiosks/revoke?device=k1"))
    page.get_by_role("button", name="Xác nhận thu hồi k1").click()
    expect(page.get_by_role("status").filter(has_text="Đã thu hồi kiosk k1")).to_be_visible()
    assert "k1" not in placed(served)


def test_a_revoke_posted_without_the_confirmation_only_asks(page, serve, tmp_path):
    served = with_broker_files(serve, tmp_path)
    before = placed(served)
    login(page, served)
    page.goto(served.path("/admin/kiosks/revoke?device=k1"))
    page.locator("input[name=confirm]").evaluate("el => el.remove()")  # an old form, or a replay
    page.get_by_role("button", name="Xác nhận thu hồi k1").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Thu hồi kiosk k1?")
    assert placed(served) == before


def test_an_unknown_kiosk_cannot_be_asked_about(page, served):
    login(page, served)
    # Every response re-sends the permanent session cookie: a favicon request of the page before
    # could overwrite the cookie carrying the flash. Let that page finish first (bounded).
    page.wait_for_load_state("networkidle", timeout=10_000)
    page.goto(served.path("/admin/kiosks/revoke?device=k9"))
    expect(page.get_by_role("alert")).to_have_text("Không có kiosk k9 để thu hồi.")
    expect(page).to_have_url(re.compile(r"/admin/kiosks$"))
