"""Staff work through Chromium: sign in, read the month, change duty, enter dossiers, download."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from hailong.protocol.bundle import parse_bundle
from hailong.server.config import BrokerSettings, IngestSettings, MqttSettings
from hailong.server.reference import catalogue as reference
from hailong.server.reporting.publish import publish
from hailong.server.storage.db import device_counters, devices, dossier_counts, duty
from tests.support import kiosk_toml, wait_for
from tests.web.conftest import PASSWORD, SETTINGS, login

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def test_sign_in_lands_on_the_month_asked_for(page, served):
    page.goto(served.path("/summary?period=2024-03"))
    expect(page).to_have_url(served.path("/login?next=/summary?period%3D2024-03"))
    page.get_by_label("Tên đăng nhập").fill("leader")
    page.get_by_label("Mật khẩu").fill("not the password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Kết quả khảo sát: Tháng 03/2024")
    # The figures of tests/server/report_world.py, worked out by hand there.
    expect(page.locator("#total")).to_have_text("32")
    expect(page.locator("#rate")).to_have_text("84,4%")
    expect(page.get_by_text("còn thiếu 1 lượt")).to_have_count(2)  # Hộ tịch at 80%, Đất đai at 75%
    expect(page.get_by_role("row", name="Nguyễn Văn An")).to_contain_text("90,9%")
    expect(page.get_by_role("row", name="Trần Thị Bích")).to_contain_text("Chưa đủ mẫu")
    # A leader sees no administration.
    expect(page.get_by_role("link", name="Phân công")).to_have_count(0)
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("status")).to_have_text("Đã đăng xuất.")


def test_period_chooser_and_english(page, served):
    login(page, served, "leader")
    page.goto(served.path("/summary?period=2024-03"))
    page.get_by_label("Từ ngày").fill("01/03/2024")
    page.get_by_label("Đến ngày").fill("10/03/2024")
    page.get_by_role("button", name="Xem khoảng này").click()
    expect(page.locator(".lead")).to_contain_text("Từ ngày 01/03/2024 đến ngày 10/03/2024")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Survey results: 01/03/2024 – 10/03/2024")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Period boundaries").select_option("cutoff")
    page.get_by_label("Period", exact=True).select_option("2024-Q1")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("h1")).to_have_text("Survey results: Quarter I 2024")
    expect(page.locator(".lead")).to_contain_text("From 15/12/2023 to 14/03/2024")


def test_duty_change_reaches_the_kiosk_through_mosquitto(page, serve, broker, procs, tmp_path):
    served = serve(mqtt=MqttSettings(port=broker.port))
    with served.engine.begin() as conn:
        reference.set_device_counter(conn, "k7", "Q1", "technician")
    kiosk = procs.start("k7", "hailong.device.cli", "--config", kiosk_toml(tmp_path, broker, "k7"),
                        "run", "--headless")  # fmt: skip
    wait_for(lambda: "connected to the broker" in procs.log("k7"), 20, "k7 to connect")
    login(page, served, "thongke")
    page.get_by_role("link", name="Phân công").click()
    counter = page.get_by_role("region", name="Quầy 1 Q1")
    counter.get_by_label("Cán bộ").select_option("cb-02")
    counter.get_by_role("button", name="Phân công").click()
    expect(page.get_by_role("status").filter(has_text="Trần Thị Bích")).to_have_text(
        "Đã phân công Trần Thị Bích tại quầy Q1."
    )
    expect(page.get_by_role("status").filter(has_text="k7")).to_have_text(
        "Đã gửi cấu hình mới tới kiosk k7."
    )
    expect(page.get_by_role("region", name="Quầy 1 Q1").locator(".on-duty")).to_have_text(
        "Trần Thị Bích"
    )
    saved = tmp_path / "k7" / "collector-config.json"
    wait_for(
        lambda: saved.exists() and "cb-02" in saved.read_text(), 20, "k7 to receive its Config"
    )
    assert json.loads(saved.read_text())["official_name"] == "Trần Thị Bích"
    assert procs.stop(kiosk) == 0


def test_duty_is_kept_and_the_user_warned_when_the_broker_is_away(page, served):
    with served.engine.begin() as conn:
        reference.set_device_counter(conn, "k1", "Q1", "technician")
    login(page, served, "thongke")
    page.goto(served.path("/admin/duty"))
    counter = page.get_by_role("region", name="Quầy 1 Q1")
    counter.get_by_label("Cán bộ").select_option("cb-03")
    counter.get_by_role("button", name="Phân công").click()
    expect(page.get_by_role("alert")).to_contain_text("chưa gửi được tới kiosk k1")
    with served.engine.connect() as conn:
        open_duty = conn.execute(select(duty.c.official).where(duty.c.counter == "Q1",
                                                               duty.c.end_ms.is_(None))).scalar()  # fmt: skip
        config = conn.execute(select(devices.c.config).where(devices.c.device == "k1")).scalar()
    assert open_duty == "cb-03" and json.loads(config)["official"] == "cb-03"


def test_dossier_counts_by_hand_and_by_file(page, served, tmp_path):
    login(page, served, "thongke")
    page.goto(served.path("/admin/dossiers?year=2024"))
    page.get_by_label("Lĩnh vực", exact=True).select_option("dat-dai")
    page.get_by_label("Tháng", exact=True).fill("04/2024")
    page.get_by_label("Số hồ sơ đã giải quyết", exact=True).fill("12")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_have_text("Đã lưu số hồ sơ.")
    good = tmp_path / "ho-so-2024.csv"
    good.write_text("Lĩnh vực;Tháng;Số hồ sơ đã giải quyết\nHộ tịch;04/2024;31\nChứng thực;2024-04;1.204\n",
                    encoding="utf-8")  # fmt: skip
    page.get_by_label("Tệp (.csv, .xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_role("status")).to_have_text("Đã nhập 2 dòng: 2 thay đổi, 0 giữ nguyên.")
    expect(page.get_by_role("row", name="Chứng thực")).to_contain_text("1.204")
    bad = tmp_path / "sai.csv"
    bad.write_text(
        "Lĩnh vực,Tháng,Số hồ sơ đã giải quyết\nHộ tịch,05/2024,-3\nKhông có,05/2024,4\n"
    )
    page.get_by_label("Tệp (.csv, .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_role("alert").first).to_have_text("Tệp có 2 lỗi; chưa nhập dòng nào:")
    with served.engine.connect() as conn:
        stored = dict(conn.execute(select(dossier_counts.c.field, dossier_counts.c.resolved)
                                   .where(dossier_counts.c.month == "2024-04")).all())  # fmt: skip
    assert stored == {"dat-dai": 12, "ho-tich": 31, "chung-thuc": 1204}


def test_xlsx_download_reads_back_with_the_page_numbers(page, served, tmp_path):
    login(page, served, "leader")
    page.goto(served.path("/summary?period=2024-03"))
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename == "bao-cao-hai-long-2024-03.xlsx"
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True) if "Tổng cộng" in row]
    assert len(rows) == 1 and 32 in rows[0]  # ratings, as on the page
    measured = [
        row for row in sheet.iter_rows(values_only=True) if row[1] and "lĩnh vực đạt" in row[1]
    ]
    assert (
        len(measured) == 1 and 38 in measured[0] and 31 in measured[0]
    )  # the fields with dossiers


def publish_march(served, folder: Path) -> None:
    """Publish March 2024 (and Quarter I): the board shows published periods only."""
    publish(served.engine, date(2024, 4, 28), folder, SETTINGS, convention="calendar")


def test_public_board_needs_no_login_and_shows_aggregates_only(page, serve, tmp_path):
    served = serve(board_officials=False)
    publish_march(served, tmp_path / "published")
    page.goto(served.path("/"))
    expect(page).to_have_url(served.path("/board"))
    page.goto(served.path("/board?period=2024-03"))
    expect(page.locator("#rate")).to_have_text("84,4%")
    expect(page.locator("#total")).to_have_text("32")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_attribute("content", "60")
    expect(page.get_by_text("Nguyễn Văn An")).to_have_count(0)
    page.goto(served.path("/board/poster?period=2024-03"))
    expect(page.locator("h1")).to_contain_text("KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG")
    expect(page.get_by_text("Nguyễn Văn An")).to_have_count(0)


def test_board_shows_officials_with_enough_ratings_when_allowed(page, serve, tmp_path):
    served = serve(board_officials=True, board_refresh_s=30)
    publish_march(served, tmp_path / "published")
    page.goto(served.path("/board?period=2024-03"))
    expect(page.get_by_role("row", name="Nguyễn Văn An")).to_contain_text("90,9%")
    expect(page.get_by_text("Trần Thị Bích")).to_have_count(0)  # 5 ratings: held back
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_attribute("content", "30")


def test_admin_registers_a_kiosk_and_downloads_its_bundle(page, serve, tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text(CERTIFICATE)
    broker = BrokerSettings(address="10.0.0.2", ca_file=ca, password_file=tmp_path / "passwd",
                            acl_file=tmp_path / "acl", systemd=False)  # fmt: skip
    served = serve(config_changes={"broker": broker,
                                   "ingest": IngestSettings(keys_dir=tmp_path / "keys")})  # fmt: skip
    login(page, served, "admin")
    page.goto(served.path("/admin/kiosks"))
    form = page.locator("form", has=page.get_by_role("button", name="Tạo tài khoản và tải gói"))
    form.get_by_label("Mã kiosk").fill("k8")
    form.get_by_label("Quầy").select_option("Q2")
    with page.expect_download() as download:
        form.get_by_role("button").click()
    assert download.value.suggested_filename == "k8-hailong.toml"
    bundle = parse_bundle(Path(download.value.path()).read_bytes(), "download")
    assert (bundle.device, bundle.host) == ("k8", "10.0.0.2")
    assert (tmp_path / "keys" / "k8.key").read_text().strip() == bundle.signing_key
    assert "k8:" in (tmp_path / "passwd").read_text()  # hashed by mosquitto_passwd
    with served.engine.connect() as conn:
        assert conn.execute(select(device_counters.c.counter)
                            .where(device_counters.c.device == "k8")).scalar() == "Q2"  # fmt: skip
    page.goto(served.path("/admin/kiosks"))  # registering again needs "new credentials"
    form.get_by_label("Mã kiosk").fill("k8")
    form.get_by_role("button").click()
    expect(page.get_by_role("alert").filter(has_text="Kiosk k8 đã được đăng ký")).to_be_visible()

    page.get_by_label("Kiosk cần thu hồi").select_option("k8")
    page.get_by_role("button", name="Thu hồi…").click()
    page.get_by_role("button", name="Xác nhận thu hồi k8").click()
    expect(page.get_by_role("status").filter(has_text="Đã thu hồi kiosk k8")).to_be_visible()
    assert "k8:" not in (tmp_path / "passwd").read_text()
    assert not (tmp_path / "keys" / "k8.key").exists(), "the key is retired, kept aside"
    with served.engine.connect() as conn:
        assert conn.execute(select(device_counters.c.counter)
                            .where(device_counters.c.device == "k8")).scalar() is None  # fmt: skip
