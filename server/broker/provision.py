"""Provision and revoke kiosks: broker account, ACL entry, signing key, bundle, reference rows.

`add_device` is what `hailong-collector device add` and the devices page call. It runs inside
the caller's transaction (the kiosk's counter and the audit row), checks everything it can before
it writes a file, and removes the bundle again if a later step fails, so that no working
credentials are left lying around. The bundle is the only copy of the kiosk's password.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.protocol import ProtocolError, check_device_id
from hailong.protocol.bundle import BUNDLE_NAME, Bundle
from hailong.protocol.files import fsync_folder, write_atomic
from hailong.protocol.i18n import N_
from hailong.server.broker import accounts
from hailong.server.config import CollectorConfig
from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import catalogue as reference
from hailong.server.reference import placements
from hailong.server.reference.audit import check_actor, record
from hailong.server.storage.db import device_counters, devices

RETIRED = (
    "retired"  # keys_dir/retired/: old keys, kept to re-verify stored presses; ingest skips it
)


@dataclass(frozen=True)
class Provisioned:
    """What `add_device` made: hand `bundle` to the technician, for the SD card's boot partition."""

    device: str
    counter: str
    bundle: Path
    key_file: Path
    rotated: bool  # new credentials for a kiosk that had some
    reloaded: tuple[str, ...]  # the services told to reread their files (empty: none running)


@dataclass(frozen=True)
class Revoked:
    """What `revoke_device` undid."""

    device: str
    account_removed: bool
    retired_key: Path | None
    reloaded: tuple[str, ...]


def add_device(conn: Connection, config: CollectorConfig, device: str, counter: str, actor: str,
               *, output: Path, settings: Mapping[str, Mapping[str, Any]] | None = None,
               hostname: str | None = None, rotate: bool = False,
               reload: Callable[[], list[str]] | None = None) -> Provisioned:  # fmt: skip
    """Create a kiosk's broker account, ACL entry and signing key; write its bundle to output."""
    device, keys_dir, ca_pem = _check_setup(config, device)
    known = _is_provisioned(config, keys_dir, device)
    if known and not rotate:
        raise InputError("Kiosk {device} đã được đăng ký: chọn “cấp lại” (`device add {device} --rotate`) "
                         "để có thông tin đăng nhập mới, hoặc thu hồi (`device revoke {device}`)",
                         device=device)  # fmt: skip
    if rotate and not known:
        raise InputError("Kiosk {device} chưa có thông tin đăng nhập để cấp lại: hãy đăng ký mới",
                         device=device)  # fmt: skip
    reference.set_device_counter(conn, device, counter, actor)
    bundle = _bundle(config, device, ca_pem, settings, hostname)
    path = output / BUNDLE_NAME if output.is_dir() else output
    key_file = _issue(config, keys_dir, bundle, path)
    record(conn, actor, "rotate" if rotate else "provision", "device", device, None,
           {"device": device, "counter": counter, "bundle": str(path)})  # fmt: skip
    told = _reload(config, reload)
    return Provisioned(device, counter, path, key_file, rotate, told)


def revoke_device(conn: Connection, config: CollectorConfig, device: str, actor: str, *,
                  reload: Callable[[], list[str]] | None = None) -> Revoked:  # fmt: skip
    """Remove a kiosk's broker account and ACL entry, retire its key, free its counter."""
    check_actor(actor)
    device = _device_id(device)
    keys_dir = config.ingest.keys_dir
    removed = accounts.remove_account(config.broker.password_file, device)
    retired = _retire_key(keys_dir, device) if keys_dir else None
    placed = conn.execute(select(device_counters).where(device_counters.c.device == device)).first()
    known = conn.execute(select(devices.c.device).where(devices.c.device == device)).first()
    if not (removed or retired or placed or known):
        raise InputError("Không có kiosk “{device}”", device=device)
    accounts.write_acl(config.broker.acl_file, config.broker.password_file,
                       config.mqtt.prefix, config.mqtt.username)  # fmt: skip
    # Its placement is closed, not deleted: its stored presses stay attributed to that counter.
    placements.leave(conn, device, now_ms(), actor)
    record(conn, actor, "revoke", "device", device, {"device": device}, None)
    return Revoked(device, removed, retired, _reload(config, reload))


@dataclass(frozen=True)
class Missing:
    """One setting `device add` needs and lacks: its key, what is wrong in Vietnamese, values."""

    key: str
    problem: str  # Vietnamese, with {values}; its English is in the collector's catalogue
    values: Mapping[str, str]

    def text(self, translate: Callable[..., str] | None = None) -> str:
        """Return "key: problem", the problem translated when a translation is given."""
        return f"{self.key}: {(translate or str.format)(self.problem, **self.values)}"


class SetupError(InputError):
    """Raise when the collector's configuration lacks what registering a kiosk needs (all of it)."""

    def __init__(self, source: Path | str, missing: list[Missing]):
        self.source, self.missing = source, missing
        super().__init__(f"{source}: " + "; ".join(m.text() for m in missing))


