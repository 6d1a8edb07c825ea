"""The collector's MQTT clients, against a real mosquitto with passwords and the ACL.

Both come from one builder: the ingest's (persistent session, Will) and the Config push's
(own client id, clean session, no Will), which must never disturb the ingest's session.
"""

from __future__ import annotations

import socket

from paho.mqtt.client import CallbackAPIVersion, MQTTv5
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hailong.protocol import Status, Topics, parse_status
from hailong.server.config import load_config
from hailong.server.ingest.client import CollectorClient, connect_properties, make_client
from hailong.server.ingest.push import push_configs
from tests.support import collector_toml, mqtt_client, wait_for

CONFIG = '{"v":1,"counter":"Q1"}'


def watch(broker, user: str, *topics: str) -> tuple:
    """Subscribe as user to topics; return the client and the (topic, payload) it receives."""
    seen: list[tuple[str, bytes]] = []
    subscribed = []
    client = mqtt_client(broker, user, client_id=f"watch-{user}")
    client.on_message = lambda _c, _u, msg: seen.append((msg.topic, bytes(msg.payload)))
    client.on_subscribe = lambda *_args: subscribed.append(True)
    client.subscribe([(topic, 1) for topic in topics])
    wait_for(lambda: subscribed, 10, f"{user} to subscribe")
    return client, seen


def connected_ingest(config):
    """Connect the ingest's client as the ingest process does: persistent session, loop running."""
    client = make_client(config)
    client.connect(config.mqtt.host, config.mqtt.port, clean_start=False,
                   properties=connect_properties(3600))  # fmt: skip
    client.loop_start()
    wait_for(client.is_connected, 10, "the ingest client to connect")
    return client


def test_push_signs_in_as_the_collector_and_leaves_the_config_retained(secure_broker, tmp_path):
    config = load_config(collector_toml(tmp_path, secure_broker))
    assert push_configs(config, {"k1": CONFIG}) == []
    topic = Topics().config("k1")
    watcher, seen = watch(secure_broker, "k1", topic)  # retained: it comes on subscribe
    wait_for(lambda: seen, 10, "the retained config")
    watcher.loop_stop()
    assert seen == [(topic, CONFIG.encode())]


def test_push_with_a_wrong_password_confirms_no_kiosk(secure_broker, tmp_path):
    path = collector_toml(tmp_path, secure_broker)
    (tmp_path / "collector.password").write_text("not-the-password")
    assert push_configs(load_config(path), {"k2": CONFIG, "k1": CONFIG}, timeout=5) == ["k1", "k2"]


def test_push_leaves_the_ingest_connected_and_online(secure_broker, tmp_path):
    config = load_config(collector_toml(tmp_path, secure_broker))
    ingest = connected_ingest(config)
    topics = Topics()
    watcher, seen = watch(secure_broker, "k1", topics.collector_status, topics.config("k1"))
    try:
        assert push_configs(config, {"k1": CONFIG}) == []
        # A takeover of the ingest's session would have sent its Will before the config.
        wait_for(lambda: seen, 10, "the pushed config")
        assert seen == [(topics.config("k1"), CONFIG.encode())]
        assert ingest.is_connected()
    finally:
        ingest.disconnect()
        ingest.loop_stop()
        watcher.loop_stop()


def test_the_ingest_will_says_offline_when_it_drops(secure_broker, tmp_path):
    config = load_config(collector_toml(tmp_path, secure_broker))
    ingest = connected_ingest(config)
    watcher, seen = watch(secure_broker, "k1", Topics().collector_status)
    ingest.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message"))
    ingest.loop_stop()
    wait_for(lambda: seen, 10, "the Will")
    watcher.loop_stop()
    assert [parse_status(payload) for _topic, payload in seen] == [Status("offline")]


def test_the_ingest_session_keeps_what_came_while_it_was_away(secure_broker, tmp_path):
    config = load_config(collector_toml(tmp_path, secure_broker))
    topic = Topics().press("k1")
    ingest, subscribed = connected_ingest(config), []
    ingest.on_subscribe = lambda *_args: subscribed.append(True)
    ingest.subscribe(topic, 1)
    wait_for(lambda: subscribed, 10, "the ingest to subscribe")
    ingest.disconnect()
    ingest.loop_stop()
    kiosk = mqtt_client(secure_broker, "k1", client_id="k1")
    kiosk.publish(topic, b"press while the collector is away", 1).wait_for_publish(10)
    kiosk.loop_stop()

    again, received = make_client(config), []
    again.on_message = lambda _c, _u, msg: received.append(bytes(msg.payload))
    again.connect(config.mqtt.host, config.mqtt.port, clean_start=False,
                  properties=connect_properties(3600))  # fmt: skip
    again.loop_start()
    wait_for(lambda: received, 10, "the press kept in the session")
    again.disconnect()
    again.loop_stop()
    assert received == [b"press while the collector is away"]


