"""A province's first day (deployment 1), with the commands docs/province.md gives and nothing else.

A fresh collector (the demo's TLS broker with per-kiosk accounts): the one office is made the
province, two communes added, the catalogue's field served in both, an official on duty at each
commune's counter, one kiosk registered per commune and provisioned from its bundle, ingest as its
own process, one simulated press per kiosk, `publish` on the 28th, then the province's account
signs in for the first time in Chromium, opens /province and a commune's summary from it.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import threading
from pathlib import Path

import pytest
import waitress
from playwright.sync_api import expect
from sqlalchemy import func, select

from hailong.server.broker.private import COLLECTOR_USER, Mosquitto
from hailong.server.config import load_config
from hailong.server.demo import write_configs
from hailong.server.demo_tls import demo_tls
from hailong.server.storage.db import open_database, presses
from hailong.server.web import create_app
from tests.support import wait_for
from tests.web.conftest import stop
from tests.web.test_first_day import OWN_PASSWORD, provision, run, this_period

ROOT = "tinh-ag"
COMMUNES = {"xa-an-binh": ("Xã An Bình", "ab-q1", "Nguyễn Thị Lan"),
            "xa-binh-my": ("Xã Bình Mỹ", "bm-q1", "Trần Văn Bình")}  # fmt: skip

pytestmark = pytest.mark.skipif(not Path("/usr/sbin/mosquitto").exists(), reason="needs mosquitto")


@pytest.fixture
def collector(tmp_path):
    """Start the broker (TLS listener, accounts, ACL); return the collector's configuration path."""
    folder = tmp_path / "province"
    passwords = {COLLECTOR_USER: secrets.token_urlsafe(16)}
    broker = Mosquitto(folder / "broker", users=dict(passwords),
                       tls_listener=demo_tls(folder / "tls")).start()  # fmt: skip
    yield write_configs(folder, broker, 8080, passwords)
    broker.stop()


def hc(config: Path, *args) -> str:
    """Run `hailong-collector --config … ARGS` as the technician would; return what it printed."""
    return run("hailong.server.cli", "--config", config, *args)


def set_up(config: Path, folder: Path) -> str:
    """Make the tree, the province's account, each commune's data and kiosk; return the password."""
    hc(config, "db", "upgrade")
    hc(config, "office", "set", "don-vi", "--kind", "province", "--new-code", ROOT,
       "--name", "Sở Nội vụ tỉnh An Giang")  # fmt: skip
    for code, (name, _kiosk, _official) in COMMUNES.items():
        hc(config, "office", "add", code, name, "--kind", "commune", "--parent", ROOT)
    hc(config, "office", "add", "xa-an-binh-2", "Điểm tiếp nhận số 2", "--kind", "site",
       "--parent", "xa-an-binh")  # fmt: skip
    said = hc(config, "user", "add", "quantri-tinh", "--role", "admin", "--office", ROOT)
    hc(config, "field", "add", "ho-tich", "Hộ tịch", "--office", ROOT)
    for code, (_name, kiosk, official) in COMMUNES.items():
        hc(config, "field", "enable", "ho-tich", "--office", code)
        hc(config, "official", "add", "cb-01", official, "--office", code)
        hc(
            config,
            "counter",
            "add",
            "Q1",
            "Quầy 1 - Hộ tịch",
            "--field",
            "ho-tich",
            "--office",
            code,
        )
        hc(config, "duty", "assign", "Q1", "cb-01", "--office", code)
        hc(config, "device", "add", kiosk, "--counter", "Q1", "--office", code,
           "-o", folder / f"{kiosk}-hailong.toml")  # fmt: skip
    tree = hc(config, "office", "list")
    assert re.search(rf"{ROOT}\s+province.*\n\s+xa-an-binh\s+commune.*\n\s+xa-an-binh-2\s+site",
                     tree), tree  # fmt: skip
    return re.search(r"shown only this once\): (\S+)", said).group(1)


def first_sign_in(page, url: str, one_time: str) -> None:
    """Sign in with the one-time password and choose an own one, as the pages demand."""
    page.goto(url + "/login")
    page.get_by_label("Tên đăng nhập").fill("quantri-tinh")
    page.get_by_label("Mật khẩu").fill(one_time)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mật khẩu hiện tại").fill(one_time)
    page.get_by_label(re.compile("^Mật khẩu mới")).fill(OWN_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator(".flash.info")).to_have_text("Đã đổi mật khẩu.")


def test_a_provinces_first_day_from_the_tree_to_the_province_page(browser, collector, procs,
                                                                  tmp_path):  # fmt: skip
    one_time = set_up(collector, tmp_path)
    config = load_config(collector)
    procs.start("ingest", "hailong.server.cli", "--config", collector, "ingest")
    wait_for(lambda: "connected to" in procs.log("ingest"), 30, "ingest connected")
    for _name, kiosk, _official in COMMUNES.values():
        bundle = tmp_path / f"{kiosk}-hailong.toml"
        path = provision(bundle.read_bytes(), tmp_path / kiosk, kiosk)
        bundle.unlink()  # the technician deletes the secret copy once it is on the SD card
        procs.start(kiosk, "hailong.device.cli", "--config", path, "run", "--headless",
                    "--simulate", 5, "--count", 1)  # fmt: skip
    engine = open_database(config.database)

    def stored() -> dict[str, int]:
        with engine.connect() as conn:
            return dict(conn.execute(select(presses.c.device, func.count())
                                     .group_by(presses.c.device)).all())  # fmt: skip

    try:
        wait_for(lambda: stored() == {"ab-q1": 1, "bm-q1": 1}, 60, "one press of each kiosk")
    finally:
        engine.dispose()

    label, day, _months = this_period(config)
    hc(collector, "publish", "--date", f"{day:%d/%m/%Y}", "--folder", tmp_path / "published")
    upward = tmp_path / "published" / ROOT / label / f"tong-hop-{label}.csv"
    rows = list(csv.DictReader(io.StringIO(upward.read_text(encoding="utf-8-sig"))))
    ratings = {
        r["row_key"]: r["value"] for r in rows if r["table"] == "P1" and r["column"] == "ratings"
    }
    assert ratings == {"xa-an-binh": "1", "xa-binh-my": "1", "province": "2"}

    server = waitress.create_server(create_app(config), host="127.0.0.1", port=0, threads=4,
                                    asyncore_loop_timeout=0.1)  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        url = f"http://127.0.0.1:{server.effective_port}"
        first_sign_in(page, url, one_time)
        page.goto(url + f"/province?period={label}&convention=cutoff")
        for code, (name, _kiosk, _official) in COMMUNES.items():
            expect(page.locator(f"#office-{code}")).to_contain_text(name)
        expect(page.locator("#offices tbody tr")).to_have_count(2)
        page.locator("#office-xa-binh-my").get_by_role("button", name="Xã Bình Mỹ").click()
        expect(page.get_by_label("Đơn vị")).to_have_value("xa-binh-my")
        expect(page.locator("#total")).to_have_text("1")
        expect(page.locator("main")).to_contain_text("Trần Văn Bình")  # B's official on duty
        expect(page.locator("main")).not_to_contain_text("Nguyễn Thị Lan")
    finally:
        page.context.close()
        stop(server, thread)
