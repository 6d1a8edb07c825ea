"""Reference data: fields, officials, counters, duty over time, and the counter of each kiosk.

Every change writes an audit row in the caller's transaction. A change that alters what a kiosk
should show (who is on duty, a name, the counter's field) rebuilds that kiosk's retained Config
in devices.config, which the ingest process publishes when it connects.
"""

from __future__ import annotations

import contextlib
import unicodedata

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

from hailong.protocol import Config, ProtocolError, check_device_id, parse_config
from hailong.protocol.i18n import N_, Text
from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import duty, placements
from hailong.server.reference.audit import check_actor, record
from hailong.server.reference.duty import Assignment, assignments, official_at, open_assignments  # noqa: F401 (API)
from hailong.server.storage.db import counters, device_counters, devices, fields, officials

CODE_MAX, NAME_MAX = 64, 128  # the Config message's limits for codes and shown names
KEEP = object()  # "leave as it is", for optional changes that may also be set to None
_TABLES = {"field": fields, "official": officials, "counter": counters}
# Messages per kind of entry: Vietnamese puts the noun first and capitalised, English does not.
_NOUNS = {"field": N_("lĩnh vực"), "official": N_("cán bộ"), "counter": N_("quầy")}
_EXISTS = {"field": N_("Lĩnh vực {code} đã có"), "official": N_("Cán bộ {code} đã có"),
           "counter": N_("Quầy {code} đã có")}  # fmt: skip
_UNKNOWN = {"field": N_("Không có lĩnh vực “{code}”"), "official": N_("Không có cán bộ “{code}”"),
            "counter": N_("Không có quầy “{code}”")}  # fmt: skip
BAD_DEVICE_ID = N_("Mã kiosk “{device}” không dùng được: 1..32 ký tự a-z, 0-9 hoặc “-”, bắt đầu "
                   "bằng chữ hoặc số, không trùng tên dành riêng")  # fmt: skip


def clean_code(text: str, what: str) -> str:
    """Return a code in NFC without surrounding spaces; refuse empty, long or spaced codes."""
    code = unicodedata.normalize("NFC", str(text)).strip()
    if not code or len(code) > CODE_MAX or any(c.isspace() or not c.isprintable() for c in code):
        raise InputError("Mã {what} “{code}” phải có 1..{max} ký tự, không có dấu cách",
                         what=Text(_NOUNS[what]), code=text, max=CODE_MAX)  # fmt: skip
    return code


def clean_name(text: str, what: str) -> str:
    """Return a display name in NFC; refuse empty or over-long names."""
    name = " ".join(unicodedata.normalize("NFC", str(text)).split())
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise InputError("Tên {what} “{name}” phải có 1..{max} ký tự in được",
                         what=Text(_NOUNS[what]), name=text, max=NAME_MAX)  # fmt: skip
    return name


def add_field(conn: Connection, code: str, name: str, actor: str) -> None:
    """Add a field (lĩnh vực), active."""
    row = {"code": clean_code(code, "field"), "name": clean_name(name, "field"), "active": True}
    _create(conn, "field", row, actor)


def set_field(conn: Connection, code: str, actor: str, *, name=None, active=None) -> bool:
    """Rename, deactivate or reactivate a field; return whether anything changed."""
    changed = _change(conn, "field", code, _named(name, active, "field"), actor)
    if changed:
        refresh_configs(conn, _counters_of_field(conn, code))
    return changed


def add_official(conn: Connection, code: str, name: str, actor: str) -> None:
    """Add an official (cán bộ, công chức), active."""
    row = {
        "code": clean_code(code, "official"),
        "name": clean_name(name, "official"),
        "active": True,
    }
    _create(conn, "official", row, actor)


def set_official(conn: Connection, code: str, actor: str, *, name=None, active=None) -> bool:
    """Rename, deactivate or reactivate an official; refuse to deactivate one on duty."""
    on_duty = open_assignments(conn, official=code)
    if active is False and on_duty:
        raise InputError("Cán bộ {code} đang trực tại quầy {counter}: hãy kết thúc phân công đó "
                         "hoặc phân công người khác trước", code=code, counter=on_duty[0].counter)  # fmt: skip
    changed = _change(conn, "official", code, _named(name, active, "official"), actor)
    if changed:
        refresh_configs(conn, [a.counter for a in on_duty])
    return changed


def add_counter(conn: Connection, code: str, name: str, actor: str, field: str | None = None):
    """Add a counter (quầy), optionally with the field it serves."""
    row = {"code": clean_code(code, "counter"), "name": clean_name(name, "counter")}
    _create(conn, "counter", {**row, "field": _known_field(conn, field)}, actor)


def set_counter(conn: Connection, code: str, actor: str, *, name=None, field=KEEP) -> bool:
    """Rename a counter or change (or clear, with None) its field."""
    changes = {} if name is None else {"name": clean_name(name, "counter")}
    if field is not KEEP:
        changes["field"] = _known_field(conn, field)
    changed = _change(conn, "counter", code, changes, actor)
    if changed:
        refresh_configs(conn, [code])
    return changed


def listing(conn: Connection, entity: str) -> list[dict]:
    """Return every field, official or counter, by code."""
    table = _TABLES[entity]
    return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.code))]


