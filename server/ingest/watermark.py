"""Each device's ack watermark, computed from the database so that ingest instances agree.

Several ingest processes may commit presses of the same device at the same time (MQTT 5
shared subscriptions hand a device's presses to any member of the group). The ack a device
receives must never run ahead of what is committed, and must reach its last seq once every
press is stored, whichever instance stored it. Why this holds:

1. Every batch locks the rows in `devices` of every device it touches (`lock_devices`, in
   sorted order, so two batches never wait on each other in a cycle) before it reads or writes
   anything about them, and holds the locks until it commits. On PostgreSQL that is
   SELECT … ORDER BY device FOR UPDATE; on SQLite the batch's first write already took the
   database's single write lock. So the batches that touch a device commit one after another,
   in the order they took its lock.
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

from sqlalchemy import case, select, update
from sqlalchemy.engine import Connection

from hailong.server.storage.db import devices, presses

ACK_SCAN = 5000


def lock_devices(conn: Connection, names: set[str]) -> None:
    """Hold the devices' rows until commit, in a fixed order (PostgreSQL; SQLite is serial)."""
    if names and conn.dialect.name == "postgresql":
        conn.execute(
            select(devices.c.device)
            .where(devices.c.device.in_(sorted(names)))
            .order_by(devices.c.device)
            .with_for_update()
        ).all()


def advance_ack(conn: Connection, device: str) -> int:
    """Move the device's ack to the highest N with every seq 1..N stored; return N."""
    start = conn.execute(
        select(devices.c.acked_upto).where(devices.c.device == device)
    ).scalar_one()
    upto = start
    while True:
        seqs = (
            conn.execute(
                select(presses.c.seq)
                .where(presses.c.device == device, presses.c.seq > upto)
                .order_by(presses.c.seq)
                .limit(ACK_SCAN)
            )
            .scalars()
            .all()
        )
        run = _contiguous_run(upto, seqs)
        upto += run
        if run < ACK_SCAN:
            break
    if upto != start:
        _raise_to(conn, device, upto)
    return upto


def _raise_to(conn: Connection, device: str, upto: int) -> None:
    # The lock makes this a plain assignment; the guard keeps "never lower" true on its own,
    # for any caller that did not lock (a greatest() that reads the same on every dialect).
    current = devices.c.acked_upto
    conn.execute(
        update(devices)
        .where(devices.c.device == device)
        .values(acked_upto=case((current < upto, upto), else_=current))
    )


def _contiguous_run(upto: int, seqs: list[int]) -> int:
    run = 0
    for seq in seqs:
        if seq != upto + run + 1:
            break
        run += 1
    return run


def acked(conn: Connection, names: set[str]) -> dict[str, int]:
    """Return the stored watermark of each named device that is known."""
    rows = conn.execute(
        select(devices.c.device, devices.c.acked_upto).where(devices.c.device.in_(sorted(names)))
    )
    return dict(rows.all())
