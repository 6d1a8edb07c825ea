"""Helpers the tests share: polling with a deadline, and config files for real processes."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest

from server.broker import COLLECTOR_USER, Mosquitto


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll predicate until it returns a truthy value or timeout passes (then fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def write_password(folder: Path, user: str, password: str) -> Path:
    """Write a password file readable by its owner only."""
    path = folder / f"{user}.password"
    path.write_text(password)
    path.chmod(0o600)
    return path


def collector_toml(folder: Path, broker: Mosquitto, **ingest) -> Path:
    """Write a collector config for this broker and a SQLite file in folder."""
    lines = [f'database = "sqlite:///{folder / "collector.db"}"', "[mqtt]", f"port = {broker.port}"]
    if broker.users is not None:
        pw = write_password(folder, COLLECTOR_USER, broker.users[COLLECTOR_USER])
        lines.append(f'password_file = "{pw}"')
    lines.append(f'client_id = "collector-{secrets.token_hex(3)}"')
    lines.append("[ingest]")
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in ingest.items()]
    path = folder / "collector.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def kiosk_toml(folder: Path, broker: Mosquitto, device: str, **mqtt) -> Path:
    """Write a kiosk config for this broker with a journal under folder/device."""
    lines = [f'device = "{device}"', f'state_dir = "{folder / device}"', "[mqtt]",
             f"port = {broker.port}"]  # fmt: skip
    if broker.users is not None:
        pw = write_password(folder, device, broker.users[device])
        lines.append(f'password_file = "{pw}"')
    lines += [f"{k} = {v}" for k, v in mqtt.items()]
    lines += ["[kiosk]", "cooldown_s = 0.0", "[screen]", "enabled = false"]
    path = folder / f"{device}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def journal_acked(state_dir: Path) -> int:
    """Peek at a running kiosk's delivery watermark (the journal's ack file) without its lock."""
    path = state_dir / "journal" / "ack.json"
    try:
        return json.loads(path.read_text())["upto"]
    except (FileNotFoundError, json.JSONDecodeError):
        return 0
