"""Placement over time: which counter each kiosk stood at, from when to when.

The one home of "where was kiosk D at time T": the report's attribution (queries.press_counter)
reads placed_at, so moving a kiosk never re-attributes the presses it took at its earlier
counter. device_counters mirrors the open placements: what the kiosk's Config is built from now.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from hailong.protocol.i18n import N_
from hailong.server.epoch import local_text
from hailong.server.errors import InputError
from hailong.server.reference.audit import record
from hailong.server.reference.intervals import in_force
from hailong.server.storage.schema import device_counters, device_placements

_STANDS_FROM = N_("Kiosk {device} đặt tại quầy {counter} từ {at}: vị trí mới phải bắt đầu sau đó")
_STOOD_UNTIL = N_("Kiosk {device} đặt tại quầy {counter} đến {at}: vị trí mới phải bắt đầu sau đó")


@dataclass(frozen=True)
class Placement:
    """A kiosk at a counter over [start_ms, end_ms); end_ms None: it stands there still."""

    id: int
    device: str
    counter: str
    start_ms: int
    end_ms: int | None


def placed_at(device, at_ms):
    """Return the scalar query "the counter kiosk `device` stood at at `at_ms`" (values or columns).

    A placement covers [start_ms, end_ms): at the instant a kiosk is moved, the new counter has
    it; the rule is intervals.in_force's. Columns of an outer query (the report's presses) are
    correlated.
    """
    return in_force(device_placements, "counter", "device", device, at_ms)


def counter_at(conn: Connection, device: str, at_ms: int) -> str | None:
    """Return the counter the kiosk stood at at that instant, or None."""
    return conn.execute(select(placed_at(device, at_ms))).scalar()


def history(conn: Connection, device: str | None = None) -> list[Placement]:
    """Return the placement history, by kiosk then start."""
    query = select(device_placements).order_by(
        device_placements.c.device, device_placements.c.start_ms, device_placements.c.id
    )
    if device is not None:
        query = query.where(device_placements.c.device == device)
    return [Placement(*r) for r in conn.execute(query)]


def last_placement(conn: Connection, device: str) -> Placement | None:
    """Return the kiosk's latest placement, open or not."""
    query = (
        select(device_placements)
        .where(device_placements.c.device == device)
        .order_by(device_placements.c.start_ms.desc(), device_placements.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else Placement(*row)


def move(conn, device, counter, at_ms, actor, *, now_ms, tz) -> Placement | None:
    """Place a kiosk at a counter from at_ms, closing its open placement there; None if already."""
    if at_ms > now_ms:
        raise InputError(
            "Kiosk {device}: vị trí mới không thể bắt đầu trong tương lai", device=device
        )
    last = last_placement(conn, device)
    if last is not None and last.end_ms is None and last.counter == counter:
        return None
    if last is not None:
        _check_after(last, at_ms, tz)
        if last.end_ms is None:
            _close(conn, last, at_ms, actor)
    row = {"device": device, "counter": counter, "start_ms": at_ms, "end_ms": None}
    new_id = conn.execute(device_placements.insert().values(row)).inserted_primary_key[0]
    record(conn, actor, "create", "device_placement", str(new_id), None, {"id": new_id, **row})
    _mirror(conn, device, counter, actor)
    return Placement(new_id, device, counter, at_ms, None)


def leave(conn: Connection, device: str, at_ms: int, actor: str) -> Placement | None:
    """Close the kiosk's open placement at at_ms (it stands nowhere); return it, None if none."""
    last = last_placement(conn, device)
    if last is not None and last.end_ms is None:
        _close(conn, last, max(at_ms, last.start_ms), actor)
    _mirror(conn, device, None, actor)
    return last


def _check_after(last: Placement, at_ms: int, tz: str) -> None:
    """Refuse a placement that would start before the kiosk's last one began or ended."""
    edge = last.start_ms if last.end_ms is None else last.end_ms
    if at_ms < edge:
        message = _STANDS_FROM if last.end_ms is None else _STOOD_UNTIL
        raise InputError(message, device=last.device, counter=last.counter, at=local_text(edge, tz))


def _close(conn: Connection, last: Placement, end_ms: int, actor: str) -> None:
    key = device_placements.c.id == last.id
    conn.execute(update(device_placements).where(key).values(end_ms=end_ms))
    before = {"id": last.id, "device": last.device, "counter": last.counter,
              "start_ms": last.start_ms, "end_ms": None}  # fmt: skip
    record(conn, actor, "update", "device_placement", str(last.id), before,
           {**before, "end_ms": end_ms})  # fmt: skip


def _mirror(conn: Connection, device: str, counter: str | None, actor: str) -> None:
    """Keep device_counters (where the kiosk stands now) equal to the open placement."""
    key = device_counters.c.device == device
    before = conn.execute(select(device_counters.c.counter).where(key)).scalar()
    if before == counter:
        return
    old = None if before is None else {"device": device, "counter": before}
    new = None if counter is None else {"device": device, "counter": counter}
    if counter is None:
        conn.execute(delete(device_counters).where(key))
    elif before is None:
        conn.execute(device_counters.insert().values(new))
    else:
        conn.execute(update(device_counters).where(key).values(counter=counter))
    action = "delete" if new is None else "update" if old else "create"
    record(conn, actor, action, "device_counter", device, old, new)
