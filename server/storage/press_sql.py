"""The SQL of ingest's hot path, per dialect: insert a batch's presses, read back stored copies.

Handed to the driver as text with plain tuples: SQLAlchemy's per-row binding and per-batch
compiling cost more than SQLite's insert. Every statement's text is fixed (or one of a few
shapes), so each driver prepares and caches it once.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection
from itertools import chain

from sqlalchemy import String
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from hailong.server.storage.db import presses

INSERTED = tuple(c.name for c in presses.columns if c.name != "id")  # a row tuple's order


def insert_presses(conn: Connection, rows: list[tuple]) -> int:
    """Insert row tuples (INSERTED order) but any (device, seq) stored; return how many went in."""
    if conn.dialect.name == "postgresql":
        # One statement, one array per column: psycopg's executemany runs a statement per
        # row, and a VALUES list of a thousand rows costs psycopg more to parse than to send.
        columns = tuple(list(values) for values in zip(*rows, strict=True))
        # First a plain INSERT in a savepoint: ON CONFLICT's speculative insertion cost the
        # server ~2.5 µs a row (of ~15). No other ingest instance can have stored these keys
        # (store_batch holds their devices' locks and looked); should any other writer have,
        # the savepoint is rolled back and the insert made again, skipping what is stored.
        try:
            with conn.begin_nested():
                return conn.exec_driver_sql(_pg_insert(conn.dialect, False), columns).rowcount
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
        return conn.exec_driver_sql(_pg_insert(conn.dialect, True), columns).rowcount
    # SQLite: SQLITE_ROWS rows per statement, executemany over the chunks. sqlite3 releases
    # the GIL around every step, and paho's thread, busy parsing, then holds it for up to a
    # switch interval: a step per row made the batch loop wait for the GIL a thousand times.
    whole = len(rows) - len(rows) % SQLITE_ROWS
    chunks = [
        tuple(chain.from_iterable(rows[i : i + SQLITE_ROWS])) for i in range(0, whole, SQLITE_ROWS)
    ]
    inserted = 0
    if chunks:
        inserted += conn.exec_driver_sql(_sqlite_insert(SQLITE_ROWS), chunks).rowcount
    if whole < len(rows):
        rest = tuple(chain.from_iterable(rows[whole:]))
        inserted += conn.exec_driver_sql(_sqlite_insert(len(rows) - whole), rest).rowcount
    return inserted


SQLITE_ROWS = 50  # 50 × 19 parameters per statement, far within SQLite's 32,766


def stored_payloads(conn: Connection, keys: Collection[tuple[str, int]]) -> dict:
    """Return {(device, seq): payload} of the keys that are stored, in one query."""
    if not keys:
        return {}
    if conn.dialect.name == "postgresql":
        devices, seqs = zip(*keys, strict=True)
        rows = conn.exec_driver_sql(_PG_STORED, (list(devices), list(seqs)))
        return {(d, s): bytes(p) for d, s, p in rows}
    by_device: dict[str, list[int]] = defaultdict(list)
    for device, seq in keys:
        by_device[device].append(seq)
    # Each device's span of seqs (a span may hold seqs not asked for: dropped below).
    spans = sorted((d, min(s), max(s)) for d, s in by_device.items())
    params = tuple(v for span in spans for v in span)
    rows = conn.exec_driver_sql(_sqlite_stored(len(spans)), params)
    return {(d, s): bytes(p) for d, s, p in rows if (d, s) in keys}


# Exact keys, joined to the unique (device, seq) index; binary arrays, as in the insert.
_PG_STORED = (
    "SELECT p.device, p.seq, p.payload FROM presses AS p "
    "JOIN unnest(%b::VARCHAR[], %b::BIGINT[]) AS k(device, seq) "
    "ON p.device = k.device AND p.seq = k.seq"
)


@functools.lru_cache(maxsize=64)
def _sqlite_stored(devices: int) -> str:
    span = "(device = ? AND seq BETWEEN ? AND ?)"
    return "SELECT device, seq, payload FROM presses WHERE " + " OR ".join([span] * devices)


@functools.lru_cache(maxsize=SQLITE_ROWS + 1)
def _sqlite_insert(rows: int) -> str:
    """Return SQLite's INSERT … ON CONFLICT DO NOTHING of so many row tuples."""
    one = "(" + ", ".join("?" * len(INSERTED)) + ")"
    return (
        f"INSERT INTO presses ({', '.join(INSERTED)}) VALUES "
        + ", ".join([one] * rows)
        + " ON CONFLICT DO NOTHING"
    )


_UNIQUE_VIOLATION = "23505"


@functools.cache
def _pg_insert(dialect, skip_stored: bool) -> str:
    """Return PostgreSQL's INSERT of one array per column (unnest), ON CONFLICT DO NOTHING or not."""
    # Strings cast without their length: a cast to VARCHAR(n) would cut a longer value
    # silently, where storing it into the column refuses it.
    # %b: psycopg sends the arrays in binary, which costs it a quarter of the text form.
    arrays = ", ".join(f"%b::{_array_of(presses.c[name].type, dialect)}" for name in INSERTED)
    sql = f"INSERT INTO presses ({', '.join(INSERTED)}) SELECT * FROM unnest({arrays})"
    return sql + " ON CONFLICT DO NOTHING" if skip_stored else sql


def _array_of(type_, dialect) -> str:
    return "VARCHAR[]" if isinstance(type_, String) else f"{type_.compile(dialect=dialect)}[]"
