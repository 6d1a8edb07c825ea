"""Nobody publishes as somebody else; bad, unsigned or conflicting presses never count."""

from __future__ import annotations

import json
import secrets

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hailong.protocol import SIG_PROPERTY, ProtocolError, Topics, parse_press, sign
from hailong.server.storage.db import open_database, presses, quarantine
from hailong.server.storage.schema import quarantine_hours
from tests.support import (
    collector_toml,
    kiosk_toml,
    mqtt_client,
    press_bytes,
    start_ingest,
    wait_for,
)

T = Topics()


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def kinds(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(
            select(quarantine.c.kind, func.count()).group_by(quarantine.c.kind)
        ).all())  # fmt: skip


def refused(engine) -> int:
    """Return how many messages were quarantined, kept as rows or only counted."""
    h = quarantine_hours.c
    with engine.connect() as conn:
        return conn.execute(select(func.sum(h.kept + h.dropped))).scalar_one() or 0


def test_a_kiosk_cannot_publish_as_another(tmp_path, secure_broker, procs):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, secure_broker), secure_broker)
    k1 = mqtt_client(secure_broker, "k1", client_id="k1")
    results = []
    k1.on_publish = lambda _c, _u, mid, reason, _p: results.append(reason)
    k1.publish(T.press("k2"), press_bytes("k2", 1), 1).wait_for_publish(5)
    k1.publish(T.press("k1"), press_bytes("k1", 1), 1).wait_for_publish(5)
    wait_for(lambda: len(results) == 2, 10, "two PUBACKs")
    assert results[0].value == 135 and results[0].is_failure, "MQTT 5 tells the sender: denied"
    assert not results[1].is_failure
    wait_for(lambda: count(engine, presses) == 1, 10, "k1's own press stored")
    assert count(engine, presses, presses.c.device == "k2") == 0
    k1.loop_stop()


def test_the_kiosk_counts_a_denied_publish_as_not_sent(tmp_path, secure_broker, procs):
    """A kiosk whose account may not write its press topic keeps its presses pending."""
    secure_broker.users["k3"] = secure_broker.users["k1"]  # k3's password, but it claims k1's id
    secure_broker.reload()
    kiosk = kiosk_toml(tmp_path, secure_broker, "k1", username='"k3"')
    start_ingest(procs, collector_toml(tmp_path, secure_broker), secure_broker)
    procs.start("k1", "hailong.device.cli", "--config", kiosk, "run", "--headless", "--simulate", "50",
                "--count", "3")  # fmt: skip
    wait_for(lambda: "broker refused publish" in procs.log("k1"), 20, "the refusal to be logged")
    assert "Not authorized" in procs.log("k1")


def test_signatures_are_required_once_a_key_is_held(tmp_path, broker, procs):
    key = secrets.token_bytes(32)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "k1.key").write_text(key.hex())
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker, keys_dir=str(keys)), broker)
    client = mqtt_client(broker, client_id="tester")

    def publish(payload: bytes, sig: str | None):
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = None
        if sig is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.UserProperty = (SIG_PROPERTY, sig)
        client.publish(T.press("k1"), payload, 1, properties=props).wait_for_publish(5)

    publish(press_bytes("k1", 1), None)
    publish(press_bytes("k1", 2), sign(secrets.token_bytes(32), press_bytes("k1", 2)))
    publish(press_bytes("k1", 3), sign(key, press_bytes("k1", 3)) + "")
    publish(press_bytes("k1", 4, rating=1), sign(key, press_bytes("k1", 4)))  # signed other bytes
    wait_for(lambda: count(engine, quarantine) == 3 and count(engine, presses) == 1, 20, "sorting")
    assert kinds(engine) == {"signature": 3}
    with engine.connect() as conn:
        stored = conn.execute(select(presses.c.seq, presses.c.sig, presses.c.payload)).one()
    assert stored.seq == 3 and stored.sig == sign(key, stored.payload), "re-verifiable later"

    # A kiosk process holding the key signs every press end to end.
    (tmp_path / "k2.key").write_text(key.hex())
    (keys / "k2.key").write_text(key.hex())
    procs.stop(procs.children[0])
    start_ingest(procs, collector_toml(tmp_path, broker, keys_dir=str(keys)), broker)
    kiosk = kiosk_toml(tmp_path, broker, "k2", top={"signing_key_file": tmp_path / "k2.key"})
    procs.start("k2", "hailong.device.cli", "--config", kiosk, "run", "--headless", "--simulate", "100",
                "--count", "20")  # fmt: skip
    wait_for(lambda: count(engine, presses, presses.c.device == "k2") == 20, 30, "signed presses")
    assert kinds(engine) == {"signature": 3}


