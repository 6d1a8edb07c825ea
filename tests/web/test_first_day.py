"""Issue 14's proof: an office's first day, from the one-time password to the published PDF.

One journey on a fresh database, every part real: mosquitto with TLS and per-kiosk accounts
(the demo's broker), the pages served by waitress, the kiosk provisioned from the bundle the
page hands out and run as its own process (`run --headless`, keys on a pty), ingest as its own
process, `publish` from the command line as the report timer runs it, the PDF read by
pdftotext. Each step leaves a screenshot in docs/guides/img/, which the staff guide shows.
"""

from __future__ import annotations

import os
import pty
import re
import secrets
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import waitress
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from hailong.server.broker.private import COLLECTOR_USER, Mosquitto
from hailong.server.config import load_config
from hailong.server.demo import write_configs
from hailong.server.demo_tls import demo_tls
from hailong.server.storage.db import open_database, presses
from hailong.server.web import create_app
from tests.support import wait_for
from tests.web.conftest import stop

GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"
# The guides' pictures are made by this test, but rewritten only when asked
# (HAILONG_GUIDE_IMAGES=1 scripts/test tests/web/test_first_day.py): they show today's date, and
# an ordinary run must not leave the work tree changed. Otherwise they go to a scratch folder.
SHOTS = GUIDE_IMAGES if os.environ.get("HAILONG_GUIDE_IMAGES") == "1" else None
SCREEN = {"width": 1280, "height": 800}
OWN_PASSWORD = "mật-khẩu-riêng-của-quản-trị-2026"
REMARKS = "Quầy Hộ tịch đông vào sáng thứ Hai; đề nghị bố trí thêm một cán bộ."
CLOCK = r"\d\d:\d\d:\d\d "

pytestmark = pytest.mark.skipif(
    not all(map(Path.exists, (Path("/usr/sbin/mosquitto"), Path("/usr/bin/pdftotext")))),
    reason="needs mosquitto and pdftotext",
)


@pytest.fixture
def office(tmp_path):
    """Start the broker (TLS listener, accounts, ACL) and write the collector's configuration."""
    folder = tmp_path / "office"
    passwords = {COLLECTOR_USER: secrets.token_urlsafe(16)}
    broker = Mosquitto(folder / "broker", users=dict(passwords),
                       tls_listener=demo_tls(folder / "tls")).start()  # fmt: skip
    yield broker, folder / "collector.toml", write_configs(folder, broker, 8080, passwords)
    broker.stop()


@pytest.fixture
def web(office):
    """Serve the pages of the fresh database with waitress on a free loopback port."""
    _broker, _path, config_path = office
    config = load_config(config_path)
    open_database(config.database).dispose()  # what `db upgrade` does at installation
    server = waitress.create_server(create_app(config), host="127.0.0.1", port=0, threads=4,
                                    asyncore_loop_timeout=0.1)  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", config
    stop(server, thread)


def shot(page, number: int, step: str) -> None:
    """Save the screen as <nn>-<step>.png (docs/guides/img when asked), a small palette PNG."""
    folder = SHOTS or Path(tempfile.gettempdir()) / "hailong-first-day"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{number:02d}-{step}.png"
    page.screenshot(path=str(path))
    # A 64-colour palette keeps text sharp and each image a few tens of kB in git.
    image = Image.open(path).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)


