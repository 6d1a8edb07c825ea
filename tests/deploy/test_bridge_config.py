"""A commune broker bridged to the province's, set up only by the `bridge` commands.

Both brokers run as Debian runs them (test_broker_config.debian_main_conf): the province with
the collector's generated config, accounts and ACL plus what `bridge add` wrote; the commune
with its own, plus the stanza `bridge config` wrote into conf.d. TLS on the bridge link, with a
CA made by openssl. Loopback only, free ports, brokers killed by PID.
"""

from __future__ import annotations

import shutil
import stat
import time

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select

from hailong.protocol import Topics
from hailong.protocol.bundle import parse_bundle
from hailong.server.broker.bridge import parse_bridge_bundle, parse_registration, state_topic
from hailong.server.broker.private import free_port
from hailong.server.cli import main
from hailong.server.storage import db
from hailong.server.storage.db import open_database
from tests.deploy.conftest import write_collector
from tests.deploy.test_broker_config import debian_main_conf, start
from tests.support import wait_for

P = Topics()
UP = "hailong/up/v1"
pytestmark = pytest.mark.skipif(not shutil.which("mosquitto_passwd"), reason="needs mosquitto")


def cli(config, *args) -> int:
    return main(["--config", str(config), *map(str, args), "--actor", "test"])


def commune(tmp_path, tls, name: str, kiosks: dict[str, str]):
    """A commune collector with its kiosks provisioned (device add); return (collector, passwords)."""
    c = write_collector(tmp_path / name, tls, port=free_port())
    passwords = {}
    for device, counter in kiosks.items():
        assert cli(c.path, "counter", "add", counter, f"Quầy {counter}") == 0
        bundle = tmp_path / name / f"{device}.toml"
        assert cli(c.path, "device", "add", device, "--counter", counter, "-o", bundle) == 0
        passwords[device] = parse_bundle(bundle.read_bytes(), "bundle").password
    return c, passwords


def client(port: int, user: str, password: str, *, ca=None):
    """Connect an MQTT 5 client and return it once the broker answered (with its CONNACK)."""
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"{user}-{time.monotonic_ns()}",
                    protocol=paho.MQTTv5, reconnect_on_failure=False)  # fmt: skip
    c.username_pw_set(user, password)
    if ca is not None:
        c.tls_set(ca_certs=str(ca))
    answers, c.messages = [], []
    c.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason)
    c.on_message = lambda _c, _u, m: c.messages.append(m)
    c.subscribed = []
    c.on_subscribe = lambda _c, _u, mid, _r, _p: c.subscribed.append(mid)
    c.connect("127.0.0.1", port)
    c.loop_start()
    wait_for(lambda: answers, 10, f"{user}'s CONNACK")
    c.reason = answers[0]
    return c


def subscribe(c, topics) -> None:
    """Subscribe and wait for the SUBACK."""
    _, mid = c.subscribe(topics)
    wait_for(lambda: mid in c.subscribed, 10, "the SUBACK")


def publish_reason(c, topic: str, payload: bytes = b"{}", properties=None) -> int:
    reasons = []
    c.on_publish = lambda _c, _u, _mid, reason, _p: reasons.append(reason.value)
    c.publish(topic, payload, qos=1, properties=properties).wait_for_publish(10)
    wait_for(lambda: reasons, 10, "the PUBACK")
    return reasons[0]


