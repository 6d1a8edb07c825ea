"""The public board under a hostile visitor: published periods only, published figures, a rate limit.

Issue 13, finding 4: every request goes to a real waitress over loopback; the proxy's
X-Forwarded-For stands for visitors at different addresses.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from hailong.server.config import WebSettings
from hailong.server.epoch import now_ms
from hailong.server.reporting.publish import publish
from hailong.server.storage import db
from hailong.server.web.choice import current_month
from hailong.server.web.ratelimit import Limiter, proxy_options
from tests.server.report_world import at, press_row
from tests.web.conftest import PASSWORD, SETTINGS


def get(url: str, opener=None, forwarded: str | None = None) -> tuple[int, str, dict]:
    """GET a page; return (status, body, headers), errors included."""
    request = urllib.request.Request(
        url, headers={"X-Forwarded-For": forwarded} if forwarded else {}
    )
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def this_month_title() -> str:
    """Return the board's title of the current calendar month, as the page writes it."""
    today = datetime.now(ZoneInfo(SETTINGS.time_zone)).date()
    month = current_month(today, "calendar")
    return f"Tháng {month.label[5:]}/{month.label[:4]}"


def test_an_arbitrary_range_or_unpublished_period_shows_the_current_month(served):
    for query in ("?from=01/01/2021&to=31/12/2023", "?period=2024-03", "?period=2024"):
        status, html, _ = get(served.path("/board" + query))
        assert status == 200
        assert this_month_title() in html and "Tháng 03/2024" not in html, query
        assert "Từ ngày 01/01/2021" not in html


def test_a_published_period_shows_the_published_figures(serve, tmp_path):
    served = serve()
    publish(served.engine, date(2024, 4, 28), tmp_path / "published", SETTINGS,
            convention="calendar")  # fmt: skip
    late = press_row("k9", 1, 1, at("2024-03-20", "09:00"), field="ho-tich",
                     received_ms=now_ms())  # arrives after publication  # fmt: skip
    with served.engine.begin() as conn:
        conn.execute(insert(db.presses).values(late))
    for path in ("/board?period=2024-03", "/board/poster?period=2024-03"):
        status, html, _ = get(served.path(path))
        assert status == 200 and "Tháng 03/2024" in html
        assert "Số liệu đã công bố ngày 28/04/2024." in html
        total = re.search(r'<p class="value"(?: id="total")?>([\d.]+)</p>', html)
        assert total and total[1] == "32", path  # as published: the late press is not in it
    _status, html, _ = get(served.path("/board"))
    periods = re.search(r'<nav class="periods".*?</nav>', html, re.S)[0]
    assert "Tháng 03/2024" in periods and "Quý I/2024" in periods


def signed_in(served) -> urllib.request.OpenerDirector:
    """Return an opener signed in as staff (from its own address)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    _status, html, _ = get(served.path("/login"), opener, forwarded="198.51.100.9")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    body = urllib.parse.urlencode({"username": "thongke", "password": PASSWORD,
                                   "csrf_token": token}).encode()  # fmt: skip
    with opener.open(urllib.request.Request(served.path("/login"), data=body), timeout=60):
        pass
    return opener


def test_a_burst_from_one_address_gets_429_while_another_is_served(serve):
    served = serve(anonymous_burst=4, anonymous_per_minute=1, trusted_proxy="127.0.0.1")
    staff = signed_in(served)
    first, second = "203.0.113.5", "203.0.113.6"
    answers = [get(served.path("/board"), forwarded=first)[0] for _ in range(4)]
    assert answers == [200] * 4
    status, html, headers = get(served.path("/board/poster"), forwarded=first)
    assert status == 429 and "Quá nhiều yêu cầu" in html and int(headers["Retry-After"]) > 0
    assert get(served.path("/login"), forwarded=first)[0] == 429
    assert get(served.path("/board"), forwarded=second)[0] == 200
    # Only the proxy's last entry counts: a visitor cannot pick an address of their own.
    assert get(served.path("/board"), forwarded=f"10.9.9.9, {first}")[0] == 429
    for path in ("/board", "/summary?period=2024-03", "/devices"):
        assert get(served.path(path), staff, forwarded=first)[0] == 200, path


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(serve):
    served = serve(anonymous_burst=2, anonymous_per_minute=1)
    assert [get(served.path("/board"), forwarded=f"203.0.113.{n}")[0] for n in range(3)] == [
        200, 200, 429
    ]  # fmt: skip


def test_the_limiter_refills_and_forgets_the_oldest_addresses():
    moments = iter([0.0, 0.0, 0.5, 30.0])
    limiter = Limiter(per_minute=2, burst=2, clock=lambda: next(moments))
    assert [limiter.allow("a")[0] for _ in range(3)] == [True, True, False]
    assert limiter.allow("a") == (True, 0)  # a token came back after 30 s at 2 a minute
    assert proxy_options(WebSettings()) == {}  # no proxy named: X-Forwarded-For is never read
