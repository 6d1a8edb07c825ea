"""Security: logins, CSRF, escaping, injection attempts and the login limit."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from hailong.server.accounts import throttle
from hailong.server.epoch import now_ms
from hailong.server.storage.db import metadata
from tests.web.conftest import PASSWORD, login

PUBLIC = {"auth", "board", "api", "static"}
SAMPLE_ARGS = {"code": "cb-01", "entity": "official", "fmt": "xlsx", "username": "leader",
               "name": "erp", "filename": "style.css"}  # fmt: skip


def staff_rules(app):
    """Return every route of a staff page, with sample arguments."""
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.split(".")[0] not in PUBLIC and r.endpoint != "healthz"]  # fmt: skip
    assert len(rules) > 20
    return [(r, {a: SAMPLE_ARGS[a] for a in r.arguments}) for r in rules]


def test_every_staff_page_sends_a_visitor_to_login(served):
    client = served.app.test_client()
    for rule, args in staff_rules(served.app):
        with served.app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **args)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if method == "GET":
                assert response.status_code == 302, url
                assert response.headers["Location"].startswith("/login?next="), url
            else:  # refused before the view: no CSRF token (400), or no login (302)
                assert response.status_code in (302, 400), (method, url)


def test_a_visitor_in_the_browser_is_sent_to_login(page, served):
    for path in ("/summary", "/devices", "/admin/duty", "/admin/users", "/admin/audit"):
        page.goto(served.path(path))
        expect(page).to_have_url(re.compile(r"/login\?next="))
        expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()


def test_a_form_without_its_csrf_token_is_refused(page, served):
    login(page, served, "thongke")
    page.goto(served.path("/admin/officials"))
    page.get_by_label("Mã", exact=True).fill("cb-09")
    page.get_by_label("Tên", exact=True).fill("Phạm Thị Dung")
    page.locator("form.row-form input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_role("button", name="Thêm", exact=True).click()
    expect(page.get_by_text("thiếu mã bảo vệ")).to_be_visible()
    assert _count(served, "officials") == 3
    page.goto(served.path("/admin/officials"))  # with its token the same form works
    page.get_by_label("Mã", exact=True).fill("cb-09")
    page.get_by_label("Tên", exact=True).fill("Phạm Thị Dung")
    page.get_by_role("button", name="Thêm", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Đã thêm.")
    assert _count(served, "officials") == 4


def test_a_name_with_a_script_is_shown_escaped(page, served):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    name = '<script>alert("xss")</script> Đỗ <b>Văn</b> Em'
    login(page, served, "thongke")
    page.goto(served.path("/admin/officials"))
    page.get_by_label("Mã", exact=True).fill("cb-10")
    page.get_by_label("Tên", exact=True).fill(name)
    page.get_by_role("button", name="Thêm", exact=True).click()
    for path in ("/admin/officials", "/admin/duty", "/admin/audit"):
        page.goto(served.path(path))
        assert "&lt;script&gt;alert(" in page.content(), path
        assert "<script>alert" not in page.content()
        assert page.locator("b", has_text="Văn").count() == 0
    assert dialogs == []


ATTEMPTS = [
    "/summary?period=2024-03'%20OR%201=1--",
    "/summary?period=2024-03&convention=calendar'%3B%20DROP%20TABLE%20presses%3B--",
    "/summary?from=01/03/2024'--&to=31/03/2024",
    "/summary/report.csv?period=2024%20UNION%20SELECT%20*%20FROM%20users",
    "/board?period=1;DELETE%20FROM%20presses",
    "/admin/dossiers?year=2024%20OR%201=1",
    "/admin/audit?entity=x'%20OR%20'1'='1&limit=1;DROP%20TABLE%20audit",
    "/api/v1/summary?period=2024-03'--",
]


def test_sql_injection_attempts_change_nothing(served):
    before = _snapshot(served)
    client = served.app.test_client()
    _sign_in(client, "admin")
    for url in ATTEMPTS:
        assert client.get(url).status_code in (200, 400, 401), url
    token = _csrf(client, "/admin/officials")
    forms = [
        ("/admin/officials", {"code": "x');DROP TABLE officials;--", "name": "x"}),
        ("/admin/duty", {"counter": "Q1' OR '1'='1", "official": "cb-01"}),
        ("/admin/dossiers", {"field": "ho-tich' --", "month": "2024-03", "resolved": "1 OR 1=1"}),
        ("/admin/kiosks/test", {"device": "k1", "seqs": "1 OR 1=1", "reason": "x"}),
    ]
    for url, form in forms:
        assert client.post(url, data={**form, "csrf_token": token}).status_code == 302, url
    anonymous = served.app.test_client()
    token = _csrf(anonymous, "/login")
    answer = anonymous.post("/login", data={"username": "admin' --", "password": "' OR '1'='1",
                                            "csrf_token": token})  # fmt: skip
    assert answer.status_code == 401
    assert _snapshot(served) == before


def test_the_login_limit_holds_across_server_threads(served, monkeypatch):
    limit = served.config.web.login_attempts
    instant = now_ms()
    monkeypatch.setattr(throttle, "now_ms", lambda: instant)  # no delay runs out meanwhile
    opener = _browser_like()
    token = _csrf_live(opener, served.path("/login"))
    answers, lock = [], threading.Lock()

    def attempt(password):
        status = _post_login(opener, served.path("/login"), token, "thongke", password)
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=attempt, args=(f"wrong-{i}",)) for i in range(3 * limit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers.count(401) == limit and answers.count(429) == 2 * limit
    # The right password does not open the account from this address during the delay ...
    assert _post_login(opener, served.path("/login"), token, "thongke", PASSWORD) == 429
    # ... but another account, from the same office address, still signs in.
    assert _post_login(opener, served.path("/login"), token, "leader", PASSWORD) == 302


def test_session_cookie_is_http_only_same_site_and_secure_behind_tls(serve):
    served = serve(secure_cookies=True)
    client = served.app.test_client()
    _sign_in(client, "leader", base_url="https://localhost")
    cookie = client.get_cookie("hailong_session", domain="localhost")
    assert cookie.http_only and cookie.same_site == "Lax" and cookie.secure
    response = client.get("/summary?period=2024-03", base_url="https://localhost")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_csv_download_names_its_charset_once(served):
    client = served.app.test_client()
    _sign_in(client, "leader")
    response = client.get("/summary/report.csv?period=2024-03")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(("role", "allowed"), [("leader", False), ("thongke", True)])
def test_roles_decide_who_changes_what(served, role, allowed):
    client = served.app.test_client()
    _sign_in(client, role)
    assert client.get("/admin/duty").status_code == (200 if allowed else 403)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/summary?period=2024-03").status_code == 200


def _sign_in(client, username: str, base_url: str = "http://localhost") -> None:
    token = _csrf(client, "/login", base_url)
    answer = client.post("/login", base_url=base_url, headers={"Referer": f"{base_url}/login"},
                         data={"username": username, "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert answer.status_code == 302


def _csrf(client, path: str, base_url: str = "http://localhost") -> str:
    page = client.get(path, base_url=base_url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def _browser_like():
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def _csrf_live(opener, url: str) -> str:
    with opener.open(url, timeout=10) as response:
        return re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())[1]


def _post_login(opener, url: str, token: str, username: str, password: str) -> int:
    body = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token}).encode()  # fmt: skip
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _count(served, table: str) -> int:
    with served.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()


def _snapshot(served) -> dict:
    """Return every row of every table that holds data (logins add attempts and sessions; a page
    may store the half-month rollups, a cache derived from presses and rebuilt when they change)."""
    derived = (
        "login_attempts",
        "sessions",
        "report_halves",
        "report_half_counts",
        "report_half_flags",
    )
    with served.engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in metadata.tables.items() if name not in derived}  # fmt: skip
