"""Build the collector's paho client: MQTT 5, persistent session, manual acknowledgement."""

from __future__ import annotations

import ssl

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hailong.protocol import Status, Topics
from hailong.server.config import CollectorConfig


def make_client(config: CollectorConfig, client_id: str | None = None) -> paho.Client:
    """Return a configured, not yet connected client whose Will marks the collector offline."""
    m = config.mqtt
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id=client_id or m.client_id,
        protocol=paho.MQTTv5,
        manual_ack=True,  # a press is acknowledged to the broker only after its commit
    )
    if m.username:
        client.username_pw_set(m.username, config.mqtt_password())
    if m.ca_file:
        client.tls_set(ca_certs=str(m.ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
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
