"""Build the collector's paho clients: the one place that knows MQTT 5, its account and TLS.

build_client makes any collector-side client; make_client adds what the ingest needs on top
(a Will, manual acknowledgement, a persistent session via connect_properties). A one-shot client
such as the Config push uses build_client alone: its own client id, a clean session, no Will.

The ingest's client is paho's with three costs taken out of its hot path (CollectorClient):
paho reads each packet with three or four recv calls (a byte for the type, one per length
byte, then the rest), decodes every MQTT 5 property into a Properties object and matches
every topic against its callback filters; and each manual ack is its own queued packet, its
own wake-up of the network thread and its own send. Those calls release and retake the GIL
the batch loop needs. See docs/performance.md.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hailong.protocol import SIG_PROPERTY, Status, Topics
from hailong.server.config import CollectorConfig
from hailong.server.ingest.wire import Publish, decode_publish, next_packet

READ_CHUNK = 64 * 1024  # per recv: ~150 presses; 256 KiB costs an mmap per call (glibc)
_PUBACK = 0x40
_PUBLISH = 0x30


class CollectorClient(paho.Client):
    """paho's client reading the socket in large chunks, with a lean path for PUBLISH and bulk acks.

    on_publishes, when set, takes the QoS 0/1 MQTT 5 PUBLISH packets as lists of wire.Publish
    (on the network thread, like on_message): every whole PUBLISH at the head of a chunk read
    from the socket at once, without paho's per-packet state machine. Any other packet, and
    any PUBLISH that wire.decode_publish does not read, goes through paho's own path (to
    on_message). Keepalive, reconnects, sessions and TLS stay paho's.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_publishes: Callable[[list[Publish]], None] | None = None
        self._chunk = b""  # what the last large recv brought and paho has not taken yet
        self._taken = 0

    def ack_many(self, mids: Iterable[int]) -> None:
        """Acknowledge QoS 1 messages in one packet write (manual ack only, like paho's ack)."""
        if not self._manual_ack:
            return
        data = b"".join(b"\x40\x02" + mid.to_bytes(2) for mid in mids)
        if data:
            self._packet_queue(_PUBACK, data, 0, 0)

    def _sock_recv(self, bufsize: int) -> bytes:
        # paho asks for 1 byte, then the length, then the rest: serve it from one large read.
        if self._taken >= len(self._chunk):
            data = super()._sock_recv(READ_CHUNK)  # raises BlockingIOError when nothing came
            if len(data) <= bufsize:
                return data
            self._chunk, self._taken = data, 0
        start = self._taken
        self._taken = min(start + bufsize, len(self._chunk))
        return self._chunk[start : self._taken]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read a chunk, then until it is used up (select cannot see what it holds)."""
        rc = MQTTErrorCode.MQTT_ERR_SUCCESS
        if not self._fill():
            rc = self._read_one()  # paho reads (and meets any error) itself
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._sock is not None and self._buffered():
            self._read_publishes()
            if self._buffered():  # a packet for paho, or one cut by the end of the chunk
                rc = self._read_one()
        return rc

    def _read_one(self) -> MQTTErrorCode:
        """Read one packet through paho's own path, as its loop_read does for each.

        Not paho's loop_read itself: that reads as many packets as we have messages in flight
        (our retained acks awaiting their PUBACK: hundreds under load), all through its slow
        path, each PUBLISH handed on alone, where the chunk's lean path takes them in one go.
        """
        if self._sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        rc = self._packet_read()
        if rc > 0:
            return self._loop_rc_handle(rc)
        return MQTTErrorCode.MQTT_ERR_SUCCESS  # MQTT_ERR_AGAIN too: the rest comes later

    def _fill(self) -> bool:
        """Read a chunk at a packet boundary; False leaves the reading (and errors) to paho."""
        if self._buffered():
            return True
        if self._sock is None or self._in_packet["command"]:
            return False
        try:
            data = super()._sock_recv(READ_CHUNK)
        except OSError:  # BlockingIOError too: paho's own read meets it again and says so
            return False
        if not data:  # the broker closed: paho's read sees it too
            return False
        self._chunk, self._taken = data, 0
        return True

    def _buffered(self) -> bool:
        return self._taken < len(self._chunk)

    def _read_publishes(self) -> None:
        """Hand on every whole PUBLISH at the head of the chunk; stop at anything else."""
        lean = self.on_publishes
        if lean is None or self._protocol != paho.MQTTv5 or self._in_packet["command"]:
            return  # paho is inside a packet: it reads the rest
        chunk, pos, got = self._chunk, self._taken, []
        while (found := next_packet(chunk, pos)) is not None:
            header, start, end = found
            if header & 0xF0 != _PUBLISH or header & 0x06 > 0x02:  # QoS 2: paho's bookkeeping
                break
            publish = decode_publish(header, chunk[start:end], SIG_PROPERTY)
            if publish is None:
                break
            got.append(publish)
            pos = end
        if got:
            self._taken = pos
            self._delivered(got)

    def _delivered(self, got: list[Publish]) -> None:
        with self._msgtime_mutex:  # the keepalive reads it
            self._last_bytes_received = paho.time_func()
        with self._in_callback_mutex:
            self.on_publishes(got)
        if not self._manual_ack:
            for publish in got:
                if publish.qos == 1:
                    self._send_puback(publish.mid)

    def _sock_close(self) -> None:
        self._chunk, self._taken = b"", 0  # never hand a new connection the old one's bytes
        super()._sock_close()

    def _handle_publish(self) -> MQTTErrorCode:
        header, packet = self._in_packet["command"], self._in_packet["packet"]
        if self.on_publishes is None or self._protocol != paho.MQTTv5 or header & 0x06 > 0x02:
            return super()._handle_publish()
        publish = decode_publish(header, packet, SIG_PROPERTY)
        if publish is None:
            return super()._handle_publish()
        self._delivered([publish])
        return MQTTErrorCode.MQTT_ERR_SUCCESS


def build_client(
    config: CollectorConfig, client_id: str, *, manual_ack: bool = False
) -> paho.Client:
    """Return a not yet connected MQTT 5 client signed in as the collector, over TLS if configured."""
    m = config.mqtt
    client = CollectorClient(
        paho.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5,
        manual_ack=manual_ack,
    )
    if m.username:
        client.username_pw_set(m.username, config.mqtt_password())
    if m.ca_file:
        client.tls_set(ca_certs=str(m.ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    return client


def make_client(config: CollectorConfig, client_id: str | None = None) -> paho.Client:
    """Return the ingest's client, not yet connected, whose Will marks the collector offline."""
    m = config.mqtt
    # Manual ack: a press is acknowledged to the broker only after its commit.
    client = build_client(config, client_id or m.client_id, manual_ack=True)
    client.will_set(
        Topics(m.prefix).collector_status, Status("offline").to_bytes(), qos=1, retain=True
    )
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


def connect_properties(session_expiry_s: int, batch_size: int = 0) -> Properties:
    """Return CONNECT properties that keep our session (and unacked messages) across restarts."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry_s
    props.ReceiveMaximum = receive_maximum(batch_size)
    return props


def receive_maximum(batch_size: int) -> int:
    """Return how many unacked messages the broker may send us: room for three batches.

    A message is acked only after its batch commits. With room for one batch only, the broker
    stops while the batch commits and the commit waits for nothing to overlap with it; with
    room for three, the next batches arrive (and are parsed) during the commit. MQTT 5's
    Receive Maximum rules over mosquitto's max_inflight_messages for a v5 client.
    """
    return min(65_535, max(1000, 3 * batch_size))


def user_property(message: paho.MQTTMessage, name: str) -> str | None:
    """Return one MQTT 5 user property of a received message, or None."""
    props = getattr(message, "properties", None)
    for key, value in getattr(props, "UserProperty", None) or ():
        if key == name:
            return value
    return None
