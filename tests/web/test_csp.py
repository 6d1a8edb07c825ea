"""Issue 13, finding 14: no page breaks its own Content-Security-Policy.

Chromium reports each blocked inline style, script or source both as a console message and as
a `securitypolicyviolation` event; either one fails the test, naming the page.
"""

from __future__ import annotations

from hailong.server.accounts import users as accounts
from hailong.server.web import NAV
from tests.web.conftest import PASSWORD, login

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) =>
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline")));
"""
PUBLIC = ["/login", "/board", "/board?period=2024-03", "/board/poster?period=2024-03"]
EXTRA = [
    "/summary?period=2024-03",
    "/admin/remarks?period=2024-03",
    "/admin/audit?entity=official",
    "/admin/dossiers?year=2024",
]


def staff_paths(app, official: bool = False) -> list[str]:
    """Return the navigation's pages for staff (or for an official), plus pages with a query."""
    with app.test_request_context():
        from flask import url_for

        # The province page needs several offices: test_province_page checks its policy.
        return [url_for(endpoint) for endpoint, _label, roles in NAV
                if ("official" in roles) == official and endpoint != "province.province"
                ] + ([] if official else EXTRA)  # fmt: skip


def test_no_page_breaks_its_content_security_policy(page, served):
    console = []
    page.on("console", lambda message: console.append((page.url, message.text)))
    page.add_init_script(LISTEN)
    seen = {}
    for path in PUBLIC:
        seen[path] = visit(page, served, path)
    login(page, served, "admin")
    for path in staff_paths(served.app):
        seen[path] = visit(page, served, path)
    with served.engine.begin() as conn:  # an official's own page too
        accounts.add_user(conn, "bich", PASSWORD, "official", "admin", official="cb-02")
    page.context.clear_cookies()
    login(page, served, "bich")
    for path in staff_paths(served.app, official=True):
        seen[path + "?official"] = visit(page, served, path + "?period=2024-03")
    blocked = [(url, text) for url, text in console if "Content Security Policy" in text]
    assert blocked == []
    assert {path: found for path, found in seen.items() if found} == {}
    assert len(seen) >= 15


def visit(page, served, path: str) -> list[str]:
    """Open a page, let it settle; return the violations it reported."""
    response = page.goto(served.path(path))
    assert response.status == 200, path
    page.wait_for_load_state("load")
    return page.evaluate("window.__violations")