def _check_setup(config: CollectorConfig, device: str) -> tuple[str, Path, str]:
    device = _device_id(device)
    if device == config.mqtt.username:
        raise InputError("“{device}” là tài khoản MQTT của chính máy chủ thu nhận", device=device)
    # A kiosk's client id is its username (use_username_as_clientid on the kiosks' listener):
    # a kiosk named like the collector's client ids could take over its session.
    collector_id = config.mqtt.client_id.lower()
    if device == collector_id or device.startswith(f"{collector_id}-"):
        raise InputError("“{device}” trùng mã kết nối “{client}” của máy chủ thu nhận", device=device,
                         client=collector_id)  # fmt: skip
    missing, ca_pem = _missing_settings(config)
    if missing:  # every one at once: a technician fixes the file once, not once per try
        raise SetupError(config.source, missing)
    return device, config.ingest.keys_dir, ca_pem


def _missing_settings(config: CollectorConfig) -> tuple[list[Missing], str]:
    """Return what registering lacks, and the CA certificate when it can be read."""
    missing = []
    if not config.broker.address:
        missing.append(
            Missing("broker.address", N_("chưa đặt tên hoặc địa chỉ IP kiosk kết nối tới"), {})
        )
    if config.ingest.keys_dir is None:
        missing.append(Missing("ingest.keys_dir", N_("chưa đặt thư mục khóa ký của kiosk"), {}))
    folder = config.broker.password_file.parent
    if not folder.is_dir():
        missing.append(
            Missing("broker.password_file", N_("không có thư mục {path}"), {"path": str(folder)})
        )
    ca_file, ca_pem = config.broker.ca_file, ""
    try:
        ca_pem = ca_file.read_text()
    except OSError as exc:
        missing.append(Missing("broker.ca_file", N_("không đọc được chứng chỉ CA {path} ({problem})"),
                               {"path": str(ca_file), "problem": exc.strerror or str(exc)}))  # fmt: skip
    else:
        if "-----BEGIN CERTIFICATE-----" not in ca_pem:
            missing.append(Missing("broker.ca_file", N_("{path} không phải chứng chỉ PEM"),
                                   {"path": str(ca_file)}))  # fmt: skip
    return missing, ca_pem


def _device_id(device: str) -> str:
    try:
        return check_device_id(device)
    except ProtocolError:
        raise InputError(reference.BAD_DEVICE_ID, device=device) from None


def _is_provisioned(config: CollectorConfig, keys_dir: Path, device: str) -> bool:
    has_account = device in accounts.accounts(config.broker.password_file)
    return has_account or (keys_dir / f"{device}.key").exists()


def _issue(config: CollectorConfig, keys_dir: Path, bundle: Bundle, path: Path) -> Path:
    """Write the bundle, then give the broker and ingest the same password and key."""
    write_atomic(path, bundle.to_toml(), mode=0o600)  # a FAT boot partition ignores the mode
    try:
        key_file = install_key(keys_dir, bundle.device, bundle.signing_key)
        accounts.set_password(config.broker.password_file, bundle.device, bundle.password)
        accounts.write_acl(config.broker.acl_file, config.broker.password_file,
                           config.mqtt.prefix, config.mqtt.username)  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)  # credentials the broker does not hold are worthless
        raise
    return key_file


def _bundle(config, device, ca_pem, settings, hostname) -> Bundle:
    """Return a bundle with a new random password and signing key."""
    wanted = {name: dict(values) for name, values in (settings or {}).items()}
    return Bundle(device=device, host=config.broker.address, port=config.broker.port,
                  password=secrets.token_urlsafe(24), ca_certificate=ca_pem,
                  signing_key=secrets.token_hex(32),
                  prefix=config.mqtt.prefix, hostname=hostname,
                  created=datetime.now(UTC).isoformat(timespec="seconds"),
                  settings=wanted)  # fmt: skip


def install_key(keys_dir: Path, device: str, key: str) -> Path:
    """Write <device>.key for ingest (mode 0640, the folder's group), retiring any old one."""
    keys_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    _retire_key(keys_dir, device)
    path = keys_dir / f"{device}.key"
    return write_atomic(path, key + "\n", mode=0o640, group=keys_dir.stat().st_gid)


def _retire_key(keys_dir: Path, device: str) -> Path | None:
    """Move <device>.key to retired/ (stored presses stay verifiable); return where it went."""
    current = keys_dir / f"{device}.key"
    if not current.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = keys_dir / RETIRED / f"{device}-{stamp}.key"
    target.parent.mkdir(mode=0o750, exist_ok=True)
    shutil.move(current, target)
    fsync_folder(target.parent)  # keys_dir itself is synced by the new key's write
    return target


def _reload(config: CollectorConfig, reload: Callable[[], list[str]] | None) -> tuple[str, ...]:
    told = (
        reload()
        if reload is not None
        else accounts.reload_broker(config.broker.pid_file, config.broker.systemd)
    )
    return tuple(told)