def test_old_seq_with_new_content_is_a_conflict_and_mismatch_is_quarantined(
    tmp_path, broker, procs
):
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    client = mqtt_client(broker, client_id="tester")
    client.publish(T.press("k1"), press_bytes("k1", 1, rating=4), 1).wait_for_publish(5)
    wait_for(lambda: count(engine, presses) == 1, 10, "the first press")
    client.publish(T.press("k1"), press_bytes("k1", 1, rating=1), 1).wait_for_publish(5)
    client.publish(T.press("k1"), press_bytes("k1", 1, rating=4), 1).wait_for_publish(5)
    client.publish(T.press("k1"), press_bytes("k2", 2), 1).wait_for_publish(5)
    wait_for(lambda: count(engine, quarantine) == 2, 10, "conflict and mismatch quarantined")
    assert kinds(engine) == {"conflict": 1, "mismatch": 1}
    with engine.connect() as conn:
        assert conn.execute(select(presses.c.rating)).scalar_one() == 4, "the first one stands"
        reasons = conn.execute(select(quarantine.c.reason)).scalars().all()
    assert any("differs from the press already stored" in r for r in reasons)
    assert any("differs from topic device" in r for r in reasons)


FIELDS = ["v", "device", "seq", "rating", "reason", "ts", "synced", "boot", "mono", "mode"]
values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                   st.text(max_size=20), st.lists(st.integers(), max_size=3))  # fmt: skip
near_misses = st.dictionaries(st.sampled_from(FIELDS), values, max_size=10).map(
    lambda d: json.dumps(d).encode()
)
malformed = st.one_of(st.binary(max_size=200), near_misses)