def test_a_burst_is_read_whole_with_its_signatures_and_acked_in_one_write(secure_broker, tmp_path):
    # 3,000 presses of ~250 bytes: several of CollectorClient's 64 KiB reads, each holding
    # many packets and cutting one; every one must come through the lean path (paho's
    # on_message never), and acking all but the last ten in one write must leave just those
    # ten in the session.
    config = load_config(collector_toml(tmp_path, secure_broker))
    topic, n = Topics().press("k1"), 3000
    received, via_paho, subscribed = [], [], []
    ingest = make_client(config)
    ingest.on_publishes = received.extend
    ingest.on_message = lambda _c, _u, msg: via_paho.append(msg)
    ingest.on_subscribe = lambda *_args: subscribed.append(True)
    ingest.connect(config.mqtt.host, config.mqtt.port, clean_start=False,
                   properties=connect_properties(3600, batch_size=n))  # fmt: skip
    ingest.loop_start()
    ingest.subscribe(topic, 1)
    wait_for(lambda: subscribed, 10, "the ingest to subscribe")
    kiosk = mqtt_client(secure_broker, "k1", client_id="k1")
    for i in range(n):
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [("trace", "t"), ("sig", f"{i:064x}")]
        kiosk.publish(topic, f"{i:06d}".encode() * 40, 1, properties=props)
    wait_for(lambda: len(received) == n, 30, f"{n} presses without acking any")
    kiosk.loop_stop()
    assert via_paho == []
    assert [p.payload for p in received] == [f"{i:06d}".encode() * 40 for i in range(n)]
    assert [p.sig for p in received] == [f"{i:064x}" for i in range(n)]
    assert {(p.topic, p.qos, p.retain) for p in received} == {(topic, 1, False)}
    assert len({p.mid for p in received}) == n
    ingest.ack_many(p.mid for p in received[:-10])
    # The broker reads a connection in order: once it answers a SUBSCRIBE sent after the
    # acks, it has taken them all (a DISCONNECT might be cut short by the next connection).
    ingest.subscribe(Topics().all_of("health"), 1)
    wait_for(lambda: len(subscribed) == 2, 10, "the broker to read past the acks")
    ingest.disconnect()
    ingest.loop_stop()

    again, redelivered = make_client(config), []
    again.on_publishes = redelivered.extend
    again.connect(config.mqtt.host, config.mqtt.port, clean_start=False,
                  properties=connect_properties(3600))  # fmt: skip
    again.loop_start()
    wait_for(lambda: len(redelivered) >= 10, 10, "the ten unacked presses")
    again.disconnect()
    again.loop_stop()
    assert [p.payload for p in redelivered] == [p.payload for p in received[-10:]]


def _whole(header: int, body: bytes) -> bytes:
    """Return an MQTT packet: its header byte, its remaining length, its body."""
    n, length = len(body), bytearray()
    while True:
        byte, n = n % 128, n // 128
        length.append(byte | (0x80 if n else 0))
        if not n:
            return bytes([header, *length]) + body


def test_a_packet_for_paho_leaves_the_publishes_after_it_on_the_lean_path():
    # paho's own loop_read reads as many packets as the client has messages in flight: with
    # our retained acks awaiting their PUBACK, hundreds, each PUBLISH handed on alone. A
    # PUBACK in the stream must cost one packet through paho, not the rest of the read.
    client = CollectorClient(CallbackAPIVersion.VERSION2, protocol=MQTTv5, manual_ack=True)
    ours, broker = socket.socketpair()
    with ours, broker:
        ours.setblocking(False)
        client._sock = ours
        client._out_messages.update((mid, None) for mid in range(1000, 1500))  # in flight
        batches = []
        client.on_publishes = batches.append
        topic = Topics().press("k1").encode()
        publishes = [
            _whole(0x32, len(topic).to_bytes(2) + topic + mid.to_bytes(2) + b"\x00" + b"x" * 200)
            for mid in range(1, 201)
        ]
        puback = _whole(0x40, (7).to_bytes(2))  # of a message not ours: paho ignores it
        broker.sendall(b"".join(publishes[:50]) + puback + b"".join(publishes[50:]))
        assert client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
        client._sock = None
    assert [len(b) for b in batches] == [50, 150]
    assert [p.mid for b in batches for p in b] == list(range(1, 201))
