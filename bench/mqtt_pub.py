"""Send one simulated kiosk's pre-built MQTT 5 PUBLISH packets (QoS 1) as fast as its window allows.

  python bench/mqtt_pub.py HOST PORT CLIENT_ID PACKETS_FILE [WINDOW]

The benchmarks' stand-in for `mosquitto_pub -l`, which cannot give each line its own `sig`
property. Stdlib only, and every packet (signature and all) is built before the clock starts
(bench/signed_kiosks.py), so that a kiosk costs the run about what a C client would. It
connects, prints `ready`, waits for a line on stdin, keeps at most WINDOW packets unacknowledged
(20, mosquitto_pub's default), and exits 0 once every PUBACK has come; 1 when the broker refuses
the connection or a packet, or the connection ends first.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

PUBACK, CONNACK = 4, 2
RECEIVE_MAXIMUM = 0x21  # CONNACK property: how many QoS 1 messages the broker takes unacked


def varint(n: int) -> bytes:
    """Return n as an MQTT variable byte integer."""
    out = bytearray()
    while True:
        n, byte = n >> 7, n & 0x7F
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet_at(buf: bytes, pos: int) -> tuple[int, int, int] | None:
    """Return (first byte, body start, end) of the whole packet at buf[pos], or None if cut."""
    length, shift, i = 0, 0, pos + 1
    while i < len(buf) and i < pos + 5:
        byte = buf[i]
        length |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return (buf[pos], i, i + length) if i + length <= len(buf) else None
        shift += 7
    return None


def split(data: bytes) -> list[bytes]:
    """Cut a file of back-to-back packets into packets."""
    packets, pos = [], 0
    while pos < len(data):
        found = packet_at(data, pos)
        if found is None:
            raise SystemExit("the packets file ends inside a packet")
        packets.append(data[pos : found[2]])
        pos = found[2]
    return packets


def connect_packet(client_id: str) -> bytes:
    """Return an MQTT 5 CONNECT: clean start, keep-alive 60 s, no properties."""
    cid = client_id.encode()
    body = b"\x00\x04MQTT\x05\x02" + (60).to_bytes(2) + b"\x00" + len(cid).to_bytes(2) + cid
    return b"\x10" + varint(len(body)) + body


def receive_maximum(body: bytes) -> int:
    """Return the receive maximum a CONNACK body announces (65,535 when it says none)."""
    length, shift, pos = 0, 0, 2  # after the acknowledge flags and the reason code
    while True:
        byte = body[pos]
        length |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            break
    end = pos + length
    while pos < end:
        ident, pos = body[pos], pos + 1
        if ident == RECEIVE_MAXIMUM:
            return int.from_bytes(body[pos : pos + 2])
        if ident in _STRING:
            pos += 2 + int.from_bytes(body[pos : pos + 2])
        elif ident == _USER:
            pos += 2 + int.from_bytes(body[pos : pos + 2])
            pos += 2 + int.from_bytes(body[pos : pos + 2])
        else:
            pos += _FIXED[ident]  # any other id: a broker this script does not know (KeyError)
    return 65535


# CONNACK property ids by the size of their value (MQTT 5.0, 3.2.2.3).
_FIXED = {0x11: 4, 0x27: 4, 0x13: 2, 0x22: 2, 0x24: 1, 0x25: 1, 0x28: 1, 0x29: 1, 0x2A: 1}
_STRING = {0x12, 0x1A, 0x1C, 0x1F, 0x15, 0x16}  # strings, and binary data (same framing)
_USER = 0x26


def pubacks(buf: bytes, client_id: str) -> tuple[int, bytes]:
    """Return how many whole PUBACKs of success open buf, and what follows them.

    A success comes as 4 bytes (40 02 + packet id: MQTT 5 leaves out reason code 0), so a
    buffer of nothing else is counted at C speed; anything else is read packet by packet.
    """
    if len(buf) % 4 == 0 and buf[0::4].count(0x40) == buf[1::4].count(2) == len(buf) // 4:
        return len(buf) // 4, b""
    pos = n = 0
    while (found := packet_at(buf, pos)) is not None:
        first, start, end = found
        if first >> 4 != PUBACK or (end - start >= 3 and buf[start + 2] >= 0x80):
            raise SystemExit(f"{client_id}: the broker refused: {buf[pos:end]!r}")
        n, pos = n + 1, end
    return n, buf[pos:]


def main() -> int:
    host, port, client_id, path = sys.argv[1:5]
    window = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    packets = split(Path(path).read_bytes())
    sock = socket.create_connection((host, int(port)), timeout=120)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(connect_packet(client_id))
    buf = b""
    while (found := packet_at(buf, 0)) is None:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit(f"{client_id}: the broker closed the connection before CONNACK")
        buf += chunk
    first, start, end = found
    if first >> 4 != CONNACK or buf[start + 1] != 0:
        raise SystemExit(f"{client_id}: connection refused: {buf[:end]!r}")
    window = max(1, min(window, receive_maximum(buf[start:end])))
    buf = buf[end:]
    print("ready", flush=True)
    sys.stdin.readline()
    sent = min(window, len(packets))
    sock.sendall(b"".join(packets[:sent]))
    acked = 0
    while acked < len(packets):
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit(f"{client_id}: connection lost after {acked} PUBACKs")
        buf += chunk
        n, buf = pubacks(buf, client_id)
        acked += n
        if n and sent < len(packets):
            more = packets[sent : sent + n]
            sock.sendall(b"".join(more))
            sent += len(more)
    sock.sendall(b"\xe0\x00")  # DISCONNECT, normal
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
