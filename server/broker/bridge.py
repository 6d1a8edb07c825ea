"""A commune's broker bridged to the province's: the files that travel and the config they make.

Two files cross between the offices (both SECRET, mode 0600):

- the *registration* (commune → province): the commune's name and its kiosks' ids and signing
  keys, so that the province collector verifies every press with the kiosk's own key;
- the *bridge bundle* (province → commune): the province broker's address and CA certificate,
  the commune bridge's account and password, and the kiosks the province accepts from it.

From the bundle the commune renders its broker's bridge stanza (`bridge_stanza`); from the
registrations it holds the province writes one ACL block per commune (`acl_block`), so a commune's
bridge can write only its own kiosks' press/status/health and read only their acks.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from hailong.protocol import DEFAULT_PREFIX, ConfigFileError, ProtocolError, check_device_id
from hailong.protocol.bundle import table_lines, toml_value
from hailong.protocol.signing import parse_key
from hailong.protocol.topics import Topics

REGISTRATION_VERSION = 1
BRIDGE_VERSION = 1
ACCOUNT_PREFIX = "bridge."  # a dot: no device id can take a bridge's username
_PEM = "-----BEGIN CERTIFICATE-----"


def up_prefix(prefix: str = DEFAULT_PREFIX) -> str:
    """Return the commune-local prefix of what crosses the bridge (hailong/v1 -> hailong/up/v1).

    Outside P/…, so the commune's own collector never takes the province's acks for its own,
    nor the presses it re-forwards for new ones.
    """
    head, _, rest = prefix.partition("/")
    return f"{head}/up/{rest}" if rest else f"{prefix}-up"


def state_topic(prefix: str = DEFAULT_PREFIX) -> str:
    """Return the commune-local topic where mosquitto says whether the bridge is up ("1"/"0")."""
    return f"{up_prefix(prefix)}/bridge/state"


def account(commune: str) -> str:
    """Return the province broker's username for a commune's bridge."""
    return ACCOUNT_PREFIX + commune


def check_commune(name: object, field: str = "commune") -> str:
    """Return a commune name (a device id's rules), or raise ProtocolError naming the field."""
    return check_device_id(name, field)


@dataclass(frozen=True)
class Registration:
    """A commune's kiosks as the province must know them: id -> hex signing key."""

    commune: str
    keys: dict[str, str]
    created: str | None = None

    def to_toml(self) -> str:
        """Return the registration file's text."""
        lines = [
            f"# hailong registration of commune {self.commune}: its kiosks and their signing keys.",
            "# SECRET. Hand it to the province (`hailong-collector bridge add`), then delete it.",
            f"registration = {REGISTRATION_VERSION}",
            *table_lines({"commune": self.commune, "created": self.created}),
            "",
            "[keys]",
            *table_lines(dict(sorted(self.keys.items()))),
        ]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class BridgeBundle:
    """What a commune needs to bridge to the province: where, whom to trust, who it is."""

    commune: str
    host: str
    port: int
    password: str
    ca_certificate: str  # PEM
    devices: tuple[str, ...]
    prefix: str = DEFAULT_PREFIX
    created: str | None = None

    @property
    def username(self) -> str:
        """Return the bridge's account on the province broker."""
        return account(self.commune)

    def to_toml(self) -> str:
        """Return the bundle file's text."""
        lines = [
            f"# hailong bridge bundle for commune {self.commune}. SECRET: it holds the bridge's",
            "# password on the province broker. `hailong-collector bridge config` reads it.",
            f"bridge = {BRIDGE_VERSION}",
            *table_lines({"commune": self.commune, "created": self.created}),
            f"devices = {toml_value(list(self.devices))}",
            "",
            "[province]",
            *table_lines(
                {
                    "host": self.host,
                    "port": self.port,
                    "prefix": self.prefix,
                    "password": self.password,
                    "ca_certificate": self.ca_certificate,
                }
            ),  # fmt: skip
        ]
        return "\n".join(lines) + "\n"


def parse_registration(data: bytes, where: str) -> Registration:
    """Read and check a registration; raise ConfigFileError naming the file and the key."""
    doc = _load(data, where, {"registration", "commune", "created", "keys"})
    _version(doc, "registration", REGISTRATION_VERSION, where)
    keys = doc.get("keys")
    if not isinstance(keys, dict) or not keys:
        raise ConfigFileError(where, "keys", "must be a table of device = hex key, not empty")
    checked = {}
    for device, key in keys.items():
        try:
            parse_key(key if isinstance(key, str) else "")
            checked[check_device_id(device, f"keys.{device}")] = key.strip().lower()
        except ProtocolError as exc:
            raise ConfigFileError(where, f"keys.{device}", exc.problem) from None
    return Registration(_commune(doc, where), checked, _text(doc.get("created")))


def parse_bridge_bundle(data: bytes, where: str) -> BridgeBundle:
    """Read and check a bridge bundle; raise ConfigFileError naming the file and the key."""
    doc = _load(data, where, {"bridge", "commune", "created", "devices", "province"})
    _version(doc, "bridge", BRIDGE_VERSION, where)
    province = doc.get("province")
    if not isinstance(province, dict):
        raise ConfigFileError(where, "province", "must be a table")
    devices = doc.get("devices")
    if not isinstance(devices, list) or not devices:
        raise ConfigFileError(where, "devices", "must be a non-empty list of device ids")
    try:
        ids = tuple(check_device_id(d, "devices") for d in devices)
        prefix = Topics(province.get("prefix", DEFAULT_PREFIX)).prefix
    except ProtocolError as exc:
        raise ConfigFileError(where, exc.field, exc.problem) from None
    host, password = province.get("host"), province.get("password")
    port, pem = province.get("port"), province.get("ca_certificate")
    if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host):
        raise ConfigFileError(where, "province.host", f"must be a host name or address, got {host!r}")  # fmt: skip
    if type(port) is not int or not 1 <= port <= 65535:
        raise ConfigFileError(where, "province.port", f"must be 1..65535, got {port!r}")
    if not isinstance(password, str) or not password.isprintable() or password != password.strip() or not password:  # fmt: skip
        raise ConfigFileError(where, "province.password", "must be printable, without spaces around")  # fmt: skip
    if not isinstance(pem, str) or _PEM not in pem:
        raise ConfigFileError(where, "province.ca_certificate", f"must be a PEM certificate ({_PEM})")  # fmt: skip
    return BridgeBundle(_commune(doc, where), host, port, password, pem.strip() + "\n", ids, prefix,
                        _text(doc.get("created")))  # fmt: skip


