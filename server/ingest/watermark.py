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
3. `advance_acks` starts from the stored watermark (read under the lock) and only moves it up
   over the contiguous run of stored seqs, so the watermark never goes down, and the value a
   batch returns is exactly what it commits. Published only after that commit, an ack never
   runs ahead of the database. A batch (`advance_after_batch`) does the same, except that it
   does not ask about the seqs it knows are stored: every press it holds (new, repeated or
   conflicting) has a stored copy once its insert is done, so the run from the watermark
   read by `lock_devices` through the batch's own seqs is stored, and the database is asked
   only whether the run goes on past its end (seqs stored earlier beyond a gap, or by another
   writer): one index probe per kiosk where the full walk read every seq above the watermark.
4. The last batch to commit presses of a device sees all of them (2), so after it the stored
   watermark is the highest N with 1..N stored: no press waits for a later one to be acked.

Publishing the retained ack in the same order is the job of server/ack_publisher.py.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Container, Mapping

from sqlalchemy import bindparam, case, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hailong.server.storage.db import devices, presses


def lock_devices(conn: Connection, names: Collection[str], now_ms: int) -> dict[str, int]:
    """Lock the devices' rows until commit in sorted order, noting them seen now; create new ones.

    Return each device's stored watermark, read under its lock (0 for a new one).
    """
    if not names:
        return {}
    ordered = sorted(names)
    held = dict(_touch(conn, ordered, now_ms))
    new = [d for d in ordered if d not in held]
    if new:  # a kiosk's first press: SQLAlchemy's insert, so that every column default applies
        rows = [{"device": d, "acked_upto": 0, "first_seen_ms": now_ms, "last_seen_ms": now_ms}
                for d in new]  # fmt: skip
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(devices)
        conn.execute(insert.on_conflict_do_nothing(), rows)
        # Another writer may have created one meanwhile (then ours did nothing): lock it too.
        # Taken after the known rows, out of the global order: two instances meeting the same
        # new kiosk at once may deadlock, and PostgreSQL then fails one batch, which is retried.
        held.update(_touch(conn, new, now_ms))
    return held


def _touch(conn: Connection, ordered: list[str], now_ms: int) -> list[tuple[str, int]]:
    """Lock and note seen the existing rows of these devices, in order; return (name, watermark)."""
    if conn.dialect.name == "postgresql":
        # One round trip; the CTE is evaluated first (MATERIALIZED), locking in sorted order.
        # RETURNING gives the row as updated, so the watermark committed by the batch whose
        # lock this one waited for (READ COMMITTED updates the newest version of the row).
        return conn.exec_driver_sql(_PG_TOUCH, (ordered, now_ms)).all()
    # SQLite: the first write takes the database's one write lock; order does not matter.
    marks = ", ".join("?" * len(ordered))
    conn.exec_driver_sql(f"UPDATE devices SET last_seen_ms = ? WHERE device IN ({marks})",
                         (now_ms, *ordered))  # fmt: skip
    return conn.exec_driver_sql(f"SELECT device, acked_upto FROM devices WHERE device IN ({marks})",
                                tuple(ordered)).all()  # fmt: skip


_PG_TOUCH = (
    "WITH locked AS MATERIALIZED (SELECT device FROM devices WHERE device = ANY(%b::VARCHAR[]) "
    "ORDER BY device FOR UPDATE) "
    "UPDATE devices SET last_seen_ms = %s::BIGINT FROM locked "
    "WHERE devices.device = locked.device RETURNING devices.device, devices.acked_upto"
)


def run_end(held: int, seqs: Container[int]) -> int:
    """Return the highest N >= held with every seq from held + 1 to N in seqs (pure)."""
    end = held
    while end + 1 in seqs:
        end += 1
    return end


def advance_after_batch(
    conn: Connection, held: Mapping[str, int], stored: Mapping[str, Container[int]]
) -> dict[str, int]:
    """Move each device's ack after a batch stored the seqs `stored`; return each new ack.

    held: the watermarks lock_devices read (under the locks this batch still holds); stored:
    each touched device's seqs that have a stored copy now. Same result as advance_acks.
    """
    if not stored:
        return {}
    starts = sorted((d, run_end(held[d], seqs)) for d, seqs in stored.items())
    acks = {d: held[d] for d, _ in starts}
    if conn.dialect.name == "postgresql":
        # One statement: probe past each start, raise what moved, say where each one stands
        # (every row, as stored: no answer rests on `held` alone).
        names, ends = zip(*starts, strict=True)
        acks.update(conn.exec_driver_sql(_PG_CONTINUE, (list(names), list(ends))).all())
        return acks
    params = tuple(v for start in starts for v in start)
    found = conn.exec_driver_sql(_sqlite_continue(len(starts)), params).all()
    raised = [{"name": d, "upto": upto} for d, upto in found if upto > acks[d]]
    if raised:
        conn.execute(_raise_to(), raised)
        acks.update((r["name"], r["upto"]) for r in raised)
    return acks


# The end of the run of stored seqs going on from k.start (stored, or the watermark): k.start
# itself unless start + 1 is stored, else the first seq above it whose successor is missing.
_RUN_FROM = (
    "CASE WHEN EXISTS (SELECT 1 FROM presses f WHERE f.device = k.device AND f.seq = k.start + 1) "
    "THEN (SELECT p.seq FROM presses p WHERE p.device = k.device AND p.seq > k.start "
    "AND NOT EXISTS (SELECT 1 FROM presses a WHERE a.device = p.device AND a.seq = p.seq + 1) "
    "ORDER BY p.seq LIMIT 1) ELSE k.start END"
)
_PG_CONTINUE = (
    "WITH k AS (SELECT * FROM unnest(%b::VARCHAR[], %b::BIGINT[]) AS k(device, start)), "
    f"w AS (SELECT k.device, {_RUN_FROM} AS upto FROM k) "
    "UPDATE devices SET acked_upto = GREATEST(devices.acked_upto, w.upto) FROM w "
    "WHERE devices.device = w.device RETURNING devices.device, devices.acked_upto"
)


@functools.lru_cache(maxsize=64)
def _sqlite_continue(devices: int) -> str:
    rows = ", ".join(["(?, ?)"] * devices)
    return f"WITH k(device, start) AS (VALUES {rows}) SELECT k.device, {_RUN_FROM} FROM k"


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