def generate_malformed(n: int) -> list[bytes]:
    """Draw n payloads from hypothesis that the contract must reject."""
    found: list[bytes] = []

    @settings(max_examples=n * 2, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(malformed)
    def collect(payload):
        if len(found) >= n:
            return
        try:
            parse_press(payload, "k1")
        except ProtocolError:
            found.append(payload)

    collect()
    return found


def test_ten_thousand_malformed_payloads_are_all_quarantined(tmp_path, broker, procs):
    payloads = generate_malformed(10_000)
    assert len(payloads) >= 10_000
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    ingest = start_ingest(procs, collector_toml(tmp_path, broker, batch_size=1000), broker)
    client = mqtt_client(broker, client_id="fuzzer")
    for payload in payloads:
        client.publish(T.press("k1"), payload, 1)
    client.publish(T.press("k1"), press_bytes("k1", 1), 1).wait_for_publish(30)
    # Each is refused and counted; the first ones of the hour (the allowance) are kept as rows.
    wait_for(lambda: refused(engine) == len(payloads), 120, "all refused", interval=0.5)
    wait_for(lambda: count(engine, presses) == 1, 20, "the one valid press stored")
    assert 200 <= count(engine, quarantine) <= 400, "the allowance of one hour (or two)"
    assert ingest.poll() is None, "ingest survived"
    with engine.connect() as conn:
        empty = conn.execute(
            select(func.count()).where((quarantine.c.reason == "") | quarantine.c.reason.is_(None))
        ).scalar_one()
    assert empty == 0, "every quarantined message says why"
    client.loop_stop()


def test_sighup_reloads_signing_keys(tmp_path, broker, procs):
    """A key written by `device add` applies after SIGHUP, without restarting ingest."""
    import signal as signals

    keys = tmp_path / "keys"
    keys.mkdir()
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    ingest = start_ingest(procs, collector_toml(tmp_path, broker, keys_dir=str(keys)), broker)
    client = mqtt_client(broker, client_id="tester")
    client.publish(T.press("k7"), press_bytes("k7", 1), 1).wait_for_publish(5)
    wait_for(lambda: count(engine, presses) == 1, 10, "an unsigned press from a keyless device")
    (keys / "k7.key").write_text(secrets.token_bytes(32).hex())
    ingest.send_signal(signals.SIGHUP)
    wait_for(lambda: "reloaded 1 signing key" in procs.log("ingest"), 10, "the reload")
    client.publish(T.press("k7"), press_bytes("k7", 2), 1).wait_for_publish(5)
    wait_for(lambda: count(engine, quarantine) == 1, 10, "the unsigned press refused now")
    assert kinds(engine) == {"signature": 1} and count(engine, presses) == 1
    client.loop_stop()


def test_sighup_on_an_idle_ingest_applies_to_the_very_next_press(tmp_path, broker, procs):
    """A key written while ingest waits idle holds for the first press after SIGHUP."""
    import signal as signals

    keys = tmp_path / "keys"
    keys.mkdir()
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    ingest = start_ingest(procs, collector_toml(tmp_path, broker, keys_dir=str(keys)), broker)
    client = mqtt_client(broker, client_id="tester")
    (keys / "k7.key").write_text(secrets.token_bytes(32).hex())
    ingest.send_signal(signals.SIGHUP)  # ingest has had nothing to do since it started
    client.publish(T.press("k7"), press_bytes("k7", 1), 1).wait_for_publish(5)
    wait_for(lambda: count(engine, quarantine) + count(engine, presses) == 1, 10, "the press")
    assert kinds(engine) == {"signature": 1} and count(engine, presses) == 0
    client.loop_stop()


def test_a_retained_press_is_ignored_and_cleared(tmp_path, secure_broker, procs):
    """Retained junk on a press topic is never quarantined, however often ingest restarts."""
    k1 = mqtt_client(secure_broker, "k1", client_id="k1")
    k1.publish(T.press("k1"), b"retained junk", 1, retain=True).wait_for_publish(5)
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    config = collector_toml(tmp_path, secure_broker)
    for seq in (1, 2, 3):  # the first start, then two restarts
        ingest = start_ingest(procs, config, secure_broker)
        k1.publish(T.press("k1"), press_bytes("k1", seq), 1).wait_for_publish(5)
        wait_for(lambda n=seq: count(engine, presses) == n, 10, "a press beside the junk")
        assert procs.stop(ingest) == 0
    assert count(engine, quarantine) == 0, "neither the junk nor its clearing is quarantined"
    assert procs.log("ingest").count("ignoring a retained press") == 1
    assert retained_presses(secure_broker) == [], "the broker no longer holds it"
    k1.loop_stop()


def retained_presses(broker) -> list[bytes]:
    """Return the retained messages the broker holds on press topics."""
    seen: dict[str, list[bytes]] = {"press": [], "status": []}
    watcher = mqtt_client(broker, "collector", client_id="watch-retained")
    watcher.on_message = lambda _c, _u, msg: seen[msg.topic.rsplit("/", 1)[1]].append(msg.payload)
    watcher.subscribe(T.all_of("press"), 1)
    # Retained messages come in subscription order: once the collector's status (retained
    # since ingest said offline) is in, any retained press would be in too.
    watcher.subscribe(T.collector_status, 1)
    wait_for(lambda: seen["status"], 10, "the collector's retained status")
    watcher.loop_stop()
    return seen["press"]
