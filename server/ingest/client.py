"""Build the collector's paho clients: the one place that knows MQTT 5, its account and TLS.

build_client makes any collector-side client; make_client adds what the ingest needs on top
(a Will, manual acknowledgement, a persistent session via connect_properties). A one-shot client
such as the Config push uses build_client alone: its own client id, a clean session, no Will.
"""

from __future__ import annotations

import ssl

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hailong.protocol import Status, Topics
from hailong.server.config import CollectorConfig


def build_client(
    config: CollectorConfig, client_id: str, *, manual_ack: bool = False
) -> paho.Client:
    """Return a not yet connected MQTT 5 client signed in as the collector, over TLS if configured."""
    m = config.mqtt
    client = paho.Client(
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


def connect_properties(session_expiry_s: int) -> Properties:
    """Return CONNECT properties that keep our session (and unacked messages) across restarts."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry_s
    props.ReceiveMaximum = 1000
    return props


def user_property(message: paho.MQTTMessage, name: str) -> str | None:
    """Return one MQTT 5 user property of a received message, or None."""
    props = getattr(message, "properties", None)
    for key, value in getattr(props, "UserProperty", None) or ():
        if key == name:
            return value
    return None
