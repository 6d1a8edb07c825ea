"""The ingest benchmarks' simulated kiosks send what a kiosk sends: the same bytes, the same sig.

bench_ingest.py measures ingest with every HMAC checked only if its simulated kiosks' packets
(bench/signed_kiosks.py, sent by bench/mqtt_pub.py) are byte for byte the PUBLISH a kiosk's
paho client sends for the press, and arrive through a real mosquitto with a `sig` that
verifies.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import paho.mqtt.client as paho

from bench.signed_kiosks import connect_publishers, finish, go, press, signed_fleet, signed_publish
from hailong.device.uplink import Uplink
from hailong.protocol import SIG_PROPERTY, Topics, verify
from hailong.server.ingest.wire import decode_publish, next_packet

KEY = bytes(range(32))
T = Topics()


def kiosk_packet(device: str, payload: bytes, mid: int) -> bytes:
    """Return the PUBLISH the kiosk's paho client queues when its uplink publishes a press."""
    calls = []
    client = SimpleNamespace(publish=lambda *a: calls.append(a) or SimpleNamespace(mid=mid))
    kiosk = SimpleNamespace(key=KEY, topics=T, config=SimpleNamespace(device=device),
                            client=client)  # fmt: skip
    Uplink.publish_press(kiosk, payload)  # the kiosk's own signing, on a stand-in client
    topic, body, qos, retain, props = calls[0]
    queued = []
    paho_client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    paho_client._sock = object()  # "connected": _send_publish builds the packet and queues it
    paho_client._packet_queue = lambda _cmd, packet, *_: queued.append(bytes(packet))
    paho_client._send_publish(mid, topic.encode(), body, qos, retain, False, None, props)
    paho_client._sock = None
    return queued[0]


def test_a_bench_packet_is_the_kiosks_own_bytes():
    for seq, mid in ((1, 2), (2500, 2501), (70_000, 70_000 % 65535 + 1)):
        payload = press("sim-007", seq)
        packet = signed_publish(T.press("sim-007"), payload, KEY, mid)
        assert packet == kiosk_packet("sim-007", payload, mid)
        header, start, end = next_packet(packet, 0)
        read = decode_publish(header, packet[start:end], SIG_PROPERTY)  # as ingest reads it
        assert (read.topic, read.payload, read.qos, read.mid) == (T.press("sim-007"), payload, 1,
                                                                   mid)  # fmt: skip
        assert verify(KEY, read.payload, read.sig)
        assert not verify(bytes(32), read.payload, read.sig)


def test_the_publishers_deliver_every_signed_press_through_mosquitto(tmp_path, broker):
    fleet = signed_fleet(["sim-000", "sim-001"], 300, tmp_path)
    assert sorted(p.name for p in fleet.keys_dir.iterdir()) == ["sim-000.key", "sim-001.key"]
    got, done = [], threading.Event()

    def on_message(_c, _u, msg):
        sigs = [v for k, v in getattr(msg.properties, "UserProperty", None) or () if k == "sig"]
        got.append((msg.topic.split("/")[-2], msg.payload, sigs))
        if len(got) == 600:
            done.set()

    sub = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    sub.on_message = on_message
    sub.connect(broker.host, broker.port)
    sub.subscribe(T.all_of("press"), 1)
    sub.loop_start()
    try:
        pubs = connect_publishers(broker, fleet.files)
        go(pubs)
        finish(pubs, 30)  # each exits 0 only once every PUBACK came
        assert done.wait(30), f"{len(got)} of 600 presses arrived"
    finally:
        sub.disconnect()
        sub.loop_stop()
    for device in fleet.names:
        mine = [(p, s) for d, p, s in got if d == device]
        assert [p for p, _ in mine] == [press(device, s) for s in range(1, 301)], "in order"
        assert all(len(s) == 1 and verify(fleet.keys[device], p, s[0]) for p, s in mine)
    forged = fleet.forged.read_bytes()
    header, start, end = next_packet(forged, 0)
    read = decode_publish(header, forged[start:end], SIG_PROPERTY)
    assert read.payload == press("sim-000", 301)
    assert not verify(fleet.keys["sim-000"], read.payload, read.sig)
