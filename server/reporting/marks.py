"""Change marks: what was stored up to a moment, and which offices' presses came after it.

Presses are only added (a new id) or re-dated, and a re-dating comes with a new anchor (the
first synced clock reading of a boot, storage/batch.apply_anchor). So a figure counted from the
presses stored up to id M, with A anchors, still holds while no press with an id above M falls in
what it counts and there are still A anchors: "which presses came since M" is a range of the
primary key, a few rows, where a fingerprint is a scan of every press counted.

A mark must not miss a press: on PostgreSQL ids are handed out at insert, and a transaction that
took id 100 may commit after one that took 101. `take` therefore reads under the presses'
writers' lock (storage/press_lock.py), taken exclusive for two reads: every id up to the mark is
then committed and the mark is exact. (SQLite has one writer: ids commit in order.) A figure
counted after the mark was taken may hold presses above it; they show as arrivals later and only
cost a recount.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from hailong.server.storage import press_lock
from hailong.server.storage.db import anchors, presses

LOCK_TIMEOUT = "2s"  # an ingest batch holds the lock for milliseconds; past this, no mark


@dataclass(frozen=True)
class Mark:
    """Every press with an id up to `press` was stored when `anchors` anchors were."""

    press: int
    anchors: int
    others: tuple = ()  # what `take` was asked to read with it, under the same lock


@dataclass
class Arrivals:
    """The presses stored after a press id, per office: what a kept figure must look at."""

    since: int
    anchors: int  # anchors stored, seen in the same snapshot
    times: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # office -> (at_ms, id)

    def touch(self, offices: Iterable[int] | None, start_ms: int, end_ms: int,
              after: int) -> bool:  # fmt: skip
        """Tell whether a press with an id above `after` of these offices is in [start, end)."""
        if after < self.since:
            raise ValueError(f"arrivals since {self.since} cannot answer for {after}")
        for office in self.times if offices is None else offices:
            found = self.times.get(office, ())
            at = bisect.bisect_left(found, (start_ms, -1))
            while at < len(found) and found[at][0] < end_ms:
                if found[at][1] > after:
                    return True
                at += 1
        return False

    def offices(self, after: int | None = None) -> set[int]:
        """Return the offices with a press stored after `after` (default: since)."""
        floor = self.since if after is None else after
        return {o for o, found in self.times.items() if any(i > floor for _t, i in found)}


def take(conn: Connection, more: Callable[[Connection], tuple] | None = None) -> Mark | None:
    """Return an exact mark, in a short transaction of its own on `conn` (None: not now).

    `conn` must hold no transaction; `more(conn)` is read with the mark (as Mark.others), under
    the same lock: ids written in the transactions that store presses are exact marks too. None
    when the lock is not had within LOCK_TIMEOUT: the caller then checks the old way
    (fingerprints) or counts again.
    """
    if conn.in_transaction():
        raise RuntimeError("marks.take needs a connection outside any transaction")
    try:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            press_lock.wait_for_writers(conn)
            found = read(conn)
            return found if more is None else Mark(found.press, found.anchors, more(conn))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        return None


def read(conn: Connection) -> Mark:
    """Return (highest press id, anchors) as `conn` sees them: exact only through `take`."""
    found = conn.execute(
        select(
            select(func.coalesce(func.max(presses.c.id), 0)).scalar_subquery(),
            select(func.count()).select_from(anchors).scalar_subquery(),
        )
    ).one()
    return Mark(int(found[0]), int(found[1]))


def arrivals(conn: Connection, since: int, upto: int | None = None) -> Arrivals:
    """Return the presses with an id above `since` that `conn` sees, and its anchors.

    `upto`: only those up to that id (what a mark covers; later ones are another read's).
    """
    query = select(presses.c.office_id, presses.c.at_ms, presses.c.id).where(presses.c.id > since)
    rows = conn.execute(query if upto is None else query.where(presses.c.id <= upto))
    times: dict[int, list[tuple[int, int]]] = {}
    for office, at_ms, press_id in rows:
        times.setdefault(office, []).append((at_ms, press_id))
    for found in times.values():
        found.sort()
    count = conn.execute(select(func.count()).select_from(anchors)).scalar_one()
    return Arrivals(since, int(count), times)