def bridge_stanza(bundle: BridgeBundle, ca_file: Path, *, retry_max_s: int = 60) -> str:
    """Return the commune broker's bridge to the province (a mosquitto conf.d file).

    Every kiosk's press, status and health go up under their own topic; the presses the commune
    collector re-forwards go up from {up}/D/press to the same P/D/press; the province's retained
    acks come down to {up}/D/ack, never to P/D/ack, which stays the commune collector's alone.
    """
    p, up = bundle.prefix, up_prefix(bundle.prefix)
    name = f"hailong-{bundle.commune}"
    lines = [
        "# Generated by hailong-collector bridge config: edits are overwritten. SECRET (password).",
        "# The commune's presses go up to the province broker; its acks come back remapped.",
        f"connection {name}",
        f"address {bundle.host}:{bundle.port}",
        "bridge_protocol_version mqttv50",  # the sig user property crosses only under MQTT 5
        f"bridge_cafile {ca_file}",
        "bridge_insecure false",
        "bridge_tls_version tlsv1.2",
        f"remote_username {bundle.username}",
        f"remote_password {bundle.password}",
        f"remote_clientid {bundle.username}",
        f"local_clientid {name}",
        # Persistent sessions on both sides: while the WAN is down the commune broker queues what
        # goes up (persisted with the broker's own persistence), the province keeps our acks.
        "cleansession false",
        "local_cleansession false",
        "try_private true",
        # After a cut, reconnect attempts back off from 1 s to retry_max_s (with jitter).
        f"restart_timeout 1 {retry_max_s}",
        "keepalive_interval 30",
        # The state is published here only (the province's ACL would refuse it): "1" up, "0" down.
        "notifications true",
        "notifications_local_only true",
        f"notification_topic {state_topic(p)}",
        # The link's queue is bounded by max_queued_messages, which is global in mosquitto
        # (500,000 in hailong.conf); what it ever drops, `bridge forward` re-forwards.
    ]
    for device in bundle.devices:
        lines += [
            f"topic {device}/press out 1 {p}/ {p}/",
            f"topic {device}/press out 1 {up}/ {p}/",
            f"topic {device}/status out 1 {p}/ {p}/",
            f"topic {device}/health out 0 {p}/ {p}/",
            f"topic {device}/ack in 1 {up}/ {p}/",
        ]
    return "\n".join(lines) + "\n"


def acl_block(commune: str, devices, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the province ACL's rules for one commune's bridge: its kiosks' topics only."""
    lines = [f"user {account(commune)}"]
    for device in sorted(devices):
        lines += [f"topic write {prefix}/{device}/press", f"topic write {prefix}/{device}/status",
                  f"topic write {prefix}/{device}/health", f"topic read {prefix}/{device}/ack"]  # fmt: skip
    return "\n".join(lines) + "\n"


def bridges_folder(password_file: Path) -> Path:
    """Return where the province keeps each commune's kiosk list (beside the broker's files)."""
    return password_file.parent / "bridges"


def registered_communes(password_file: Path) -> dict[str, tuple[str, ...]]:
    """Return the communes the province accepts and each one's kiosks, from bridges/<name>.list."""
    folder = bridges_folder(password_file)
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.list")):
        names = [line.strip() for line in path.read_text().splitlines()]
        found[path.stem] = tuple(n for n in names if n and not n.startswith("#"))
    return found


def _load(data: bytes, where: str, allowed: set[str]) -> dict:
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(where, "(syntax)", str(exc)) from None
    for key in doc:
        if key not in allowed:
            raise ConfigFileError(where, key, "unknown key")
    return doc


def _version(doc: dict, key: str, version: int, where: str) -> None:
    if doc.get(key) != version:
        raise ConfigFileError(where, key, f"must be {version}, got {doc.get(key)!r}")


def _commune(doc: dict, where: str) -> str:
    try:
        return check_commune(doc.get("commune"))
    except ProtocolError as exc:
        raise ConfigFileError(where, "commune", exc.problem) from None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
