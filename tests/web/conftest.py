"""Web fixtures: the app served by waitress on a free loopback port, and Debian's Chromium.

Each test gets a fresh SQLite database holding the small office of tests/server/report_world.py
(March 2024, worked out by hand) and three accounts, one per role.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import waitress
from argon2 import PasswordHasher
from playwright.sync_api import sync_playwright
from sqlalchemy import insert

from hailong.server.config import CollectorConfig, MqttSettings, WebSettings
from hailong.server.epoch import now_ms
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.db import devices, open_database
from hailong.server.storage.schema import users
from hailong.server.web import create_app
from hailong.server.web.ratelimit import proxy_options
from tests.server.report_world import build_world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PASSWORD = "mật-khẩu-đủ-dài-2024"
PASSWORD_HASH = PasswordHasher().hash(PASSWORD)
USERS = {"admin": "admin", "leader": "leader", "thongke": "staff"}
SETTINGS = ReportSettings(
    time_zone="Asia/Ho_Chi_Minh",
    unit_name="Ủy ban nhân dân xã An Bình",
    place="An Bình",
    min_sample=10,
)
DESKTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).parent / "screenshots"


@dataclass
class Served:
    """A running web app: its base URL, its app object and its database engine."""

    url: str
    app: object
    engine: object
    config: CollectorConfig

    def path(self, path: str) -> str:
        """Return the absolute URL of a path on this server."""
        return self.url + path


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's Chromium once for the whole session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def serve(tmp_path):
    """Return a function that starts the app (waitress, 4 threads) for a config; stop at the end."""
    servers = []

    def start(mqtt: MqttSettings | None = None, config_changes: dict | None = None,
              **web) -> Served:  # fmt: skip
        config = CollectorConfig(
            database=f"sqlite:///{tmp_path / 'collector.db'}",
            mqtt=mqtt or MqttSettings(port=1),  # no broker: pushes fail fast, with a warning
            web=WebSettings(secret_key_file=tmp_path / "web-secret.key", **web),
            **(config_changes or {}),
        )
        engine = open_database(config.database)
        build_world(engine)
        add_fleet(engine)
        app = create_app(config, settings=replace(SETTINGS, time_zone=config.time_zone))
        add_accounts(engine)
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4,
                                        asyncore_loop_timeout=0.1,
                                        **proxy_options(config.web))  # fmt: skip
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread, engine))
        return Served(f"http://127.0.0.1:{server.effective_port}", app, engine, config)

    yield start
    for server, thread, engine in servers:
        stop(server, thread)
        engine.dispose()


def stop(server, thread: threading.Thread) -> None:
    """Stop waitress from its own loop thread (closing its sockets from here races select)."""

    def close_all():
        for dispatcher in list(server._map.values()):
            if dispatcher not in (server, server.trigger):
                dispatcher.close()
        server.close()  # the listening socket and the trigger: the loop's map is now empty

    server.trigger.pull_trigger(close_all)
    thread.join(10)
    server.task_dispatcher.shutdown()


@pytest.fixture
def served(serve) -> Served:
    """The app without a broker."""
    return serve()


@pytest.fixture
def page(browser, serve):
    """A fresh browser tab (its own cookies) at desktop size, closed before the servers stop."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def add_accounts(engine) -> None:
    """Add one account per role, all with PASSWORD (hashed once: argon2 is slow on purpose)."""
    now = now_ms()
    with engine.begin() as conn:
        conn.execute(insert(users), [
            {"username": name, "name": f"Người {name}", "password_hash": PASSWORD_HASH, "role": role,
             "active": True, "created_ms": now, "changed_ms": now} for name, role in USERS.items()
        ])  # fmt: skip


def add_fleet(engine) -> None:
    """Give the office three kiosks: k1 healthy, k2 offline with a fault, k3 never reported."""
    now = now_ms()
    health = {
        "v": 1,
        "session": 3,
        "version": "0.1.0",
        "uptime": 3600,
        "backlog": 0,
        "last_seq": 24,
        "synced": True,
        "anchor": None,
        "suppressed": 2,
        "faults": [],
    }
    sick = {**health, "backlog": 7, "last_seq": 17, "synced": False, "faults": ["button-2-stuck"]}
    with engine.begin() as conn:
        conn.execute(insert(devices), [
            {"device": "k1", "acked_upto": 24, "first_seen_ms": now - 86_400_000, "last_seen_ms": now - 30_000,
             "state": "online", "state_session": 3, "state_since_ms": now - 3_600_000, "health": json.dumps(health)},
            {"device": "k2", "acked_upto": 10, "first_seen_ms": now - 86_400_000, "last_seen_ms": now - 7_200_000,
             "state": "offline", "state_session": 5, "state_since_ms": now - 7_200_000, "health": json.dumps(sick)},
            {"device": "k3", "acked_upto": 5, "first_seen_ms": None, "last_seen_ms": None, "state": None,
             "state_session": None, "state_since_ms": None, "health": None},
        ])  # fmt: skip


def login(page, served: Served, username: str = "admin", password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto(served.path("/login"))
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/web/screenshots (git-ignored) to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
