"""Bridge a commune to the province: export its kiosks, accept them there, configure its broker.

The three steps of `hailong-collector bridge`, each run in the caller's transaction (its audit
row) and each checking everything before it writes a file:

1. at the commune, `export_registration`: the kiosks' ids and signing keys (mode 0600);
2. at the province, `add_commune`: install those keys for ingest, refuse a kiosk another commune
   (or the province itself, or another office) already holds, register the kiosks in the office
   acted for (`bridge add --office CODE`: the province's figures are then per commune), give the
   commune's bridge an account whose ACL covers its kiosks only, and write the bridge bundle
   (mode 0600) with a new password;
3. at the commune, `configure_bridge`: the broker's bridge stanza and the province's CA file.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from hailong.protocol import ConfigFileError, ProtocolError
from hailong.protocol.files import write_atomic
from hailong.protocol.i18n import Text
from hailong.server.broker import accounts
from hailong.server.broker.bridge import (
    BridgeBundle,
    Registration,
    account,
    bridge_stanza,
    bridges_folder,
    check_commune,
    parse_bridge_bundle,
    parse_registration,
    registered_communes,
)
from hailong.server.broker.provision import install_key
from hailong.server.config import CollectorConfig
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.reference.audit import check_actor, record
from hailong.server.storage.schema import devices, offices


@dataclass(frozen=True)
class Added:
    """What `add_commune` did at the province."""

    commune: str
    devices: tuple[str, ...]
    new_keys: tuple[str, ...]  # kiosks whose key was installed or replaced
    bundle: Path
    reloaded: tuple[str, ...]


def export_registration(conn: Connection, config: CollectorConfig, commune: str, actor: str,
                        output: Path, devices: list[str] | None = None) -> Registration:  # fmt: skip
    """Write the commune's kiosks and their signing keys for the province (mode 0600)."""
    check_actor(actor)
    commune = _commune(commune)
    keys_dir = config.ingest.keys_dir
    if keys_dir is None or not keys_dir.is_dir():
        raise InputError(
            "{source}: ingest.keys_dir: không có khóa ký nào để xuất", source=config.source
        )
    held = {p.stem: p.read_text().strip() for p in sorted(keys_dir.glob("*.key"))}
    wanted = devices or sorted(held)
    unknown = [d for d in wanted if d not in held]
    if unknown or not wanted:
        raise InputError("Không có khóa ký của kiosk {devices} trong {folder}: hãy cấp phát trước "
                         "(`device add`)", devices=", ".join(unknown) or Text("(không có kiosk nào)"),
                         folder=keys_dir)  # fmt: skip
    made = datetime.now(UTC).isoformat(timespec="seconds")
    registration = Registration(commune, {d: held[d] for d in wanted}, made)
    write_atomic(output, registration.to_toml(), mode=0o600)
    record(conn, actor, "bridge-export", "commune", commune, None,
           {"devices": sorted(wanted), "file": str(output)})  # fmt: skip
    return registration


def add_commune(conn: Connection, config: CollectorConfig, registration_file: Path, actor: str,
                output: Path, *, reload: Callable[[], list[str]] | None = None) -> Added:  # fmt: skip
    """Accept a commune's kiosks at the province and write the bundle for its bridge."""
    check_actor(actor)
    reg = parse_registration(_read(registration_file), str(registration_file))
    keys_dir, ca_pem = _province_setup(config)
    password_file = config.broker.password_file
    _refuse_taken(reg, registered_communes(password_file), accounts.accounts(password_file))
    _refuse_other_office(conn, reg)
    new_keys = tuple(d for d, key in sorted(reg.keys.items()) if _key_of(keys_dir, d) != key)
    bundle = BridgeBundle(reg.commune, config.broker.address, config.broker.port,
                          secrets.token_urlsafe(24), ca_pem, tuple(sorted(reg.keys)),
                          config.mqtt.prefix, datetime.now(UTC).isoformat(timespec="seconds"))  # fmt: skip
    write_atomic(output, bundle.to_toml(), mode=0o600)
    try:
        for device in new_keys:  # a changed key retires the old one: stored presses stay verifiable
            install_key(keys_dir, device, reg.keys[device])
        listing = "".join(f"{d}\n" for d in bundle.devices)
        accounts.write_private(bridges_folder(password_file) / f"{reg.commune}.list",
                               f"# kiosks of commune {reg.commune} (bridge add)\n{listing}")  # fmt: skip
        accounts.set_password(password_file, account(reg.commune), bundle.password)
        accounts.write_acl(config.broker.acl_file, password_file, config.mqtt.prefix,
                           config.mqtt.username)  # fmt: skip
    except BaseException:
        output.unlink(missing_ok=True)  # a password the broker does not hold is worthless
        raise
    _register_in_office(conn, reg)
    record(conn, actor, "bridge-add", "commune", reg.commune, None,
           {"devices": list(bundle.devices), "new_keys": list(new_keys)})  # fmt: skip
    told = reload() if reload is not None else accounts.reload_broker(
        config.broker.pid_file, config.broker.systemd)  # fmt: skip
    return Added(reg.commune, bundle.devices, new_keys, output, tuple(told))