def assign(conn, counter, official, start, actor, *, tz, now=None) -> Assignment:
    """Put an official on duty at a counter from `start`, closing the counter's open duty there."""
    check_actor(actor)
    _require(conn, "counter", counter)
    if not _require(conn, "official", official)["active"]:
        raise InputError("Cán bộ {code} không ở trạng thái “Đang dùng”", code=official)
    now = now_ms() if now is None else now
    new = duty.begin(conn, counter, official, duty.moment_ms(start), actor, now_ms=now, tz=tz)
    refresh_configs(conn, [counter])
    return new


def release(conn, counter, end, actor, *, tz, now=None) -> Assignment:
    """End the counter's open duty at `end`: nobody serves there afterwards."""
    check_actor(actor)
    now = now_ms() if now is None else now
    closed = duty.end(conn, counter, duty.moment_ms(end), actor, now_ms=now, tz=tz)
    refresh_configs(conn, [counter])
    return closed


def list_devices(conn: Connection) -> list[dict]:
    """Return every known kiosk with its counter, state and last contact."""
    query = (
        select(devices.c.device, device_counters.c.counter, devices.c.state, devices.c.last_seen_ms)
        .outerjoin(device_counters, device_counters.c.device == devices.c.device)
        .order_by(devices.c.device)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def set_device_counter(conn, device, counter, actor, *, at_ms=None, tz="UTC") -> Config:
    """Place a kiosk at a counter from at_ms (now), rebuild its retained Config; return that Config.

    The kiosk's earlier placement is closed there (placements.move): its presses before at_ms
    stay attributed to the counter it stood at then.
    """
    check_actor(actor)
    try:
        device = check_device_id(device)
    except ProtocolError:
        raise InputError(BAD_DEVICE_ID, device=device) from None
    _require(conn, "counter", counter)
    now = now_ms()
    placements.move(
        conn, device, counter, now if at_ms is None else at_ms, actor, now_ms=now, tz=tz
    )
    if conn.execute(select(devices.c.device).where(devices.c.device == device)).first() is None:
        conn.execute(devices.insert().values(device=device, acked_upto=0))  # not seen yet
    store_config(conn, device)
    return config_for_device(conn, device)


def config_for_device(conn: Connection, device: str, at_ms: int | None = None) -> Config:
    """Return the counter, official and field a kiosk should show, from the reference data."""
    counter = conn.execute(
        select(device_counters.c.counter).where(device_counters.c.device == device)
    ).scalar()
    if counter is None:
        return Config()  # not placed: the kiosk keeps its own settings
    field = conn.execute(select(counters.c.field).where(counters.c.code == counter)).scalar()
    official = official_at(conn, counter, now_ms() if at_ms is None else at_ms)
    return Config(
        counter=counter,
        official=official,
        official_name=_name(conn, officials, official),
        field=field,
        field_name=_name(conn, fields, field),
    )


def store_config(conn: Connection, device: str) -> bool:
    """Lay the reference Config over the device's stored one; return whether it changed."""
    stored = conn.execute(select(devices.c.config).where(devices.c.device == device)).scalar()
    base = Config()
    if stored:
        # A stored config we cannot read is replaced by what we know.
        with contextlib.suppress(ProtocolError):
            base = parse_config(stored.encode())
    text = config_for_device(conn, device).over(base).to_bytes().decode()
    if text == stored:
        return False
    conn.execute(update(devices).where(devices.c.device == device).values(config=text))
    return True


def refresh_configs(conn: Connection, counter_codes) -> list[str]:
    """Rebuild the Config of every kiosk at these counters; return the kiosks that changed."""
    wanted = sorted(set(counter_codes))
    if not wanted:
        return []
    placed = conn.execute(
        select(device_counters.c.device).where(device_counters.c.counter.in_(wanted))
    ).scalars()
    return [device for device in sorted(placed) if store_config(conn, device)]


def _create(conn: Connection, entity: str, row: dict, actor: str) -> None:
    check_actor(actor)
    if _get(conn, entity, row["code"]) is not None:
        raise InputError(_EXISTS[entity], code=row["code"])
    conn.execute(_TABLES[entity].insert().values(row))
    record(conn, actor, "create", entity, row["code"], None, row)


def _change(conn: Connection, entity: str, code: str, changes: dict, actor: str) -> bool:
    check_actor(actor)
    before = _require(conn, entity, code)
    after = {**before, **changes}
    if after == before:
        return False
    table = _TABLES[entity]
    conn.execute(update(table).where(table.c.code == code).values(changes))
    record(conn, actor, "update", entity, code, before, after)
    return True


def _get(conn: Connection, entity: str, code: str) -> dict | None:
    table = _TABLES[entity]
    row = conn.execute(select(table).where(table.c.code == code)).first()
    return None if row is None else dict(row._mapping)


def _require(conn: Connection, entity: str, code: str | None) -> dict:
    row = None if code is None else _get(conn, entity, code)
    if row is None:
        raise InputError(_UNKNOWN[entity], code=code)
    return row


def _named(name: str | None, active: bool | None, what: str) -> dict:
    changes = {} if name is None else {"name": clean_name(name, what)}
    return changes if active is None else {**changes, "active": bool(active)}


def _known_field(conn: Connection, field: str | None) -> str | None:
    return None if field is None else _require(conn, "field", field)["code"]


def _counters_of_field(conn: Connection, field: str) -> list[str]:
    return list(conn.execute(select(counters.c.code).where(counters.c.field == field)).scalars())


def _name(conn: Connection, table: Table, code: str | None) -> str | None:
    if code is None:
        return None
    return conn.execute(select(table.c.name).where(table.c.code == code)).scalar()
