"""Load a TOML file into nested frozen dataclasses; errors name the file and the key.

Both programs (kiosk and collector) read their settings this way, so the file conventions
live beside the wire contract: sections are dataclass fields, unknown keys are errors,
secrets come from files (`*_file` keys) or the environment, never from the TOML itself.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hailong.protocol.errors import ConfigFileError

T = TypeVar("T")


def load(cls: type[T], path: str | os.PathLike | None) -> T:
    """Return cls filled from the TOML file at path (defaults alone when path is None)."""
    where = str(path) if path is not None else "<defaults>"
    table: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                table = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigFileError(where, "(file)", "not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigFileError(where, "(syntax)", str(exc)) from None
        except OSError as exc:
            raise ConfigFileError(where, "(file)", exc.strerror or str(exc)) from None
    return build(cls, table, where, "")


def build(cls: type[T], table: dict[str, Any], where: str, section: str) -> T:
    """Return cls from one TOML table, checking every key against the dataclass."""
    hints = typing.get_type_hints(cls)
    # Fields marked internal are set by the program (e.g. the file's own path), never by TOML.
    loadable = [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    names = {f.name for f in loadable}
    for key in table:
        if key not in names:
            raise ConfigFileError(where, _key(section, key), "unknown key")
    values = {}
    for f in loadable:
        key = _key(section, f.name)
        if f.name in table:
            values[f.name] = _convert(hints[f.name], table[f.name], where, key)
        elif dataclasses.is_dataclass(hints[f.name]):
            values[f.name] = build(hints[f.name], {}, where, key)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigFileError(where, key, "is required")
    try:
        return cls(**values)
    except ConfigFileError as exc:
        if exc.path:
            raise
        raise ConfigFileError(where, _key(section, exc.key), exc.problem) from None


def invalid(key: str, problem: str) -> ConfigFileError:
    """Return the error a settings dataclass raises from __post_init__ for a bad value."""
    return ConfigFileError("", key, problem)


def zone_named(name: str, key: str = "time_zone") -> ZoneInfo:
    """Return the zone an IANA name (Asia/Ho_Chi_Minh) names, or raise naming the key."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(key, f"unknown time zone {name!r}") from None


def read_secret(path: str, where: str, key: str) -> str:
    """Return the stripped content of a secret file, or raise naming the key."""
    if path.startswith("env:"):
        value = os.environ.get(path[4:])
        if value is None:
            raise ConfigFileError(where, key, f"environment variable {path[4:]} is not set")
        return value.strip()
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigFileError(where, key, f"cannot read {path}: {exc.strerror}") from None


def _key(section: str, name: str) -> str:
    return f"{section}.{name}" if section else name


def _convert(hint: Any, value: Any, where: str, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigFileError(where, key, "must be a table")
        return build(hint, value, where, key)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None or (value == "" and type(None) in args):
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where, key)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigFileError(where, key, f"must be a list, got {value!r}")
        item = args[0] if args else Any
        return tuple(_convert(item, v, where, f"{key}[{i}]") for i, v in enumerate(value))
    return _scalar(hint, value, where, key)


def _scalar(hint: Any, value: Any, where: str, key: str) -> Any:
    if hint is Any:
        return value
    if hint is float and type(value) in (int, float):
        return float(value)
    if hint is Path and isinstance(value, str):
        return Path(value)
    if hint in (str, int, bool) and type(value) is hint:
        return value
    name = getattr(hint, "__name__", str(hint))
    raise ConfigFileError(where, key, f"must be {_ARTICLE.get(name, name)}, got {value!r}")


_ARTICLE = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "Path": "a path string",
}