def configure_bridge(conn: Connection, config: CollectorConfig, bundle_file: Path, actor: str,
                     output: Path, ca_file: Path | None = None,
                     retry_max_s: int = 60) -> BridgeBundle:  # fmt: skip
    """Write the commune broker's bridge stanza and the province's CA (0640, mosquitto's group)."""
    check_actor(actor)
    bundle = read_bundle(bundle_file)
    if bundle.prefix != config.mqtt.prefix:
        raise InputError("Tỉnh dùng tiền tố {theirs}, máy chủ này dùng {ours}: hai bên phải giống nhau",
                         theirs=repr(bundle.prefix), ours=repr(config.mqtt.prefix))  # fmt: skip
    # Beside the broker's own files, in mosquitto's group: it reads both again at a reload.
    files = config.broker.password_file.parent
    files.mkdir(parents=True, exist_ok=True)
    ca_file = ca_file or files / f"province-{bundle.commune}-ca.crt"
    group = files.stat().st_gid
    write_atomic(ca_file, bundle.ca_certificate, mode=0o640, group=group)
    stanza = bridge_stanza(bundle, ca_file, retry_max_s=retry_max_s)
    write_atomic(output, stanza, mode=0o640, group=group)  # it holds the bridge's password
    record(conn, actor, "bridge-config", "commune", bundle.commune, None,
           {"province": f"{bundle.host}:{bundle.port}", "devices": list(bundle.devices),
            "file": str(output)})  # fmt: skip
    return bundle


def read_bundle(path: Path) -> BridgeBundle:
    """Read a bridge bundle file."""
    return parse_bridge_bundle(_read(path), str(path))


def _refuse_taken(reg: Registration, communes: dict[str, tuple[str, ...]],
                  users: list[str]) -> None:  # fmt: skip
    """Refuse kiosks that belong to another commune or are the province's own."""
    for device in sorted(reg.keys):
        owner = next((c for c, kiosks in communes.items() if device in kiosks), reg.commune)
        if owner != reg.commune:
            raise InputError("Kiosk {device} thuộc xã {owner}: xã {commune} không đăng ký được",
                             device=device, owner=owner, commune=reg.commune)  # fmt: skip
        if device in users:
            raise InputError("Kiosk {device} được cấp phát tại chính máy chủ tỉnh", device=device)


def _refuse_other_office(conn: Connection, reg: Registration) -> None:
    """Refuse kiosks already registered in another office than the one acted for (--office)."""
    mine = scope.office_id()
    if mine is None:
        return
    found = conn.execute(
        select(devices.c.device, offices.c.code)
        .join(offices, offices.c.id == devices.c.office_id)
        .where(devices.c.device.in_(sorted(reg.keys)), devices.c.office_id != mine)
        .order_by(devices.c.device)
    ).first()
    if found is not None:
        raise InputError("Kiosk {device} đã thuộc đơn vị {office}: xã {commune} không đăng ký được",
                         device=found.device, office=found.code, commune=reg.commune)  # fmt: skip


def _register_in_office(conn: Connection, reg: Registration) -> None:
    """Register the commune's kiosks in the office acted for: the province counts them there."""
    known = set(conn.execute(select(devices.c.device)
                             .where(devices.c.device.in_(sorted(reg.keys)))).scalars())  # fmt: skip
    new = [
        {"device": d, "acked_upto": 0, **scope.owner()} for d in sorted(reg.keys) if d not in known
    ]
    if new:
        conn.execute(insert(devices), new)


def _province_setup(config: CollectorConfig) -> tuple[Path, str]:
    problems = []
    if not config.broker.address:
        problems.append(Text("broker.address: tên hoặc địa chỉ mà cầu nối của các xã kết nối tới"))
    if config.ingest.keys_dir is None:
        problems.append(Text("ingest.keys_dir: nơi ingest đọc khóa ký của các kiosk"))
    try:
        ca_pem = config.broker.ca_file.read_text()
    except OSError as exc:
        ca_pem = ""
        problems.append(
            Text(
                "broker.ca_file: không đọc được {path} ({problem})",
                path=config.broker.ca_file,
                problem=exc.strerror,
            )
        )
    if ca_pem and "-----BEGIN CERTIFICATE-----" not in ca_pem:
        problems.append(
            Text("broker.ca_file: {path} không phải chứng chỉ PEM", path=config.broker.ca_file)
        )
    if problems:
        raise InputError("{source}: {problems}", source=config.source, problems=problems)
    return config.ingest.keys_dir, ca_pem


def _key_of(keys_dir: Path, device: str) -> str | None:
    path = keys_dir / f"{device}.key"
    return path.read_text().strip().lower() if path.exists() else None


def _commune(name: str) -> str:
    try:
        return check_commune(name)
    except ProtocolError as exc:
        raise InputError("Xã {name}: {problem}", name=repr(name), problem=exc.problem) from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigFileError(str(path), "(file)", exc.strerror or str(exc)) from None
