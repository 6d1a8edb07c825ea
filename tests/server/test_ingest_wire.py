"""The ingest's lean PUBLISH decoder reads what paho's own decoder reads, or declines.

wire.decode_publish replaces paho's Properties for the hot path; any packet it reads must give
the topic, payload, QoS, mid, retain and first `sig` user property paho gives, and any packet it
cannot read (an unknown property, a topic that is not UTF-8, a truncated packet) must come back
as None so that paho's path handles it, never as a wrong answer or an exception.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt import _packet
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.exception import MalformedPacket
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hailong.server.ingest.wire import decode_publish, next_packet


def publish_packet(topic: bytes, payload: bytes, qos: int, mid: int, retain: bool,
                   props: Properties | None) -> tuple[int, bytes]:  # fmt: skip
    """Return (fixed header byte, rest of the packet) of an MQTT 5 PUBLISH."""
    header = 0x30 | (qos << 1) | int(retain)
    body = len(topic).to_bytes(2) + topic + (mid.to_bytes(2) if qos else b"")
    body += props.pack() if props is not None else b"\x00"
    return header, body + payload


def paho_reads(header: int, packet: bytes) -> tuple:
    """Return what paho's own decoder reads, in wire.Publish's order."""
    p = _packet.decode_publish(header, packet, MQTTProtocolVersion.MQTTv5)
    sigs = [v for k, v in getattr(p.properties, "UserProperty", None) or () if k == "sig"]
    return (p.topic.decode(), bytes(p.payload), sigs[0] if sigs else None, p.qos, p.mid,
            p.retain)  # fmt: skip


def props(**fields) -> Properties:
    """Return PUBLISH properties with the given fields set."""
    out = Properties(PacketTypes.PUBLISH)
    for name, value in fields.items():
        setattr(out, name, value)
    return out


CASES = {
    "no properties": None,
    "sig only": props(UserProperty=[("sig", "ab12")]),
    "sig among others": props(UserProperty=[("trace", "x"), ("sig", "cd34"), ("sig", "later")]),
    "every other kind": props(
        PayloadFormatIndicator=1,
        MessageExpiryInterval=3600,
        ContentType="application/json",
        ResponseTopic="hl/k1/reply",
        CorrelationData=b"\x00\x01",
        SubscriptionIdentifier=[300],
        UserProperty=[("sig", "ef56")],
    ),  # fmt: skip
    "no sig": props(UserProperty=[("signature", "nope")]),
    # A kiosk's shape (one `sig` of 64 bytes: read by a shortcut), and look-alikes it must
    # read as the long way does.
    "a kiosk's sig": props(UserProperty=[("sig", "0123456789abcdef" * 4)]),
    "64 bytes, not ASCII": props(UserProperty=[("sig", "é" * 32)]),
    "64 bytes, a U+0080": props(UserProperty=[("sig", "\u0080" + "a" * 62)]),
    "64 bytes under another name": props(UserProperty=[("sih", "a" * 64)]),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(("qos", "retain"), [(0, False), (1, False), (1, True)])
def test_reads_what_paho_reads(case, qos, retain):
    header, packet = publish_packet(b"hl/k1/press", b'{"v":1}', qos, 513, retain, CASES[case])
    read = decode_publish(header, packet, "sig")
    assert read is not None and tuple(read) == paho_reads(header, packet)


@settings(max_examples=300, deadline=None)
@given(
    topic=st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t),
    payload=st.binary(max_size=300),
    qos=st.sampled_from([0, 1]),
    mid=st.integers(1, 65535),
    retain=st.booleans(),
    users=st.lists(
        st.tuples(st.sampled_from(["sig", "x", "sig2"]), st.text(max_size=70)), max_size=4
    ),  # fmt: skip
)
def test_any_publish_is_read_as_paho_reads_it(topic, payload, qos, mid, retain, users):
    p = props(UserProperty=users) if users else None
    header, packet = publish_packet(topic.encode(), payload, qos, mid, retain, p)
    read = decode_publish(header, packet, "sig")
    try:
        expected = paho_reads(header, packet)
    except MalformedPacket:  # U+0000 in a user property: paho's path must say so
        assert read is None
    else:
        assert read is not None and tuple(read) == expected


@settings(max_examples=200, deadline=None)
@given(value=st.binary(min_size=64, max_size=64))
def test_any_64_byte_sig_is_read_as_paho_reads_it(value):
    # The kiosk's shape with any bytes in the value: ASCII, UTF-8, U+0000, not UTF-8 at all.
    body = b"\x00\x02hl" + b"\x00\x09" + b"\x47\x26\x00\x03sig\x00\x40" + value + b"{}"
    read = decode_publish(0x32, body, "sig")
    try:
        expected = paho_reads(0x32, body)
    except (MalformedPacket, UnicodeDecodeError):
        assert read is None
    else:
        assert read is not None and tuple(read) == expected


@pytest.mark.parametrize(
    ("why", "packet"),
    [
        ("topic not UTF-8", b"\x00\x02\xff\xfe" + b"\x00\x01" + b"\x00" + b"{}"),
        ("unknown property id", b"\x00\x02hl" + b"\x00\x01" + b"\x02\x7f\x00" + b"{}"),
        ("empty topic: an alias", b"\x00\x00" + b"\x00\x01" + b"\x03\x23\x00\x05" + b"{}"),
        ("properties past the end", b"\x00\x02hl" + b"\x00\x01" + b"\x40\x26"),
        ("length of 5 bytes", b"\x00\x02hl" + b"\x00\x01" + b"\xff\xff\xff\xff\x01"),
    ],
)
def test_what_it_cannot_read_goes_back_to_paho(why, packet):
    assert decode_publish(0x32, packet, "sig") is None, why


@pytest.mark.parametrize("users", [[("sig", "ab"), ("x", "y")], [("sig", "f" * 64)]])
def test_every_truncation_is_declined_or_read_never_raised(users):
    header, packet = publish_packet(b"hl/k1/press", b"{}", 1, 7, False, props(UserProperty=users))
    for cut in range(len(packet)):
        read = decode_publish(header, packet[:cut], "sig")
        # A cut inside the payload is still a whole packet to the decoder: a shorter payload.
        assert read is None or read.payload == b"{}"[: max(0, cut - (len(packet) - 2))]


def test_packets_are_found_whole_one_after_another_or_not_at_all():
    first = publish_packet(b"hl/k1/press", b"x" * 200, 1, 1, False, None)  # a 2-byte length
    second = publish_packet(b"hl/k2/press", b"{}", 0, 0, True, None)
    whole = [bytes([h]) + _length(len(body)) + body for h, body in (first, second)]
    chunk = b"".join(whole) + b"\x40\x02\x00"  # and a PUBACK cut short
    at, found = 0, []
    while (packet := next_packet(chunk, at)) is not None:
        header, start, end = packet
        found.append((header, chunk[start:end]))
        at = end
    assert found == [first, second]
    assert at == len(whole[0]) + len(whole[1])
    assert next_packet(bytes([first[0]]) + _length(len(first[1]))[:1], 0) is None  # cut length
    assert next_packet(b"\x30\xff\xff\xff\xff\x01", 0) is None  # a length of five bytes


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)
