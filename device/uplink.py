"""The kiosk's MQTT adapter: one paho client per connection; callbacks only enqueue."""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable
from functools import partial

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hailong.device.config import KioskConfig
from hailong.device.events import Connected, Disconnected, Incoming, PublishFailed
from hailong.protocol import SIG_PROPERTY, Health, Status, Topics, sign

log = logging.getLogger(__name__)
UNREACHABLE = "unreachable"


def make_client(config: KioskConfig, client_id: str) -> paho.Client:
    """Return a paho MQTT 5 client logged in as the device, over TLS when configured."""
    m = config.mqtt
    # No reconnect of its own: the loop decides when to try again (and with which session).
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=paho.MQTTv5, reconnect_on_failure=False)  # fmt: skip
    client.username_pw_set(config.username, config.mqtt_password())
    if m.ca_file:
        client.tls_set(ca_certs=str(m.ca_file),
                       certfile=str(m.cert_file) if m.cert_file else None,
                       keyfile=str(m.key_file) if m.key_file else None,
                       tls_version=ssl.PROTOCOL_TLS_CLIENT)  # fmt: skip
    return client


class Uplink:
    """Connect, publish and subscribe for one kiosk; the main loop calls every method."""

    def __init__(self, config: KioskConfig, post: Callable[[object], None], key: bytes | None):
        self.config = config
        self.topics = Topics(config.mqtt.prefix)
        self.post = post  # puts an event on the main loop's queue and wakes it
        self.key = key
        self.client: paho.Client | None = None
        self.session = 0
        self.generation = 0  # bumped per client, so events of a closed client can be told apart

    def start(self, session: int) -> None:
        """Open a new connection whose Will carries this session number."""
        self.stop()
        self.session = session
        self.generation += 1
        self.client = self._make_client(session, self.generation)
        m = self.config.mqtt
        self.client.connect_async(m.host, m.port, m.keepalive, clean_start=True)
        self.client.loop_start()

    def stop(self, farewell: bool = False) -> None:
        """Close the connection (saying offline first when farewell)."""
        client, self.client = self.client, None
        if client is None:
            return
        if farewell and client.is_connected():
            info = client.publish(
                self.topics.status(self.config.device), self._status("offline"), 1, True
            )
            _wait(info, 2.0)
        client.disconnect()
        client.loop_stop()

    def on_connected(self) -> None:
        """Subscribe and announce ourselves: called by the main loop after Connected."""
        d = self.config.device
        self.client.subscribe([(self.topics.ack(d), 1), (self.topics.config(d), 1),
                               (self.topics.collector_status, 1)])  # fmt: skip
        self.client.publish(self.topics.status(d), self._status("online"), 1, True)

    def publish_press(self, payload: bytes) -> int:
        """Publish one press's exact bytes (signed when we hold a key); return the mid."""
        props = None
        if self.key is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.UserProperty = (SIG_PROPERTY, sign(self.key, payload))
        info = self.client.publish(self.topics.press(self.config.device), payload, 1, False, props)
        return info.mid

    def publish_health(self, health: Health) -> None:
        """Publish a health report (QoS 0: the next one supersedes it)."""
        if self.client is not None and self.client.is_connected():
            self.client.publish(self.topics.health(self.config.device), health.to_bytes(), 0)

    @property
    def connected(self) -> bool:
        """Tell whether the current client is connected."""
        return self.client is not None and self.client.is_connected()

    def _status(self, state: str) -> bytes:
        return Status(state, self.session).to_bytes()

    def is_current(self, event) -> bool:
        """Tell whether an event comes from the client in use (not one already closed)."""
        return getattr(event, "gen", self.generation) == self.generation

    def _make_client(self, session: int, gen: int) -> paho.Client:
        m, d = self.config.mqtt, self.config.device
        client = make_client(self.config, f"{d}-s{session}")
        client.will_set(self.topics.status(d), self._status("offline"), 1, True)
        client.reconnect_delay_set(1, 30)
        client.max_inflight_messages_set(m.inflight)
        client.max_queued_messages_set(0)
        client.on_connect = partial(self._on_connect, gen)
        client.on_disconnect = partial(self._on_disconnect, gen)
        client.on_message = partial(self._on_message, gen)
        client.on_publish = partial(self._on_publish, gen)
        client.on_connect_fail = partial(self._on_connect_fail, gen)
        return client

    # paho's thread from here on: stamp and enqueue, nothing else.
    def _on_connect(self, gen, _c, _u, _flags, reason_code, _props):
        if reason_code.is_failure:
            self.post(Disconnected(f"refused: {reason_code}", time.monotonic(), gen))
        else:
            self.post(Connected(time.monotonic(), gen))

    def _on_connect_fail(self, gen, _c, _u):
        self.post(Disconnected(UNREACHABLE, time.monotonic(), gen))

    def _on_disconnect(self, gen, _c, _u, _flags, reason_code, _props):
        self.post(Disconnected(str(reason_code), time.monotonic(), gen))

    def _on_message(self, gen, _c, _u, msg):
        topic = msg.topic
        kind = "collector" if topic == self.topics.collector_status else topic.rsplit("/", 1)[-1]
        self.post(Incoming(kind, bytes(msg.payload), time.monotonic(), gen))

    def _on_publish(self, gen, _c, _u, mid, reason_code, _props):
        if reason_code.is_failure:
            self.post(PublishFailed(mid, str(reason_code), time.monotonic(), gen))


def _wait(info: paho.MQTTMessageInfo, timeout: float) -> None:
    with contextlib.suppress(RuntimeError, ValueError):
        info.wait_for_publish(timeout)