@pytest.fixture
def setup(tmp_path, tls):
    """Province and commune xa-a (k1, k2) bridged by the commands; commune xa-b (k3) added."""
    ptls, plocal = free_port(), free_port()
    province = write_collector(tmp_path / "province", tls, port=ptls,
                               pid_file=str(tmp_path / "province" / "mosquitto.pid"))  # fmt: skip
    pmain = debian_main_conf(tmp_path / "province", province.config, plocal)
    a, a_passwords = commune(tmp_path, tls, "xa-a", {"k1": "Q1", "k2": "Q2"})
    b, _ = commune(tmp_path, tls, "xa-b", {"k3": "Q1"})
    alocal = free_port()
    amain = debian_main_conf(tmp_path / "xa-a", a.config, alocal)
    for folder in (province.folder, a.folder):  # the same test CA signed both brokers' certificate
        shutil.copy(tls.cert, folder / "broker" / "broker.crt")
        shutil.copy(tls.key, folder / "broker" / "broker.key")
    for c, name in ((a, "xa-a"), (b, "xa-b")):
        assert cli(c.path, "bridge", "export", name, "-o", tmp_path / f"{name}.reg") == 0
        out = tmp_path / f"{name}.bundle"
        assert cli(province.path, "bridge", "add", tmp_path / f"{name}.reg", "-o", out) == 0
    stanza = tmp_path / "xa-a" / "conf.d" / "hailong.upward.conf"
    assert cli(a.path, "bridge", "config", tmp_path / "xa-a.bundle", "-o", stanza) == 0
    processes = [start(pmain, ptls, plocal), start(amain, a.config.broker.port, alocal)]
    yield {"tmp": tmp_path, "province": province, "a": a, "b": b, "ptls": ptls,
           "plocal": plocal, "alocal": alocal, "a_passwords": a_passwords, "tls": tls}  # fmt: skip
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_the_files_that_travel_are_secret_and_carry_the_kiosks_keys(setup):
    tmp, province = setup["tmp"], setup["province"]
    for name in ("xa-a.reg", "xa-a.bundle", "xa-b.reg", "xa-b.bundle"):
        assert stat.S_IMODE((tmp / name).stat().st_mode) == 0o600, name
    reg = parse_registration((tmp / "xa-a.reg").read_bytes(), "reg")
    assert sorted(reg.keys) == ["k1", "k2"]
    for device, key in reg.keys.items():  # the province verifies each kiosk with its own key
        assert (province.folder / "keys" / f"{device}.key").read_text().strip() == key
        assert (tmp / "xa-a" / "keys" / f"{device}.key").read_text().strip() == key
    bundle = parse_bridge_bundle((tmp / "xa-a.bundle").read_bytes(), "bundle")
    assert bundle.devices == ("k1", "k2") and bundle.port == setup["ptls"]
    stanza = (tmp / "xa-a" / "conf.d" / "hailong.upward.conf").read_text()
    for line in ("bridge_protocol_version mqttv50", "cleansession false", "bridge_insecure false",
                 f"topic k1/ack in 1 {UP}/ hailong/v1/", f"topic k2/press out 1 {UP}/ hailong/v1/",
                 "topic k1/press out 1 hailong/v1/ hailong/v1/"):  # fmt: skip
        assert line in stanza.splitlines(), line
    # Only the commune's own kiosks are bridged (by topic: a random password may contain "k3").
    assert not [line for line in stanza.splitlines() if "k3/" in line]


def test_presses_go_up_signed_and_acks_come_down_remapped(setup):
    province_pw = "collector-secret"
    watch = client(setup["alocal"], "collector", "collector-secret")
    subscribe(watch, [(state_topic(), 1), (f"{UP}/+/ack", 1), (P.all_of("ack"), 1)])
    wait_for(lambda: any(m.payload == b"1" for m in watch.messages), 20, "the bridge to come up")
    prov = client(setup["plocal"], "collector", province_pw)
    subscribe(prov, [(P.all_of("press"), 1)])
    k1 = client(setup["alocal"], "k1", setup["a_passwords"]["k1"])
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = ("sig", "ab" * 32)
    assert publish_reason(k1, P.press("k1"), b'{"seq":1}', props) == 0
    wait_for(lambda: prov.messages, 20, "the press at the province")
    [up] = prov.messages
    assert (up.topic, up.payload, up.properties.UserProperty) == (
        P.press("k1"), b'{"seq":1}', [("sig", "ab" * 32)])  # fmt: skip
    prov.publish(P.ack("k1"), b'{"v":1,"upto":1}', 1, True).wait_for_publish(10)
    wait_for(lambda: any(m.topic == f"{UP}/k1/ack" for m in watch.messages), 20,
             "the province's ack at the commune")  # fmt: skip
    assert not [m for m in watch.messages if m.topic == P.ack("k1")], "P/k1/ack is the commune's"
    late = client(setup["alocal"], "collector", "collector-secret")
    subscribe(late, [(f"{UP}/k1/ack", 1)])
    wait_for(lambda: late.messages, 10, "the retained remapped ack")
    assert late.messages[0].retain and late.messages[0].payload == b'{"v":1,"upto":1}'
    for c in (watch, prov, k1, late):
        c.disconnect()
        c.loop_stop()


def test_bridge_status_shows_the_province_lagging(setup, capsys):
    a, tmp = setup["a"], setup["tmp"]
    prov = client(setup["plocal"], "collector", "collector-secret")
    prov.publish(P.ack("k1"), b'{"v":1,"upto":3}', 1, True).wait_for_publish(10)
    prov.disconnect()
    prov.loop_stop()
    config = tmp / "xa-a-status.toml"  # the commune collector, on its broker's loopback port
    config.write_text(a.path.read_text().replace("[mqtt]\n", f"[mqtt]\nport = {setup['alocal']}\n"))
    watch = client(setup["alocal"], "collector", "collector-secret")
    subscribe(watch, [(f"{UP}/k1/ack", 1)])
    wait_for(lambda: watch.messages, 20, "the province's ack at the commune")
    watch.disconnect()
    watch.loop_stop()
    capsys.readouterr()
    status = ["--config", str(config), "bridge", "status", "--bundle", str(tmp / "xa-a.bundle")]
    assert main(status) == 1  # k2: never heard of at the province
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(": up")
    assert {line.split()[0]: line.split()[1:] for line in lines[2:]} == {
        "k1": ["0", "3", "0"], "k2": ["0", "?", "0"]}  # fmt: skip


