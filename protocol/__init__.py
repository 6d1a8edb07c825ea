"""The hailong wire contract in code: messages, topics and signing (stdlib only)."""

from .config import UNSET, Config, parse_config
from .errors import ConfigFileError, ProtocolError
from .messages import Ack, Anchor, Health, Status, parse_ack, parse_health, parse_status
from .press import LEVELS, Press, format_ts, parse_press
from .signing import SIG_PROPERTY, parse_key, sign, verify
from .topics import DEFAULT_PREFIX, TopicName, Topics, check_device_id

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
