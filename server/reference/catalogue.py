"""Reference data: fields, officials, counters, duty over time, and the counter of each kiosk.

Every change writes an audit row in the caller's transaction. A change that alters what a kiosk
should show (who is on duty, a name, the counter's field) rebuilds that kiosk's retained Config
in devices.config, which the ingest process publishes when it connects.
"""

from __future__ import annotations

import contextlib
import unicodedata

from sqlalchemy import Table, and_, select, true, update
from sqlalchemy.engine import Connection

from hailong.protocol import Config, ProtocolError, check_device_id, parse_config
from hailong.protocol.i18n import N_, Text
from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import duty, placements, scope
from hailong.server.reference.audit import check_actor, record
from hailong.server.reference.duty import Assignment, assignments, official_at, open_assignments  # noqa: F401 (API)
from hailong.server.storage.db import (
    counters,
    device_counters,
    devices,
    fields,
    office_fields,
    officials,
)

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
    """Add a field (lĩnh vực) to the one catalogue, active, and serve it in the office acted for."""
    row = {"code": clean_code(code, "field"), "name": clean_name(name, "field"), "active": True}
    _province_only()
    _create(conn, "field", row, actor)
    # The field's own audit row (the acting office's) says it: no second row for serving it.
    enable_field(conn, row["code"], actor, audited=False)


def enable_field(conn: Connection, code: str, actor: str, audited: bool = True) -> bool:
    """Serve a catalogue field in the office acted for (the only one outside a scope)."""
    _require(conn, "field", code)
    here = scope.owned(office_fields)
    key = and_(office_fields.c.field == code, here)
    if conn.execute(select(office_fields.c.field).where(key)).first() is not None:
        return False
    conn.execute(office_fields.insert().values(field=code, **scope.owner()))
    if audited:
        record(conn, actor, "create", "office_field", code, None, {"field": code})
    return True


def office_field_codes(conn: Connection) -> list[str]:
    """Return the codes of the fields the office acted for serves (its subtree's)."""
    query = select(office_fields.c.field).where(scope.visible(office_fields)).distinct()
    return sorted(conn.execute(query).scalars())


def set_field(conn: Connection, code: str, actor: str, *, name=None, active=None) -> bool:
    """Rename, deactivate or reactivate a field; return whether anything changed."""
    _province_only()
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
    where = true() if entity == "field" else scope.visible(table)
    rows = conn.execute(select(table).where(where).order_by(table.c.code))
    return [{k: v for k, v in r._mapping.items() if k != "office_id"} for r in rows]


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
        .where(scope.visible(devices))
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
    _check_device_office(conn, device)
    now = now_ms()
    placements.move(
        conn, device, counter, now if at_ms is None else at_ms, actor, now_ms=now, tz=tz
    )
    if conn.execute(select(devices.c.device).where(devices.c.device == device)).first() is None:
        # Not seen yet: it belongs to the office it is placed in, for life.
        conn.execute(devices.insert().values(device=device, acked_upto=0, **scope.owner()))
    store_config(conn, device)
    return config_for_device(conn, device)


def config_for_device(conn: Connection, device: str, at_ms: int | None = None) -> Config:
    """Return the counter, official and field a kiosk should show, from the reference data."""
    counter = conn.execute(
        select(device_counters.c.counter).where(device_counters.c.device == device)
    ).scalar()
    if counter is None:
        return Config()  # not placed: the kiosk keeps its own settings
    office = conn.execute(select(devices.c.office_id).where(devices.c.device == device)).scalar()
    mine = counters.c.office_id == office
    field = conn.execute(select(counters.c.field).where(counters.c.code == counter, mine)).scalar()
    official = official_at(conn, counter, now_ms() if at_ms is None else at_ms, office)
    return Config(
        counter=counter,
        official=official,
        official_name=_name(conn, officials, official, office),
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
        select(device_counters.c.device)
        .join(devices, devices.c.device == device_counters.c.device)
        .where(device_counters.c.counter.in_(wanted), scope.owned(devices))
    ).scalars()
    return [device for device in sorted(placed) if store_config(conn, device)]


def _create(conn: Connection, entity: str, row: dict, actor: str) -> None:
    check_actor(actor)
    if _get(conn, entity, row["code"]) is not None:
        raise InputError(_EXISTS[entity], code=row["code"])
    owner = {} if entity == "field" else scope.owner()
    conn.execute(_TABLES[entity].insert().values(row | owner))
    record(conn, actor, "create", entity, row["code"], None, row)


def _change(conn: Connection, entity: str, code: str, changes: dict, actor: str) -> bool:
    check_actor(actor)
    before = _require(conn, entity, code)
    after = {**before, **changes}
    if after == before:
        return False
    table = _TABLES[entity]
    here = true() if entity == "field" else scope.owned(table)
    conn.execute(update(table).where(table.c.code == code, here).values(changes))
    record(conn, actor, "update", entity, code, before, after)
    return True


def _get(conn: Connection, entity: str, code: str) -> dict | None:
    table = _TABLES[entity]
    here = true() if entity == "field" else scope.owned(table)
    row = conn.execute(select(table).where(table.c.code == code, here)).first()
    return None if row is None else {k: v for k, v in row._mapping.items() if k != "office_id"}


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
    query = select(counters.c.code).where(counters.c.field == field, scope.owned(counters))
    return list(conn.execute(query).scalars())


def _name(conn: Connection, table: Table, code: str | None, office: int | None = None):
    if code is None:
        return None
    here = true() if office is None or table is fields else table.c.office_id == office
    return conn.execute(select(table.c.name).where(table.c.code == code, here)).scalar()


def _province_only() -> None:
    """Refuse a change to the one field catalogue unless acting for the root office."""
    held = scope.current()
    if held is not None and not held.everything:
        raise InputError(
            "Danh mục lĩnh vực là của tỉnh: hãy sửa tại đơn vị gốc (rồi `field enable MÃ` để một "
            "đơn vị dùng lĩnh vực đó)"
        )


def _check_device_office(conn: Connection, device: str) -> None:
    """Refuse to place another office's kiosk: a kiosk belongs to one office for life."""
    mine = scope.office_id()
    found = conn.execute(select(devices.c.office_id).where(devices.c.device == device)).scalar()
    if mine is not None and found is not None and found != mine:
        raise InputError(
            "Kiosk {device} thuộc đơn vị khác: hãy đăng ký một kiosk mới tại đây", device=device
        )
