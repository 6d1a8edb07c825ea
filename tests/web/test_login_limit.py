"""Issue 13, finding 6: an attacker's wrong passwords slow the attacker, and lock nobody out.

The attacker speaks from 127.0.0.2 (a second loopback address), the staff's Chromium from
127.0.0.1, both to the same waitress; the login limit's clock is held still and moved by hand.
"""

from __future__ import annotations

import functools
import http.client
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from hailong.server.accounts import throttle
from hailong.server.epoch import now_ms
from tests.web.conftest import PASSWORD, login

ATTACKER = "127.0.0.2"


class Attacker:
    """A client with its own cookies, connecting from another loopback address."""

    def __init__(self, served):
        class FromAddress(urllib.request.HTTPHandler):
            def http_open(self, req):
                connect = functools.partial(http.client.HTTPConnection,
                                            source_address=(ATTACKER, 0))  # fmt: skip
                return self.do_open(connect, req)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(FromAddress, jar, NoRedirect)
        self.url = served.path("/login")
        with self.opener.open(self.url, timeout=10) as response:
            page = response.read().decode()
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]

    def try_password(self, username: str, password: str) -> tuple[int, str, str | None]:
        """Post the login form; return the status, the page and the Retry-After header."""
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": self.token}).encode()  # fmt: skip
        try:
            with self.opener.open(urllib.request.Request(self.url, data=body), timeout=30) as r:
                return r.status, r.read().decode(), r.headers.get("Retry-After")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.headers.get("Retry-After")


@pytest.fixture
def clock(monkeypatch):
    """Hold the login limit's clock still; the test moves it by hand."""
    now = [now_ms()]
    monkeypatch.setattr(throttle, "now_ms", lambda: now[0])
    return now


def test_the_attacker_cannot_lock_the_admin_out(browser, page, served, clock):
    attacker = Attacker(served)
    answers = [attacker.try_password("admin", f"đoán-sai-{i}")[0] for i in range(30)]
    assert answers == [401] * 5 + [429] * 25
    login(page, served, "admin")  # from 127.0.0.1, with the right password: at once
    expect(page.get_by_role("heading", name=re.compile("^Kết quả khảo sát"))).to_be_visible()
    # The attacker, even with the right password, still waits.
    assert attacker.try_password("admin", PASSWORD)[0] == 429


def test_the_attackers_own_attempts_get_slower(served, clock):
    attacker = Attacker(served)
    for i in range(5):
        assert attacker.try_password("admin", f"sai-{i}")[0] == 401
    waits = []
    for i in range(6):
        status, text, retry_after = attacker.try_password("admin", f"lại-sai-{i}")
        assert status == 429 and f"Hãy thử lại sau {retry_after} giây." in text
        waits.append(int(retry_after))
        clock[0] += waits[-1] * 1000
        assert attacker.try_password("admin", f"sau-khi-chờ-{i}")[0] == 401
    assert waits == [1, 2, 4, 8, 16, 32]


def test_a_signed_in_session_keeps_working_during_the_attack(page, served, clock):
    login(page, served, "leader")
    attacker = Attacker(served)
    names = ("leader", "admin", "thongke", "lan", "minh")
    for i in range(5 * len(names)):  # five failures on each, past the per-address cap (20)
        attacker.try_password(names[i % len(names)], f"sai-{i}")
    assert attacker.try_password("someone", "sai")[0] == 429  # the address itself is slowed
    page.goto(served.path("/summary?period=2024-03"))
    expect(page).to_have_url(re.compile(r"/summary\?period=2024-03$"))
    page.goto(served.path("/devices"))
    expect(page.get_by_role("heading", name="Tình trạng các kiosk")).to_be_visible()