def test_a_commune_bridge_cannot_write_for_another_communes_kiosks(setup):
    tmp = setup["tmp"]
    b = parse_bridge_bundle((tmp / "xa-b.bundle").read_bytes(), "bundle")
    hostile = client(setup["ptls"], b.username, b.password, ca=setup["tls"].ca_cert)
    assert not hostile.reason.is_failure
    try:
        assert publish_reason(hostile, P.press("k1")) == 135  # xa-a's kiosk: not authorised
        assert publish_reason(hostile, P.ack("k3")) == 135  # only the province collector acks
        assert publish_reason(hostile, P.collector_status) == 135
        assert publish_reason(hostile, P.press("k3")) in (0, 16)  # its own kiosk
    finally:
        hostile.disconnect()
        hostile.loop_stop()


def test_a_commune_cannot_register_another_communes_kiosk(setup, capsys):
    tmp, province, b = setup["tmp"], setup["province"], setup["b"]
    shutil.copy(tmp / "xa-a" / "keys" / "k1.key", b.folder / "keys" / "k1.key")
    assert cli(b.path, "bridge", "export", "xa-b", "-o", tmp / "evil.reg") == 0
    before = (province.folder / "broker" / "acl").read_text()
    assert cli(province.path, "bridge", "add", tmp / "evil.reg", "-o", tmp / "evil.bundle") == 2
    assert "kiosk k1 belongs to commune xa-a" in capsys.readouterr().err
    assert not (tmp / "evil.bundle").exists()
    assert (province.folder / "broker" / "acl").read_text() == before


def test_bridge_add_office_registers_the_kiosks_there_and_refuses_another_offices(setup, capsys):
    tmp, province = setup["tmp"], setup["province"]
    for args in (("set", "don-vi", "--kind", "province", "--new-code", "tinh"),
                 ("add", "xa-c", "Xã C", "--kind", "commune", "--parent", "tinh"),
                 ("add", "xa-a", "Xã A", "--kind", "commune", "--parent", "tinh")):  # fmt: skip
        assert cli(province.path, "office", *args) == 0, args
    c, _ = commune(tmp, setup["tls"], "xa-c", {"k4": "Q1", "k5": "Q2"})
    assert cli(c.path, "bridge", "export", "xa-c", "-o", tmp / "xa-c.reg") == 0
    out = tmp / "xa-c.bundle"
    assert cli(province.path, "bridge", "add", tmp / "xa-c.reg", "-o", out,
               "--office", "xa-c") == 0  # fmt: skip
    engine = open_database(province.config.database)
    try:
        with engine.connect() as conn:
            found = dict(conn.execute(select(db.devices.c.device, db.offices.c.code)
                                      .join(db.offices)).all())  # fmt: skip
    finally:
        engine.dispose()
    # k1–k3 were added before the province had communes: in the one office, now the root.
    assert found == {"k1": "tinh", "k2": "tinh", "k3": "tinh", "k4": "xa-c", "k5": "xa-c"}
    capsys.readouterr()
    again = ("bridge", "add", tmp / "xa-a.reg", "-o", tmp / "again.bundle", "--office", "xa-a")
    assert cli(province.path, *again) == 2
    assert "kiosk k1 is already in office tinh" in capsys.readouterr().err
    assert not (tmp / "again.bundle").exists()
    several = ("bridge", "add", tmp / "xa-c.reg", "-o", tmp / "again.bundle")
    assert cli(province.path, *several) == 2  # several offices: which one is not guessed
    assert "--office" in capsys.readouterr().err


def test_export_refuses_a_kiosk_without_a_key_and_a_bad_commune_name(setup, capsys):
    a, tmp = setup["a"], setup["tmp"]
    assert cli(a.path, "bridge", "export", "xa-a", "-o", tmp / "x.reg", "--device", "k9") == 2
    assert "no signing key for kiosk(s) k9" in capsys.readouterr().err
    assert cli(a.path, "bridge", "export", "Xã A", "-o", tmp / "x.reg") == 2
    assert "commune 'Xã A'" in capsys.readouterr().err and not (tmp / "x.reg").exists()


def test_mosquitto_accepts_the_stanza_and_a_broken_file_is_refused(setup, capsys):
    tmp, a = setup["tmp"], setup["a"]
    log = lambda: (tmp / "xa-a" / "mosquitto.log").read_text()  # noqa: E731
    wait_for(
        lambda: "Connecting bridge (step 2) hailong-xa-a" in log(), 20, "the bridge to connect"
    )
    # The probe of start() on the TLS port logs an OpenSSL error; a bad stanza would log these:
    assert "Error creating bridge" not in log() and "Error found at" not in log()
    bad = tmp / "bad.bundle"
    bad.write_text((tmp / "xa-a.bundle").read_text().replace("port = ", "port = -"))
    assert cli(a.path, "bridge", "config", bad, "-o", tmp / "x.conf") == 2
    assert "province.port" in capsys.readouterr().err and not (tmp / "x.conf").exists()
