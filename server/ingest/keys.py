"""The devices' signing keys as ingest holds them: one <device>.key file (hex HMAC key) each."""

from __future__ import annotations

import logging
from pathlib import Path

from hailong.protocol import ProtocolError, parse_key

log = logging.getLogger(__name__)


def load_keys(folder: Path | None) -> dict[str, bytes]:
    """Read every <device>.key file (hex HMAC key) in folder."""
    keys: dict[str, bytes] = {}
    if folder is None or not folder.is_dir():
        return keys
    for path in sorted(folder.glob("*.key")):
        try:
            keys[path.stem] = parse_key(path.read_text())
        except (OSError, ProtocolError) as exc:
            log.error("ignoring signing key %s: %s", path, exc)
    return keys
