"""Duty over time: which official served at which counter from when to when.

The one home of "who was on duty": on_duty is the query the kiosk's Config (official_at) and
the report's attribution of presses (queries.attributed_official) both read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from hailong.server.epoch import local_text, to_ms
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.reference.audit import record
from hailong.server.reference.intervals import in_force
from hailong.server.storage.db import duty


@dataclass(frozen=True)
class Assignment:
    """An official on duty at a counter over [start_ms, end_ms); end_ms None: still on duty."""

    id: int
    counter: str
    official: str
    start_ms: int
    end_ms: int | None


# An Assignment's columns, by name: office_id is the counter's office's (duty.py's callers scope).
_COLUMNS = (duty.c.id, duty.c.counter, duty.c.official, duty.c.start_ms, duty.c.end_ms)


def on_duty(counter, at_ms, office=None):
    """Return the scalar query "the official on duty at `counter` at `at_ms`" (values or columns).

    A duty covers [start_ms, end_ms); the rule is intervals.in_force's. `office` (a value or a
    correlated query) limits it to that office's counters: Q1 exists in every commune.
    """
    also = () if office is None else (duty.c.office_id == office,)
    return in_force(duty, "official", "counter", counter, at_ms, *also)


def official_at(conn: Connection, counter: str, at_ms: int, office: int | None = None):
    """Return the official on duty at the counter (of the office) at that instant, or None."""
    return conn.execute(select(on_duty(counter, at_ms, office))).scalar()


def assignments(conn: Connection, counter: str | None = None) -> list[Assignment]:
    """Return the duty history, by counter then start."""
    query = select(*_COLUMNS).where(scope.visible(duty)).order_by(duty.c.counter, duty.c.start_ms)
    if counter is not None:
        query = query.where(duty.c.counter == counter)
    return [Assignment(*r) for r in conn.execute(query)]


def open_assignments(conn: Connection, official: str) -> list[Assignment]:
    """Return the duties an official holds now."""
    query = select(*_COLUMNS).where(
        duty.c.official == official, duty.c.end_ms.is_(None), scope.owned(duty)
    )
    return [Assignment(*r) for r in conn.execute(query)]


def begin(conn, counter, official, start_ms, actor, *, now_ms, tz) -> Assignment:
    """Open a duty from start_ms, closing the counter's open one there; refuse overlaps."""
    if start_ms > now_ms:
        raise InputError("Phân công không thể bắt đầu trong tương lai: kiosk hiện người đang trực")
    last = last_assignment(conn, counter)
    if last is not None:
        _check_after(last, official, start_ms, tz)
        if last.end_ms is None:
            _close(conn, last, start_ms, actor)
    row = {"counter": counter, "official": official, "start_ms": start_ms, "end_ms": None}
    new_id = conn.execute(duty.insert().values(row | scope.owner())).inserted_primary_key[0]
    record(conn, actor, "create", "duty", str(new_id), None, {"id": new_id, **row})
    return Assignment(new_id, counter, official, start_ms, None)


def end(conn, counter, end_ms, actor, *, now_ms, tz) -> Assignment:
    """Close the counter's open duty at end_ms."""
    last = last_assignment(conn, counter)
    if last is None or last.end_ms is not None:
        raise InputError("Không có ai đang trực tại quầy {counter}", counter=counter)
    if not last.start_ms < end_ms <= now_ms:
        raise InputError("Quầy {counter}: giờ kết thúc phải sau lúc {official} bắt đầu trực ({at}) "
                         "và không ở tương lai", counter=counter, official=last.official,
                         at=local_text(last.start_ms, tz))  # fmt: skip
    _close(conn, last, end_ms, actor)
    return Assignment(last.id, counter, last.official, last.start_ms, end_ms)


def last_assignment(conn: Connection, counter: str) -> Assignment | None:
    """Return the counter's latest duty, open or not."""
    query = (
        select(*_COLUMNS)
        .where(duty.c.counter == counter, scope.owned(duty))
        .order_by(duty.c.start_ms.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else Assignment(*row)


def moment_ms(moment: datetime | int) -> int:
    """Return a duty's time as UTC epoch ms: an aware datetime converted, ms as given."""
    return to_ms(moment) if isinstance(moment, datetime) else int(moment)


def _check_after(last: Assignment, official: str, start_ms: int, tz: str) -> None:
    """Refuse a duty that would start inside or before the counter's last one."""
    if start_ms <= last.start_ms:
        raise InputError("Quầy {counter}: {official} trực từ {at}; phân công mới phải bắt đầu sau đó",
                         counter=last.counter, official=last.official,
                         at=local_text(last.start_ms, tz))  # fmt: skip
    if last.end_ms is not None and start_ms < last.end_ms:
        raise InputError("Quầy {counter}: {official} trực đến {at}; phân công mới không được chồng lên",
                         counter=last.counter, official=last.official,
                         at=local_text(last.end_ms, tz))  # fmt: skip
    if last.end_ms is None and last.official == official:
        raise InputError("{official} đang trực tại quầy {counter} rồi", official=official,
                         counter=last.counter)  # fmt: skip


def _close(conn: Connection, last: Assignment, end_ms: int, actor: str) -> None:
    conn.execute(update(duty).where(duty.c.id == last.id).values(end_ms=end_ms))
    before = {"id": last.id, "counter": last.counter, "official": last.official,
              "start_ms": last.start_ms, "end_ms": None}  # fmt: skip
    record(conn, actor, "update", "duty", str(last.id), before, {**before, "end_ms": end_ms})
