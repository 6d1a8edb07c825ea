"""An official's own results and reply (Chromium), and that the account opens nothing else."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest
from flask import url_for
from openpyxl import load_workbook
from playwright.sync_api import expect

from hailong.server.accounts import users as accounts
from hailong.server.reference import replies
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.publish import publish
from tests.server.reasons_world import LABELS, add_reasons
from tests.web.conftest import PASSWORD, SETTINGS, login, screenshot
from tests.web.test_security import SAMPLE_ARGS, _csrf, _sign_in

MARCH = "/mine?period=2024-03&convention=calendar"
TEXT = "Ngày 18/03 quầy 2 mất điện, người dân phải chờ lâu."
OTHERS = ("Nguyễn Văn An", "Lê Hoàng Ánh", "cb-01", "cb-03")
OWN = {"mine", "static"}  # the official's page, and the style sheet every page loads
# Signing in and out, the language, the home redirect: the same for every account.
AUTH = {"auth.login", "auth.logout", "auth.change_password", "auth.switch_language", "auth.home"}


@pytest.fixture
def office(served):
    """The web office with an account for official cb-02 (Trần Thị Bích), who has 5 ratings."""
    with served.engine.begin() as conn:
        accounts.add_user(conn, "bich", PASSWORD, "official", "admin", name="Trần Thị Bích",
                          official="cb-02")  # fmt: skip
    return served


def test_an_official_sees_only_their_own_figures(page, office):
    login(page, office, "bich")
    expect(page).to_have_url(re.compile(r"/mine$"))
    expect(page.locator("header nav a")).to_have_text(["Kết quả của tôi"])
    page.goto(office.path(MARCH))
    expect(page.locator("#mine-sample")).to_have_text("5")
    expect(page.locator("#mine-rate")).to_have_text("—")  # 5 < the minimum sample of 10
    expect(page.locator("#mine-rank")).to_have_text("—")
    counts = page.locator("#mine-levels tbody tr td:nth-child(2)")
    expect(counts).to_have_text(["2", "2", "1", "0"])
    body = page.locator("body").inner_text()
    assert not [name for name in OTHERS if name in body]
    screenshot(page, "mine_march")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_contain_text("My results")
    expect(page.get_by_role("button", name="Save the reply")).to_be_visible()


def test_the_reply_reaches_table_b_and_the_summary_until_publication(browser, page, office,
                                                                       tmp_path):  # fmt: skip
    login(page, office, "bich")
    page.goto(office.path(MARCH))
    page.get_by_label("Nội dung giải trình").fill(TEXT)
    page.get_by_role("button", name="Lưu giải trình").click()
    expect(page.locator(".flash.info")).to_have_text("Đã lưu giải trình.")
    expect(page.get_by_label("Nội dung giải trình")).to_have_value(TEXT)
    stale = browser.new_context().new_page()  # a second tab, its form opened before publication
    login(stale, office, "bich")
    stale.goto(office.path(MARCH))
    leader = browser.new_context(accept_downloads=True).new_page()
    login(leader, office, "leader")
    leader.goto(office.path("/summary?period=2024-03&convention=calendar"))
    row = leader.locator("tr", has=leader.locator("th", has_text="Trần Thị Bích")).first
    expect(row.locator("td.reply")).to_have_text(TEXT)
    _check_downloads(leader, tmp_path)
    publish(office.engine, date(2024, 4, 28), tmp_path / "published", SETTINGS,
            convention="calendar")  # fmt: skip
    page.goto(office.path(MARCH))
    expect(page.get_by_label("Nội dung giải trình")).to_have_count(0)
    expect(page.locator("#reply-written")).to_have_text(TEXT)
    expect(page.locator("#reply-closed")).to_contain_text("đã công bố")
    stale.get_by_label("Nội dung giải trình").fill("Sửa sau khi công bố.")
    stale.get_by_role("button", name="Lưu giải trình").click()
    expect(stale.get_by_role("alert")).to_contain_text("đã công bố")
    with office.engine.connect() as conn:
        assert replies.reply_of(conn, "cb-02", parse_period("2024-03")) == TEXT
    stale.context.close()
    leader.context.close()


def _check_downloads(leader, tmp_path) -> None:
    """Download the XLSX and PDF from the summary page: table B holds the reply."""
    with leader.expect_download() as download:
        leader.get_by_role("link", name="XLSX").click()
    download.value.save_as(tmp_path / "r.xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx")["B. Theo cán bộ"]
    found = {sheet.cell(r, 2).value: sheet.cell(r, 15).value for r in range(4, 7)}
    assert found == {"cb-01": "—", "cb-02": TEXT, "cb-03": "—"}
    if shutil.which("pdftotext") is None:
        return
    with leader.expect_download() as download:
        leader.get_by_role("link", name="PDF").click()
    download.value.save_as(tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout  # fmt: skip
    assert "Giải trình" in text and "mất điện" in " ".join(text.split())


def test_an_empty_or_closed_reply_is_refused_with_a_message(page, office):
    login(page, office, "bich")
    page.goto(office.path(MARCH))
    page.get_by_label("Nội dung giải trình").fill("   ")
    page.get_by_role("button", name="Lưu giải trình").click()
    expect(page.get_by_role("alert")).to_have_text("Hãy viết nội dung giải trình.")
    page.goto(office.path("/mine?from=01/03/2024&to=10/03/2024"))
    expect(page.get_by_label("Nội dung giải trình")).to_have_count(0)
    expect(page.locator("#reply-closed")).to_contain_text("Chỉ nhận giải trình cho kỳ báo cáo")
    with office.engine.connect() as conn:
        assert replies.replies_of(conn, parse_period("2024-03")) == {}


def test_an_official_account_opens_no_other_page(office):
    client = office.app.test_client()
    _sign_in(client, "bich")
    token = _csrf(client, "/mine")
    walked = 0
    for rule in office.app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint in OWN or rule.endpoint in AUTH or rule.endpoint == "healthz":
            continue
        with office.app.test_request_context():
            url = url_for(rule.endpoint, **{a: SAMPLE_ARGS[a] for a in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method, data={"csrf_token": token})
            walked += 1
            if blueprint == "api":
                assert answer.status_code == 401, url  # a session is no API token
            elif blueprint == "board":
                # The public board shows what any visitor sees: published totals, never more.
                assert answer.status_code in (200, 404), url
            else:
                assert answer.status_code == 403, (method, url)
    assert walked > 30
    assert client.get("/").headers["Location"] == "/mine"


def test_staff_accounts_do_not_open_the_officials_page(served):
    for username in ("admin", "leader", "thongke"):
        client = served.app.test_client()
        _sign_in(client, username)
        assert client.get(MARCH).status_code == 403, username
        page = client.get("/summary?period=2024-03").get_data(as_text=True)
        assert "Kết quả của tôi" not in page


def test_the_admin_makes_an_official_account_on_the_accounts_page(page, served):
    login(page, served, "admin")
    page.goto(served.path("/admin/users"))
    form = page.locator("form.row-form").first

    def create(code: str) -> None:
        form.get_by_label("Tên đăng nhập").fill("anh")
        form.get_by_label("Vai trò").select_option("official")
        form.get_by_label("Mã cán bộ (tài khoản Cán bộ, công chức)").fill(code)
        form.get_by_label("Mật khẩu (ít nhất 10 ký tự)").fill(PASSWORD)
        form.get_by_role("button", name="Tạo").click()

    create("cb-09")
    expect(page.get_by_role("alert")).to_contain_text(
        "Không lưu được: Không có cán bộ “cb-09”: hãy thêm vào danh sách cán bộ trước."
    )
    create("cb-03")
    expect(page.get_by_role("status")).to_have_text("Đã tạo tài khoản.")
    with served.engine.connect() as conn:
        assert accounts.find_user(conn, "anh").official == "cb-03"
    expect(page.get_by_label("Mã cán bộ anh")).to_have_value("cb-03")


def test_an_official_sees_the_reasons_for_their_own_low_ratings(page, office):
    add_reasons(office.engine)
    login(page, office, "bich")
    page.goto(office.path(MARCH))
    section = page.locator("#mine-reasons")
    for n, label in enumerate(LABELS, 1):
        expect(section.locator("thead")).to_contain_text(f"{n}. {label}")
    expect(section.locator("tbody td")).to_have_text(["0", "2", "0", "1", "2"])
