"""Read an MQTT 5 PUBLISH packet the ingest needs, without building paho's Properties (pure).

paho decodes every property of every message into a Properties object, which cost more than
checking the press it carries. The ingest needs one property, the signature (`sig`), so this
walks the property bytes and keeps the first user property of that name. Anything it does not
expect (a property id it does not know, a topic that is not UTF-8, an alias instead of a topic)
(or a string paho refuses, holding U+0000) returns None, and the caller hands the packet to
paho's own decoder instead.
"""

from __future__ import annotations

from typing import NamedTuple

# Property ids a PUBLISH may carry, by how their value is encoded (MQTT 5.0, 2.2.2.2).
_BYTE = {0x01}  # payload format indicator
_FOUR = {0x02}  # message expiry interval
_TWO = {0x23}  # topic alias
_STRING = {0x03, 0x08}  # content type, response topic
_BINARY = {0x09}  # correlation data
_VARINT = {0x0B}  # subscription identifier
USER_PROPERTY = 0x26


class Publish(NamedTuple):
    """The parts of an incoming PUBLISH the ingest uses."""

    topic: str
    payload: bytes
    sig: str | None
    qos: int
    mid: int
    retain: bool


def decode_publish(header: int, packet: bytes, want: str) -> Publish | None:
    """Return an MQTT 5 PUBLISH's topic, payload, user property `want`, QoS, mid and retain."""
    qos = (header & 0x06) >> 1
    try:
        tlen = int.from_bytes(packet[0:2])
        pos = 2 + tlen + (2 if qos else 0)
        if pos > len(packet):
            return None
        topic = packet[2 : 2 + tlen].decode("utf-8")
        mid = int.from_bytes(packet[2 + tlen : pos]) if qos else 0
        plen, pos = _varint(packet, pos)
        end = pos + plen
        if plen == _KIOSK_PLEN and want == "sig" and packet.startswith(_KIOSK_PROPS, pos):
            sig = _kiosk_sig(packet, pos + len(_KIOSK_PROPS), end)
        else:
            sig = _user_property(packet, pos, end, want)
    except (UnicodeDecodeError, ValueError, IndexError):
        return None
    if not topic or end > len(packet) or sig is _UNKNOWN:
        return None
    # Not Publish's own __new__ (Python, twice the cost): one is built per press.
    return tuple.__new__(Publish, (topic, bytes(packet[end:]), sig, qos, mid, bool(header & 0x01)))


_UNKNOWN = object()
# What a kiosk's presses carry (device/uplink.py): one user property, `sig`, 64 hex digits.
_KIOSK_PROPS = bytes([USER_PROPERTY]) + b"\x00\x03sig\x00\x40"
_KIOSK_PLEN = len(_KIOSK_PROPS) + 64


def _kiosk_sig(packet: bytes, pos: int, end: int):
    """Return the sig of a kiosk's properties (as _user_property would), taking ASCII at once."""
    value = packet[pos:end]
    if value.isascii() and b"\x00" not in value:
        return value.decode("ascii")
    return _user_property(packet, pos - len(_KIOSK_PROPS), end, "sig")


def next_packet(chunk: bytes, pos: int) -> tuple[int, int, int] | None:
    """Return (first header byte, start, end) of the whole packet at chunk[pos], or None.

    None when the chunk ends inside the packet, or its length is not a valid variable byte
    integer (the caller's full decoder then reads, or refuses, it).
    """
    if pos >= len(chunk):
        return None
    try:
        length, start = _varint(chunk, pos + 1)
    except (IndexError, ValueError):
        return None
    end = start + length
    return (chunk[pos], start, end) if end <= len(chunk) else None


def _user_property(packet: bytes, pos: int, end: int, want: str):
    """Return the first user property named want in packet[pos:end], None, or _UNKNOWN."""
    found = None
    while pos < end:
        ident = packet[pos]
        pos += 1
        if ident == USER_PROPERTY:
            key, pos = _string(packet, pos)
            value, pos = _string(packet, pos)
            if found is None and key == want:
                found = value
        elif ident in _STRING:
            _, pos = _string(packet, pos)
        elif ident in _BINARY:
            pos += 2 + int.from_bytes(packet[pos : pos + 2])
        elif ident in _BYTE:
            pos += 1
        elif ident in _TWO:
            pos += 2
        elif ident in _FOUR:
            pos += 4
        elif ident in _VARINT:
            _, pos = _varint(packet, pos)
        else:
            return _UNKNOWN
    return _UNKNOWN if pos != end else found


def _string(packet: bytes, pos: int) -> tuple[str, int]:
    n = int.from_bytes(packet[pos : pos + 2])
    if pos + 2 + n > len(packet):
        raise ValueError("string runs past the packet")
    text = packet[pos + 2 : pos + 2 + n].decode("utf-8")  # refuses encoded surrogates too
    if "\x00" in text:  # MQTT 5 1.5.4: paho refuses the packet; let it say so
        raise ValueError("a string holds U+0000")
    return text, pos + 2 + n


def _varint(packet: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    for _ in range(4):
        byte = packet[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("variable byte integer longer than 4 bytes")
