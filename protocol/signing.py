"""HMAC-SHA256 signatures over the exact payload bytes (MQTT 5 user property `sig`)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

from hailong.protocol.errors import ProtocolError

SIG_PROPERTY = "sig"
_HEX_KEY = re.compile(r"[0-9a-fA-F]{32,256}")


def sign(key: bytes, payload: bytes) -> str:
    """Return the lowercase hex HMAC-SHA256 of payload under key."""
    mac = _keyed(key).copy()
    mac.update(payload)
    return mac.hexdigest()


@functools.lru_cache(maxsize=4096)
def _keyed(key: bytes) -> hmac.HMAC:
    """Return an HMAC-SHA256 keyed with key and fed nothing yet, to be copied per message.

    A fresh hmac.new looks its digest up in OpenSSL (a fetch under a lock) and hashes the
    key's pads again for every press; a copy of this state does neither. The collector checks
    every press of every kiosk, so the cache holds one state per kiosk (beyond 4,096 kiosks
    the least recent are built again).
    """
    return hmac.new(key, digestmod=hashlib.sha256)


def verify(key: bytes, payload: bytes, sig: str | None) -> bool:
    """Tell whether sig is the signature of payload under key (constant time)."""
    if not isinstance(sig, str) or not sig.isascii():  # compare_digest refuses non-ASCII str
        return False
    return hmac.compare_digest(sign(key, payload), sig.strip().lower())


def parse_key(text: str) -> bytes:
    """Decode a signing key stored as hex (at least 128 bits), or raise ProtocolError."""
    text = text.strip()
    if not _HEX_KEY.fullmatch(text) or len(text) % 2:
        raise ProtocolError("key", "must be an even number of 32 to 256 hex digits")
    return bytes.fromhex(text)
