"""Rehearsing kiosk registration in the demo: the page hands out a bundle the demo's broker accepts."""

from __future__ import annotations

import secrets
import threading

import paho.mqtt.client as paho
import pytest
from playwright.sync_api import expect

from hailong.protocol.bundle import parse_bundle
from hailong.server.broker.private import COLLECTOR_USER, Mosquitto
from hailong.server.config import load_config
from hailong.server.demo import write_configs
from hailong.server.demo_tls import demo_tls
from tests.web.conftest import login


@pytest.fixture
def demo(tmp_path):
    """Start the demo's broker (plain and TLS listeners) and write the demo's configuration."""
    folder = tmp_path / "demo"
    passwords = {COLLECTOR_USER: secrets.token_urlsafe(16)}
    broker = Mosquitto(folder / "broker", users=dict(passwords),
                       tls_listener=demo_tls(folder / "tls")).start()  # fmt: skip
    config = load_config(write_configs(folder, broker, 8080, passwords))
    yield broker, config
    broker.stop()


def connack(port: int, ca_file, user: str, password: str) -> int:
    """Connect over TLS as user and return the broker's CONNACK reason code (0: accepted)."""
    answered, codes = threading.Event(), []

    def on_connect(_client, _userdata, _flags, reason, _properties):
        codes.append(reason.value)
        answered.set()

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=user, protocol=paho.MQTTv5)
    client.tls_set(ca_certs=str(ca_file))
    client.username_pw_set(user, password)
    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert answered.wait(10), "the broker answered the connection"
    finally:
        client.loop_stop()
        client.disconnect()
    return codes[0]


def register(page, served, device: str) -> None:
    """Fill in the page's registration form and submit it."""
    page.goto(served.path("/admin/kiosks"))
    page.locator("#r-device").fill(device)
    page.locator("#r-counter").select_option("Q1")
    page.get_by_role("button", name="Tạo tài khoản và tải gói cài đặt").click()


def test_a_kiosk_registered_on_the_demo_s_page_is_accepted_by_the_demo_s_broker(
    page, serve, demo, tmp_path
):
    broker, config = demo
    served = serve(
        mqtt=config.mqtt, config_changes={"broker": config.broker, "ingest": config.ingest}
    )
    login(page, served)
    with page.expect_download() as download:
        register(page, served, "quay-9")
    bundle = parse_bundle(download.value.path().read_bytes(), "the downloaded bundle")
    assert (bundle.device, bundle.host, bundle.port) == ("quay-9", "127.0.0.1", broker.tls_port)
    ca_file = tmp_path / "bundle-ca.crt"
    ca_file.write_text(bundle.ca_certificate)
    assert connack(bundle.port, ca_file, "quay-9", bundle.password) == 0
    assert connack(bundle.port, ca_file, "quay-9", "not-its-password") != 0
    assert (config.ingest.keys_dir / "quay-9.key").exists()


def test_every_missing_setting_is_named_at_once_in_vietnamese(page, serve, tmp_path):
    served = serve()  # no [broker] or keys_dir: an office collector before its installation
    login(page, served)
    register(page, served, "quay-9")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Chưa đăng ký được kiosk")
    for part in ("broker.address: chưa đặt", "ingest.keys_dir: chưa đặt thư mục khóa ký",
                 "broker.ca_file: không đọc được chứng chỉ CA"):  # fmt: skip
        expect(alert).to_contain_text(part)
