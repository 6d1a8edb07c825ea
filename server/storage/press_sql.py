"""The SQL of ingest's hot path, per dialect: insert a batch's presses, read back stored copies.

Handed to the driver as text with plain tuples: SQLAlchemy's per-row binding and per-batch
compiling cost more than SQLite's insert. Every statement's text is fixed (or one of a few
shapes), so each driver prepares and caches it once.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import String, bindparam
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from hailong.server.storage.db import presses

INSERTED = tuple(c.name for c in presses.columns if c.name != "id")  # a row tuple's order


def insert_presses(conn: Connection, rows: list[tuple]) -> int:
    """Insert row tuples (INSERTED order) but any (device, seq) stored; return how many went in."""
    if conn.dialect.name == "postgresql":
        # One statement, one array per column: psycopg's executemany runs a statement per
        # row, and a VALUES list of a thousand rows costs psycopg more to parse than to send.
        columns = tuple(list(values) for values in zip(*rows, strict=True))
        return conn.exec_driver_sql(_insert_sql(conn.dialect), columns).rowcount
    # In-process: sqlite3's executemany loops over one prepared statement in C.
    return conn.exec_driver_sql(_insert_sql(conn.dialect), rows).rowcount


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


@functools.cache
def _insert_sql(dialect) -> str:
    """Return the dialect's INSERT … ON CONFLICT DO NOTHING for row tuples.

    SQLite takes one row per parameter set; PostgreSQL one array per column (unnest).
    """
    if dialect.name == "postgresql":
        # Strings cast without their length: a cast to VARCHAR(n) would cut a longer value
        # silently, where storing it into the column refuses it.
        # %b: psycopg sends the arrays in binary, which costs it a quarter of the text form.
        arrays = ", ".join(f"%b::{_array_of(presses.c[name].type, dialect)}" for name in INSERTED)
        return (
            f"INSERT INTO presses ({', '.join(INSERTED)}) "
            f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"
        )
    compiled = (
        sqlite.insert(presses)
        .values({name: bindparam(name) for name in INSERTED})
        .on_conflict_do_nothing()
        .compile(dialect=dialect, for_executemany=True)
    )
    if tuple(compiled.positiontup) != INSERTED:
        raise RuntimeError("the insert's parameters are not in INSERTED's order")
    return str(compiled)


def _array_of(type_, dialect) -> str:
    return "VARCHAR[]" if isinstance(type_, String) else f"{type_.compile(dialect=dialect)}[]"
