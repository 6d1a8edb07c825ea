"""The provisioning bundle: what the collector hands a new kiosk on its SD card's boot partition.

One TOML file, `hailong.toml`, written by `hailong-collector device add` and read once by
`hailong-kiosk provision` at first boot, which installs it under /etc/hailong and erases it.
It carries secrets (the broker password and the signing key), so it must not outlive that boot.
Both sides import this module, as they do the wire contract; it imports neither.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from hailong.protocol.errors import ConfigFileError, ProtocolError
from hailong.protocol.signing import parse_key
from hailong.protocol.topics import DEFAULT_PREFIX, Topics, check_device_id

BUNDLE_VERSION = 1
BUNDLE_NAME = "hailong.toml"
SETTINGS_SECTIONS = ("kiosk", "screen")  # copied into the kiosk's kiosk.toml as they are
_HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_PEM = "-----BEGIN CERTIFICATE-----"
_TOP_KEYS = {"bundle", "device", "hostname", "created", "mqtt", "signing", *SETTINGS_SECTIONS}


@dataclass(frozen=True)
class Bundle:
    """One kiosk's identity, credentials and settings."""

    device: str
    host: str  # the broker as the kiosk reaches it; must match the broker certificate's names
    port: int
    password: str
    ca_certificate: str  # PEM
    signing_key: str  # hex
    prefix: str = DEFAULT_PREFIX
    hostname: str | None = None  # default: hailong-<device>
    created: str | None = None
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def host_name(self) -> str:
        """Return the kiosk's hostname."""
        return self.hostname or f"hailong-{self.device}"

    def to_toml(self) -> str:
        """Return the bundle as the TOML text the kiosk reads."""
        lines = [
            f"# hailong provisioning bundle for kiosk {self.device}. SECRET: it holds the kiosk's",
            "# broker password and signing key. Copy it to the SD card's boot partition as",
            f"# {BUNDLE_NAME}; the kiosk installs it at first boot and erases it. Keep no copies.",
            f"bundle = {BUNDLE_VERSION}",
            *table_lines(
                {"device": self.device, "hostname": self.host_name, "created": self.created}
            ),  # fmt: skip
            "",
            "[mqtt]",
            *table_lines(
                {
                    "host": self.host,
                    "port": self.port,
                    "prefix": self.prefix,
                    "password": self.password,
                    "ca_certificate": self.ca_certificate,
                }
            ),  # fmt: skip
            "",
            "[signing]",
            *table_lines({"key": self.signing_key}),
        ]
        for name in SETTINGS_SECTIONS:
            if self.settings.get(name):
                lines += ["", f"[{name}]", *table_lines(self.settings[name])]
        return "\n".join(lines) + "\n"


def parse_bundle(data: bytes, where: str) -> Bundle:
    """Read and check a bundle; raise ConfigFileError naming the file and the key."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(where, "(syntax)", str(exc)) from None
    for key in doc:
        if key not in _TOP_KEYS:
            raise ConfigFileError(where, key, "unknown key")
    if doc.get("bundle") != BUNDLE_VERSION:
        raise ConfigFileError(where, "bundle", f"must be {BUNDLE_VERSION}, got {doc.get('bundle')!r}")  # fmt: skip
    mqtt, signing = _table(doc, "mqtt", where), _table(doc, "signing", where)
    try:
        return Bundle(
            device=check_device_id(_required(doc, "device", str, where)),
            host=_required(mqtt, "mqtt.host", str, where),
            port=_port(_required(mqtt, "mqtt.port", int, where), where),
            password=_password(_required(mqtt, "mqtt.password", str, where), where),
            ca_certificate=_pem(_required(mqtt, "mqtt.ca_certificate", str, where), where),
            signing_key=_key(_required(signing, "signing.key", str, where), where),
            prefix=Topics(mqtt.get("prefix", DEFAULT_PREFIX)).prefix,
            hostname=_hostname(doc.get("hostname"), where),
            created=doc.get("created"),
            settings={name: _table(doc, name, where) for name in SETTINGS_SECTIONS},
        )
    except ProtocolError as exc:
        key = "mqtt.prefix" if exc.field == "prefix" else exc.field
        raise ConfigFileError(where, key, exc.problem) from None


def table_lines(values: dict[str, Any]) -> list[str]:
    """Return `key = value` TOML lines, leaving out None values."""
    return [f"{key} = {toml_value(value)}" for key, value in values.items() if value is not None]


def toml_value(value: Any) -> str:
    """Return a string, number, boolean or list as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, except that TOML wants DEL escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise ValueError(f"cannot write {value!r} as a TOML value")


def _table(doc: dict, name: str, where: str) -> dict:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigFileError(where, name, "must be a table")
    return value


def _required(table: dict, key: str, kind: type, where: str):
    value = table.get(key.rpartition(".")[2])
    if value is None:
        raise ConfigFileError(where, key, "is required")
    if type(value) is not kind or (kind is str and not value.strip()):
        raise ConfigFileError(where, key, f"must be a non-empty {kind.__name__}, got {value!r}")
    return value


def _port(port: int, where: str) -> int:
    if not 1 <= port <= 65535:
        raise ConfigFileError(where, "mqtt.port", f"must be 1..65535, got {port}")
    return port


def _password(text: str, where: str) -> str:
    if text != text.strip() or not text.isprintable():
        raise ConfigFileError(where, "mqtt.password", "must be printable, without spaces around")
    return text


def _pem(text: str, where: str) -> str:
    if _PEM not in text:
        raise ConfigFileError(where, "mqtt.ca_certificate", f"must be a PEM certificate ({_PEM})")
    return text.strip() + "\n"


def _key(text: str, where: str) -> str:
    try:
        parse_key(text)
    except ProtocolError as exc:
        raise ConfigFileError(where, "signing.key", exc.problem) from None
    return text.strip().lower()


def _hostname(name: object, where: str) -> str | None:
    if name is not None and not (isinstance(name, str) and _HOSTNAME.fullmatch(name)):
        raise ConfigFileError(where, "hostname", f"must be a host name like hailong-q1, got {name!r}")  # fmt: skip
    return name
