"""The files that cross between a commune and the province, and what is generated from them."""

import pytest

from hailong.protocol import ConfigFileError
from hailong.server.broker.accounts import fleet_acl
from hailong.server.broker.bridge import (
    BridgeBundle,
    Registration,
    acl_block,
    bridge_stanza,
    parse_bridge_bundle,
    parse_registration,
    up_prefix,
)

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "ab" * 32


def bundle(**changes) -> BridgeBundle:
    values = {"commune": "xa-a", "host": "tinh.example.vn", "port": 8883, "password": "pw-1",
              "ca_certificate": PEM, "devices": ("a1", "a2")}  # fmt: skip
    return BridgeBundle(**{**values, **changes})


def test_both_files_survive_a_round_trip():
    reg = Registration("xa-a", {"a2": KEY, "a1": "CD" * 32}, "2026-12-05T09:00:00+00:00")
    back = parse_registration(reg.to_toml().encode(), "reg")
    assert back.commune == "xa-a" and back.keys == {"a1": "cd" * 32, "a2": KEY}
    b = bundle(password='p"w\\x')
    assert parse_bridge_bundle(b.to_toml().encode(), "bundle") == b


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("registration = 2\ncommune = 'xa-a'\n[keys]\na1 = '" + KEY + "'\n", "registration"),
        ("registration = 1\ncommune = 'Xa A'\n[keys]\na1 = '" + KEY + "'\n", "commune"),
        ("registration = 1\ncommune = 'xa-a'\n[keys]\na1 = 'nothex'\n", "keys.a1"),
        ("registration = 1\ncommune = 'xa-a'\n[keys]\n'A/1' = '" + KEY + "'\n", "keys.A/1"),
        ("registration = 1\ncommune = 'xa-a'\n", "keys"),
        ("registration = 1\ncommune = 'xa-a'\nextra = 1\n[keys]\na1 = '" + KEY + "'\n", "extra"),
        ("registration = 1\ncommune = 'xa-a'\n[keys\n", "(syntax)"),
    ],
)
def test_a_bad_registration_names_the_key(text, key):
    with pytest.raises(ConfigFileError) as caught:
        parse_registration(text.encode(), "reg.toml")
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("port = 8883", "port = 0", "province.port"),
        ('host = "tinh.example.vn"', 'host = "a b"', "province.host"),
        ('password = "pw-1"', 'password = " pw"', "province.password"),
        ("-----BEGIN CERTIFICATE-----", "junk", "province.ca_certificate"),
        ('devices = ["a1", "a2"]', 'devices = ["a1", "collector"]', "devices"),
        ('devices = ["a1", "a2"]', "devices = []", "devices"),
        ("bridge = 1", "bridge = 3", "bridge"),
    ],
)
def test_a_bad_bundle_names_the_key(old, new, key):
    text = bundle().to_toml()
    assert old in text
    with pytest.raises(ConfigFileError) as caught:
        parse_bridge_bundle(text.replace(old, new).encode(), "bundle.toml")
    assert caught.value.key == key


def test_the_stanza_carries_each_kiosk_and_nothing_else():
    text = bridge_stanza(bundle(), "/etc/ca.crt", retry_max_s=5)
    topics = [line for line in text.splitlines() if line.startswith("topic ")]
    assert len(topics) == 10 and all(" a1/" in t or " a2/" in t for t in topics)
    assert "topic a1/ack in 1 hailong/up/v1/ hailong/v1/" in topics  # never into P/a1/ack
    assert not [
        t for t in topics if " in " in t and not t.startswith(("topic a1/ack", "topic a2/ack"))
    ]
    assert "address tinh.example.vn:8883" in text and "restart_timeout 1 5" in text
    assert "remote_username bridge.xa-a" in text and "remote_password pw-1" in text


def test_the_up_prefix_stays_outside_p():
    assert up_prefix("hailong/v1") == "hailong/up/v1"
    assert up_prefix("hailong") == "hailong-up"
    assert not up_prefix("a/b/c").startswith("a/b/")


def test_the_province_acl_gives_a_commune_its_kiosks_only():
    acl = fleet_acl(["q1"], communes={"xa-a": ("a1",), "xa-b": ("b1",)})
    block = acl.split("user bridge.xa-a\n", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines() == [
        "topic write hailong/v1/a1/press",
        "topic write hailong/v1/a1/status",
        "topic write hailong/v1/a1/health",
        "topic read hailong/v1/a1/ack",
    ]
    assert acl_block("xa-b", ["b1"]) in acl and "user q1\n" in acl