def run(*args, stdin: str = "") -> str:
    """Run a hailong command as the technician would; return what it printed."""
    done = subprocess.run([sys.executable, "-m", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def first_account(config_path: Path) -> str:
    """Create the first admin as the installer does; return its one-time password."""
    said = run("hailong.server.cli", "--config", config_path, "user", "add", "quantri",
               "--role", "admin")  # fmt: skip
    return re.search(r"shown only this once\): (\S+)", said).group(1)


def sign_in(page, url: str, one_time: str) -> None:
    """Sign in with the one-time password and choose an own one, as the page demands."""
    page.goto(url + "/login")
    page.get_by_label("Tên đăng nhập").fill("quantri")
    page.get_by_label("Mật khẩu").fill(one_time)
    shot(page, 1, "dang-nhap")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    page.get_by_label("Mật khẩu hiện tại").fill(one_time)
    page.get_by_label(re.compile("^Mật khẩu mới")).fill(OWN_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(OWN_PASSWORD)
    shot(page, 2, "doi-mat-khau")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator(".flash.info")).to_have_text("Đã đổi mật khẩu.")


def add_entry(page, url: str, path: str, code: str, name: str, field: str | None = None) -> None:
    """Add one row on a reference page (fields, officials, counters) and see it listed."""
    page.goto(url + path)
    page.get_by_label("Mã", exact=True).fill(code)
    page.get_by_label("Tên", exact=True).fill(name)
    if field:
        page.locator("#new-field").select_option(field)
    page.get_by_role("button", name="Thêm", exact=True).click()
    expect(page.get_by_role("row", name=code)).to_be_visible()


def reference_data(page, url: str) -> None:
    """Enter a field, two officials, a counter serving the field, and who is on duty there."""
    add_entry(page, url, "/admin/fields", "ho-tich", "Hộ tịch")
    shot(page, 3, "linh-vuc")
    add_entry(page, url, "/admin/officials", "cb-01", "Nguyễn Thị Lan")
    add_entry(page, url, "/admin/officials", "cb-02", "Trần Văn Bình")
    shot(page, 4, "can-bo")
    add_entry(page, url, "/admin/counters", "Q1", "Quầy 1 - Hộ tịch", field="ho-tich")
    shot(page, 5, "quay")
    page.goto(url + "/admin/duty")
    duty = page.locator("section.duty", has_text="Quầy 1 - Hộ tịch")
    duty.get_by_label("Cán bộ").select_option("cb-01")
    duty.get_by_role("button", name="Phân công").click()
    expect(duty.locator(".on-duty")).to_have_text("Nguyễn Thị Lan")
    shot(page, 6, "phan-cong")


def register_kiosk(page, url: str) -> bytes:
    """Register kiosk quay-1 at counter Q1 from the fleet page; return the bundle downloaded."""
    page.goto(url + "/devices")
    page.get_by_role("link", name=re.compile("^Quản lý kiosk")).click()
    page.locator("#r-device").fill("quay-1")
    page.locator("#r-counter").select_option("Q1")
    shot(page, 7, "dang-ky-kiosk")
    with page.expect_download() as download:
        page.get_by_role("button", name="Tạo tài khoản và tải gói cài đặt").click()
    assert download.value.suggested_filename == "quay-1-hailong.toml"
    return download.value.path().read_bytes()


def provision(bundle: bytes, folder: Path, kiosk: str = "quay-1") -> Path:
    """Install the bundle as the SD card's first boot does; return a runnable kiosk.toml."""
    boot, root = folder / "boot", folder / "root"
    boot.mkdir(parents=True)
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "group").write_text(f"root:x:0:\nhailong:x:{os.getgid()}:\n")
    (root / "etc" / "hostname").write_text("raspberrypi\n")
    (root / "etc" / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
    (boot / "hailong.toml").write_bytes(bundle)
    assert f"provisioned {kiosk}" in run("hailong.device.cli", "provision", "--boot", boot,
                                       "--root", root)  # fmt: skip
    etc = root / "etc" / "hailong"
    text = (etc / "kiosk.toml").read_text().replace('"/etc/hailong', f'"{etc}')
    text = text.replace('"/var/lib/hailong"', f'"{folder / "state"}"')
    config = folder / "kiosk.toml"
    config.write_text(text)
    return config


@contextmanager
def kiosk_running(procs, kiosk_config: Path):
    """Run the kiosk headless on a terminal; yield a function pressing a key; quit with q."""
    parent, child = pty.openpty()
    try:
        kiosk = procs.start("quay-1", "hailong.device.cli", "--config", kiosk_config, "run",
                            "--headless", stdin=child)  # fmt: skip
        wait_for(lambda: "Sẵn sàng: phím 1–4" in procs.log("quay-1"), 30, "the kiosk ready")
        # A press made before the collector's Config arrives names no field: wait for it, as a
        # technician reads it on the terminal.
        wait_for(lambda: "lĩnh vực Hộ tịch" in procs.log("quay-1"), 30, "the collector's settings")
        yield lambda key: os.write(parent, key.encode())
        os.write(parent, b"q")
        assert kiosk.wait(15) == 0, "q quits cleanly"
    finally:
        os.close(parent)
        os.close(child)


def press_and_see(page, url: str, press, procs, engine) -> None:
    """Press button 1 (Rất hài lòng); the devices page shows the kiosk, the summary the rating."""
    press("1")
    wait_for(lambda: re.search(CLOCK + r"seq 1 đã xác nhận\n", procs.log("quay-1")), 30,
             "the collector's ack")  # fmt: skip
    with engine.connect() as conn:
        stored = conn.execute(select(presses.c.device, presses.c.rating, presses.c.field)).all()
    assert [tuple(r) for r in stored] == [("quay-1", 4, "ho-tich")]
    page.goto(url + "/devices")
    row = page.get_by_role("row", name=re.compile("quay-1"))
    expect(row).to_contain_text("Q1")
    expect(row).to_contain_text("Trực tuyến")
    expect(row).to_contain_text("/ 1")
    shot(page, 8, "thiet-bi")
    page.goto(url + "/summary")
    expect(page.locator("#total")).to_have_text("1")
    expect(page.locator("#rate")).to_have_text("100,0%")
    shot(page, 9, "tong-hop")


def dossiers_and_remarks(page, url: str, folder: Path, label: str, months: list[str]) -> None:
    """Upload the month's dossier counts as a file, then write the period's remarks."""
    counts = folder / "ho-so.csv"
    counts.write_text("Lĩnh vực;Tháng;Số hồ sơ đã giải quyết\n"
                      + "".join(f"Hộ tịch;{m};4\n" for m in months), encoding="utf-8")  # fmt: skip
    page.goto(url + "/admin/dossiers")
    page.get_by_label("Tệp (.csv, .xlsx)").set_input_files(str(counts))
    page.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã nhập {len(months)} dòng")
    shot(page, 10, "ho-so")
    page.goto(url + f"/admin/remarks?period={label}")
    page.get_by_label("Nội dung (in ở mục D của báo cáo)").fill(REMARKS)
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_label("Nội dung (in ở mục D của báo cáo)")).to_have_value(REMARKS)
    shot(page, 11, "nhan-xet")


def this_period(config) -> tuple[str, date, list[str]]:
    """Return today's cut-off month label, its publication day, and the months it touches."""
    today = datetime.now(ZoneInfo(config.time_zone)).date()
    # Months close on the 14th: from the 15th on, a day belongs to next month's period.
    first = today.replace(day=1) + timedelta(days=31) if today.day >= 15 else today
    month = first.replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    return f"{month:%Y-%m}", month.replace(day=28), [f"{m:%m/%Y}" for m in (before, month)]


def publish_and_read(page, url: str, config_path: Path, folder: Path, label: str,
                     day: date) -> str:  # fmt: skip
    """Publish as the report timer does, show the board, and return the page's PDF as text."""
    run("hailong.server.cli", "--config", config_path, "publish", "--date", f"{day:%d/%m/%Y}",
        "--folder", folder / "published")  # fmt: skip
    page.goto(url + f"/board?period={label}")
    expect(page.locator("#published")).to_contain_text("Số liệu đã công bố ngày")
    expect(page.locator("#total")).to_have_text("1")
    shot(page, 12, "bang-cong-khai")
    page.goto(url + f"/summary?period={label}&convention=cutoff")
    shot(page, 13, "tai-bao-cao")
    with page.expect_download() as download:
        page.locator(".downloads").get_by_role("link", name="PDF").click()
    pdf = folder / "bao-cao.pdf"
    download.value.save_as(pdf)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout  # fmt: skip


def test_the_first_day_from_installation_to_the_published_report(browser, office, web, procs,
                                                                 tmp_path):  # fmt: skip
    broker, config_path, _ = office
    url, config = web
    engine = open_database(config.database)
    page = browser.new_context(viewport=SCREEN, accept_downloads=True).new_page()
    try:
        sign_in(page, url, first_account(config_path))
        reference_data(page, url)
        kiosk_config = provision(register_kiosk(page, url), tmp_path / "kiosk")
        procs.start("ingest", "hailong.server.cli", "--config", config_path, "ingest")
        wait_for(lambda: "connected to" in procs.log("ingest"), 30, "ingest connected")
        with kiosk_running(procs, kiosk_config) as press:
            press_and_see(page, url, press, procs, engine)
        label, day, months = this_period(config)
        dossiers_and_remarks(page, url, tmp_path, label, months)
        text = publish_and_read(page, url, config_path, tmp_path, label, day)
    finally:
        page.context.close()
        engine.dispose()
    flat = " ".join(text.split())
    for expected in ("ỦY BAN NHÂN DÂN XÃ AN BÌNH", "Nguyễn Thị Lan", "Hộ tịch", REMARKS,
                     "Nguyễn Văn Minh"):  # fmt: skip
        assert expected in flat, expected
    assert re.search(r"Rất hài lòng\s+1\b", text), "the one rating, counted where it belongs"
