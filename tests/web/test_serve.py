"""`hailong-collector web` serves the pages with waitress; its session key is made once, private."""

from __future__ import annotations

import stat
import urllib.request

import pytest

from hailong.server.broker.private import free_port
from hailong.server.web.auth import safe_next
from tests.support import wait_for


def test_the_web_command_serves_the_board(tmp_path, procs):
    port = free_port()
    key = tmp_path / "keys" / "web-secret.key"
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n'
                      f'[web]\nport = {port}\nsecret_key_file = "{key}"\n')  # fmt: skip
    procs.start("web", "hailong.server.cli", "--config", config, "web")
    wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz"), 30, "the web process")
    page = _get(f"http://127.0.0.1:{port}/")  # a visitor lands on the public board
    assert "Tỷ lệ hài lòng" in page and 'http-equiv="refresh"' in page
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64


@pytest.mark.parametrize(("target", "expected"), [
    ("/summary?period=2024-03", "/summary?period=2024-03"), ("//evil.example/x", "/"),
    ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
    ("", "/"), (None, "/"),
])  # fmt: skip
def test_after_login_only_local_pages_are_followed(served, target, expected):
    with served.app.test_request_context():
        assert safe_next(target) == expected


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None
