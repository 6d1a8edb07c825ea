"""Issue 14: an account given a one-time password must choose its own before any staff page."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from hailong.server.accounts import users as accounts
from tests.web.conftest import PASSWORD, login

ONE_TIME = "mot-lan-duy-nhat-2026"
OWN = "mật-khẩu-của-riêng-tôi-2026"
# Every staff page (each blueprint's list) and the summary's report download.
STAFF_PAGES = ("/summary", "/devices", "/admin/officials", "/admin/fields", "/admin/counters",
               "/admin/duty", "/admin/dossiers", "/admin/kiosks", "/admin/audit", "/admin/users",
               "/admin/remarks", "/explain/ranking", "/")  # fmt: skip


@pytest.fixture
def fresh(served):
    """The served app with a new admin holding a one-time password."""
    with served.engine.begin() as conn:
        accounts.add_user(conn, "moi", ONE_TIME, "admin", "installer", must_change=True)
    return served


def change(page, current: str, new: str, again: str | None = None) -> None:
    """Fill in and send the password change form."""
    page.get_by_label("Mật khẩu hiện tại").fill(current)
    page.get_by_label("Mật khẩu mới (ít nhất 10 ký tự)").fill(new)
    page.get_by_label("Nhập lại mật khẩu mới").fill(new if again is None else again)
    page.get_by_role("button", name="Đổi mật khẩu").click()


def test_one_time_password_leads_to_the_change_and_nowhere_else(page, fresh):
    login(page, fresh, "moi", ONE_TIME)
    expect(page).to_have_url(re.compile(r"/password$"))
    for path in STAFF_PAGES:
        page.goto(fresh.path(path))
        expect(page).to_have_url(re.compile(r"/password$"))
        expect(page.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    change(page, "sai-mat-khau-hien-tai", OWN)
    expect(page.get_by_role("alert")).to_have_text("Mật khẩu hiện tại không đúng.")
    change(page, ONE_TIME, OWN, again=OWN + "x")
    expect(page.get_by_role("alert")).to_have_text("Hai lần nhập mật khẩu mới không khớp nhau.")
    change(page, ONE_TIME, ONE_TIME)
    expect(page.get_by_role("alert")).to_have_text("Mật khẩu mới phải khác mật khẩu hiện tại.")
    page.goto(fresh.path("/admin/users"))
    expect(page).to_have_url(re.compile(r"/password$"))  # refused changes changed nothing
    change(page, ONE_TIME, OWN)
    expect(page).to_have_url(re.compile(r"/summary"))
    expect(page.locator(".flash.info")).to_have_text("Đã đổi mật khẩu.")
    page.goto(fresh.path("/admin/users"))
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    with fresh.engine.connect() as conn:
        assert accounts.authenticate(conn, "moi", ONE_TIME) is None
        assert not accounts.authenticate(conn, "moi", OWN).must_change


def test_an_account_with_its_own_password_is_never_sent_there(page, served):
    login(page, served, "thongke", PASSWORD)
    page.goto(served.path("/admin/duty"))
    expect(page).to_have_url(re.compile(r"/admin/duty$"))


def test_a_password_an_admin_sets_for_someone_else_is_one_time(page, served):
    login(page, served)
    with served.engine.begin() as conn:
        accounts.set_user(conn, "leader", "admin", password=ONE_TIME, must_change=True)
        assert accounts.find_user(conn, "leader").must_change
        accounts.set_user(conn, "leader", "leader", password=OWN)
        assert not accounts.find_user(conn, "leader").must_change


def test_cli_made_up_password_must_be_changed_a_chosen_one_need_not(tmp_path):
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n')

    def add(name: str, stdin: str) -> str:
        done = subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(config),
                               "user", "add", name, "--role", "admin"], input=stdin,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    made = add("dau-tien", "")
    assert "its first sign-in asks for a new password" in made
    assert "asks for a new password" not in add("chon-san", "mật khẩu đã chọn sẵn\n")
    from hailong.server.storage.db import open_database

    engine = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as conn:
        assert accounts.find_user(conn, "dau-tien").must_change
        assert not accounts.find_user(conn, "chon-san").must_change
    engine.dispose()
