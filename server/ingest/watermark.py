"""Each device's ack watermark, computed from the database so that ingest instances agree.

Several ingest processes may commit presses of the same device at the same time (MQTT 5
shared subscriptions hand a device's presses to any member of the group). The ack a device
receives must never run ahead of what is committed, and must reach its last seq once every
press is stored, whichever instance stored it. Why this holds:

1. Every batch locks the rows in `devices` of every device it touches (`lock_devices`, in
   sorted order, so two batches never wait on each other in a cycle) before it reads or writes
   anything about them, and holds the locks until it commits. On PostgreSQL that is
   SELECT … ORDER BY device FOR UPDATE (in the statement that notes them seen); a device not
   yet known is inserted, which holds its row as well; on SQLite the batch's first write takes
   the database's single write lock. So the batches that touch a device commit one after
   another, in the order they took its lock.
2. Under READ COMMITTED each statement sees what was committed before it started, plus the
   transaction's own writes. A batch that holds the lock therefore sees every press of the
   device committed by any instance (their batches released the lock by committing), and no
   other batch can add presses of that device until it commits.
3. `advance_ack` starts from the stored watermark (read under the lock) and only moves it up
   over the contiguous run of stored seqs, so the watermark never goes down, and the value a
   batch returns is exactly what it commits. Published only after that commit, an ack never
   runs ahead of the database.
4. The last batch to commit presses of a device sees all of them (2), so after it the stored
   watermark is the highest N with 1..N stored: no press waits for a later one to be acked.

Publishing the retained ack in the same order is the job of server/ack_publisher.py.
"""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, case, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hailong.server.storage.db import devices, presses


def lock_devices(conn: Connection, names: set[str], now_ms: int) -> None:
    """Lock the devices' rows until commit in sorted order, noting them seen now; create new ones."""
    if not names:
        return
    ordered = sorted(names)
    found = set(_touch(conn, ordered, now_ms))
    new = [d for d in ordered if d not in found]
    if new:  # a kiosk's first press: SQLAlchemy's insert, so that every column default applies
        rows = [{"device": d, "acked_upto": 0, "first_seen_ms": now_ms, "last_seen_ms": now_ms}
                for d in new]  # fmt: skip
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(devices)
        conn.execute(insert.on_conflict_do_nothing(), rows)
        # Another writer may have created one meanwhile (then ours did nothing): lock it too.
        # Taken after the known rows, out of the global order: two instances meeting the same
        # new kiosk at once may deadlock, and PostgreSQL then fails one batch, which is retried.
        _touch(conn, new, now_ms)


def _touch(conn: Connection, ordered: list[str], now_ms: int) -> list[str]:
    """Lock and note seen the existing rows of these devices, in order; return their names."""
    if conn.dialect.name == "postgresql":
        # One round trip; the CTE is evaluated first (MATERIALIZED), locking in sorted order.
        return conn.exec_driver_sql(_PG_TOUCH, (ordered, now_ms)).scalars().all()
    # SQLite: the first write takes the database's one write lock; order does not matter.
    marks = ", ".join("?" * len(ordered))
    conn.exec_driver_sql(f"UPDATE devices SET last_seen_ms = ? WHERE device IN ({marks})",
                         (now_ms, *ordered))  # fmt: skip
    return conn.exec_driver_sql(f"SELECT device FROM devices WHERE device IN ({marks})",
                                tuple(ordered)).scalars().all()  # fmt: skip


_PG_TOUCH = (
    "WITH locked AS MATERIALIZED (SELECT device FROM devices WHERE device = ANY(%b::VARCHAR[]) "
    "ORDER BY device FOR UPDATE) "
    "UPDATE devices SET last_seen_ms = %s::BIGINT FROM locked "
    "WHERE devices.device = locked.device RETURNING devices.device"
)


def advance_acks(conn: Connection, names: set[str]) -> dict[str, int]:
    """Move each device's ack to the highest N with every seq 1..N stored; return each N.

    One query for all the devices of a batch, however many they are: a round trip per device
    was most of a PostgreSQL batch's time.
    """
    if not names:
        return {}
    rows = conn.execute(_watermarks(), {"names": sorted(names)}).all()
    raised = [{"name": device, "upto": upto} for device, held, upto in rows if upto > held]
    if raised:
        conn.execute(_raise_to(), raised)
    return {device: upto for device, _held, upto in rows}


def advance_ack(conn: Connection, device: str) -> int:
    """Move one device's ack as advance_acks does; return it."""
    return advance_acks(conn, {device})[device]


@functools.cache
def _watermarks():
    """Select device, stored watermark and the end of the contiguous run of seqs above it.

    With upto+1 stored, the run ends at the first seq above upto whose successor is missing
    (every seq before it has one): found walking the unique (device, seq) index in order and
    stopping there. Without upto+1 nothing moves, and the CASE does not look further.
    """
    p, after, first = presses.alias("p"), presses.alias("after"), presses.alias("first")
    d = devices
    run_end = (
        select(p.c.seq)
        .where(
            p.c.device == d.c.device,
            p.c.seq > d.c.acked_upto,
            ~exists().where(after.c.device == p.c.device, after.c.seq == p.c.seq + 1),
        )
        .order_by(p.c.seq)
        .limit(1)
        .correlate(d)
        .scalar_subquery()
    )
    has_next = exists().where(first.c.device == d.c.device, first.c.seq == d.c.acked_upto + 1)
    return select(
        d.c.device, d.c.acked_upto, case((has_next, run_end), else_=d.c.acked_upto)
    ).where(d.c.device.in_(bindparam("names", expanding=True)))


@functools.cache
def _raise_to():
    # The lock makes this a plain assignment; the guard keeps "never lower" true on its own,
    # for any caller that did not lock (a greatest() that reads the same on every dialect).
    current, upto = devices.c.acked_upto, bindparam("upto")
    return (
        update(devices)
        .where(devices.c.device == bindparam("name"))
        .values(acked_upto=case((current < upto, upto), else_=current))
    )


def acked(conn: Connection, names: set[str]) -> dict[str, int]:
    """Return the stored watermark of each named device that is known."""
    rows = conn.execute(
        select(devices.c.device, devices.c.acked_upto).where(devices.c.device.in_(sorted(names)))
    )
    return dict(rows.all())
