"""The hailong wire contract in code: messages, topics and signing (stdlib only)."""

from hailong.protocol.config import UNSET, Config, parse_config
from hailong.protocol.errors import ConfigFileError, ProtocolError
from hailong.protocol.messages import (
    Ack,
    Anchor,
    Health,
    Status,
    parse_ack,
    parse_health,
    parse_status,
)
from hailong.protocol.press import LEVELS, Press, format_ts, parse_press
from hailong.protocol.signing import SIG_PROPERTY, parse_key, sign, verify
from hailong.protocol.topics import DEFAULT_PREFIX, TopicName, Topics, check_device_id

VERSION = 1

__all__ = [
    "DEFAULT_PREFIX",
    "LEVELS",
    "SIG_PROPERTY",
    "UNSET",
    "VERSION",
    "Ack",
    "Anchor",
    "Config",
    "Health",
    "Press",
    "ConfigFileError",
    "ProtocolError",
    "Status",
    "TopicName",
    "Topics",
    "check_device_id",
    "format_ts",
    "parse_ack",
    "parse_config",
    "parse_health",
    "parse_key",
    "parse_press",
    "parse_status",
    "sign",
    "verify",
]
