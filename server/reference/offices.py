"""Offices (đơn vị): a tree of province → commune (→ site), and who may see which.

The data of an office is its subtree: a commune's figures include its sites', the province's
every office's. An account of an office sees that subtree only (`within`). Commands and pages
that name no office get the only one (`resolve`); with several, they must name one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields, replace

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from hailong.server.errors import InputError
from hailong.server.reference.audit import check_actor, record
from hailong.server.storage.schema import offices

KINDS = ("province", "commune", "site")
# The kind an office's parent must be (None: it has no parent, it is the root).
PARENT_KIND = {"province": None, "commune": "province", "site": "commune"}
HEADER = ("print_name", "parent_name", "place", "recipients", "signer_title", "signer_name")
_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
NAME_MAX = 200


@dataclass(frozen=True)
class Office:
    """One office and the report header settings it sets itself (None: the configuration's)."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    print_name: str | None = None
    parent_name: str | None = None
    place: str | None = None
    recipients: str | None = None  # one recipient a line
    signer_title: str | None = None
    signer_name: str | None = None


def every_office(conn: Connection) -> list[Office]:
    """Return every office in tree order: a parent before its children, siblings by code."""
    found = [Office(*r) for r in conn.execute(select(offices).order_by(offices.c.code))]
    children: dict[int | None, list[Office]] = {}
    for office in found:
        children.setdefault(office.parent_id, []).append(office)
    ordered: list[Office] = []

    def walk(parent: int | None) -> None:
        for office in children.get(parent, []):
            ordered.append(office)
            walk(office.id)

    walk(None)
    return ordered


def depth(every: list[Office], office: Office) -> int:
    """Return how far below the root an office is (the root: 0)."""
    by_id = {o.id: o for o in every}
    level = 0
    while office.parent_id is not None:
        office, level = by_id[office.parent_id], level + 1
    return level


def find(conn: Connection, code: str) -> Office | None:
    """Return the office with this code, or None."""
    row = conn.execute(select(offices).where(offices.c.code == str(code).strip())).first()
    return None if row is None else Office(*row)


def by_id(conn: Connection, office_id: int) -> Office:
    """Return the office with this id."""
    return Office(*conn.execute(select(offices).where(offices.c.id == office_id)).one())


def require(conn: Connection, code: str) -> Office:
    """Return the office with this code; refuse an unknown one, naming the known codes."""
    office = find(conn, code)
    if office is None:
        known = ", ".join(o.code for o in every_office(conn))
        raise InputError("Không có đơn vị “{code}” (các đơn vị: {known})", code=code, known=known)
    return office


def resolve(conn: Connection, code: str | None) -> Office:
    """Return the named office, or the only one when none is named; refuse when ambiguous."""
    if code:
        return require(conn, code)
    every = every_office(conn)
    if len(every) != 1:
        codes = ", ".join(o.code for o in every)
        raise InputError(
            "Cơ sở dữ liệu có nhiều đơn vị: chọn một đơn vị với --office ({codes})", codes=codes
        )
    return every[0]


def single(conn: Connection) -> bool:
    """Tell whether the database holds one office only (then nothing needs scoping)."""
    return len(conn.execute(select(offices.c.id).limit(2)).all()) == 1


def root(conn: Connection) -> Office:
    """Return the root office (the province, or the one office)."""
    return every_office(conn)[0]


def subtree(conn: Connection, office_id: int) -> tuple[int, ...]:
    """Return the ids of the office and every office under it, the office first."""
    edges = conn.execute(select(offices.c.id, offices.c.parent_id)).all()
    below: dict[int | None, list[int]] = {}
    for child, parent in edges:
        below.setdefault(parent, []).append(child)
    found, todo = [office_id], [office_id]
    while todo:
        for child in sorted(below.get(todo.pop(), [])):
            found.append(child)
            todo.append(child)
    return tuple(found)


def within(conn: Connection, viewer_office: int, office_id: int) -> bool:
    """Tell whether office_id is the viewer's office or under it."""
    return office_id in subtree(conn, viewer_office)


def add_office(conn: Connection, code: str, name: str, kind: str, parent: str | None,
               actor: str) -> Office:  # fmt: skip
    """Add an office under a parent (a province: none; a commune: a province; a site: a commune)."""
    check_actor(actor)
    code, name, kind = _code(code), _name(name), _kind(kind)
    if find(conn, code) is not None:
        raise InputError("Đơn vị {code} đã có", code=code)
    above = None if parent is None else require(conn, parent)
    _check_parent(conn, kind, above, None)
    row = {"code": code, "name": name, "kind": kind,
           "parent_id": None if above is None else above.id}  # fmt: skip
    new_id = conn.execute(offices.insert().values(row)).inserted_primary_key[0]
    record(conn, actor, "create", "office", code, None, row, office_id=new_id)
    return by_id(conn, new_id)


def set_office(conn: Connection, code: str, actor: str, **changes) -> bool:
    """Change an office's name, kind, code or report header settings; return whether it changed.

    A header setting given as "" goes back to the configuration's. The parent never changes
    here: what an office's rows belong to stays (a new office is a new registration).
    """
    check_actor(actor)
    office = require(conn, code)
    values: dict = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key == "name":
            values[key] = _name(value)
        elif key == "kind":
            values[key] = _kind(value)
        elif key == "new_code":
            values["code"] = _code(value)
            if values["code"] != office.code and find(conn, values["code"]) is not None:
                raise InputError("Đơn vị {code} đã có", code=values["code"])
        elif key in HEADER and not str(value).strip():
            values[key] = None  # back to the configuration's
        elif key in HEADER:
            values[key] = _name(value) if key != "recipients" else _lines(value)
        else:
            raise InputError("Đơn vị không có thiết lập “{key}”", key=key)
    after = replace(office, **values)
    if after == office:
        return False
    if after.kind != office.kind:
        parent = None if office.parent_id is None else by_id(conn, office.parent_id)
        _check_parent(conn, after.kind, parent, office)
    conn.execute(update(offices).where(offices.c.id == office.id).values(values))
    record(conn, actor, "update", "office", office.code, _public(office), _public(after),
           office_id=office.id)  # fmt: skip
    return True


def header_settings(settings, office: Office, alone: bool = True):
    """Return report settings with the office's own header values over the configuration's.

    Of several offices each prints its own name (print_name, else its name), never the
    configuration's unit, which is one office's; the other lines default to the configuration.
    """
    values = {
        "unit_name": office.print_name or (settings.unit_name if alone else office.name),
        "parent_name": office.parent_name or settings.parent_name,
        "place": office.place or settings.place,
        "signer_title": office.signer_title or settings.signer_title,
        "signer_name": office.signer_name or settings.signer_name,
    }
    if office.recipients:
        values["recipients"] = tuple(office.recipients.splitlines())
    return replace(settings, **values)


def _check_parent(conn: Connection, kind: str, parent: Office | None, office: Office | None):
    """Refuse a tree the model does not allow: one root, each kind under its parent's kind."""
    wanted = PARENT_KIND[kind]
    if office is not None:
        children = conn.execute(select(offices.c.kind).where(offices.c.parent_id == office.id))
        wrong = [k for k in children.scalars() if PARENT_KIND[k] != kind]
        if wrong:
            raise InputError("Đơn vị {code} có một {child} trực thuộc: giữ loại {kind}",
                             code=office.code, child=wrong[0], kind=office.kind)  # fmt: skip
    if parent is None:
        others = [o for o in every_office(conn) if o.parent_id is None and o != office]
        if others:
            raise InputError(
                "Đơn vị {code} đã là đơn vị gốc: hãy chọn đơn vị cấp trên (--parent MÃ)",
                code=others[0].code,
            )
        if office is not None and kind == "site":
            raise InputError("Đơn vị gốc không thể là điểm tiếp nhận (site)")
        return
    if wanted is None or parent.kind != wanted:
        if wanted is None:
            raise InputError("Đơn vị loại {kind} không trực thuộc đơn vị nào, kể cả {parent} ({pkind})",
                             kind=kind, parent=parent.code, pkind=parent.kind)  # fmt: skip
        raise InputError("Đơn vị loại {kind} trực thuộc một đơn vị loại {wanted}, không phải {parent} "
                         "({pkind})", kind=kind, wanted=wanted, parent=parent.code,
                         pkind=parent.kind)  # fmt: skip


def _code(text: str) -> str:
    code = str(text).strip().lower()
    if not _CODE.fullmatch(code):
        raise InputError(
            "Mã đơn vị {code}: 1 đến 64 ký tự a-z 0-9 -, bắt đầu bằng chữ hoặc số", code=repr(text)
        )
    return code


def _name(text: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", str(text)).split())
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise InputError(
            "Tên đơn vị {name} phải có 1 đến {max} ký tự in được", name=repr(text), max=NAME_MAX
        )
    return name


def _lines(text: str) -> str:
    lines = [_name(line) for line in str(text).replace("|", "\n").splitlines() if line.strip()]
    return "\n".join(lines)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(
            "Loại đơn vị phải là một trong {kinds}, không phải {kind}",
            kinds=", ".join(KINDS),
            kind=repr(kind),
        )
    return kind


def _public(office: Office) -> dict:
    return {f.name: getattr(office, f.name) for f in fields(office) if f.name != "id"}
