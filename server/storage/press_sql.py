"""The SQL of ingest's hot path, per dialect: insert a batch's presses, read back stored copies.

Handed to the driver as text with plain tuples: SQLAlchemy's per-row binding and per-batch
compiling cost more than SQLite's insert. Every statement's text is fixed (or one of a few
shapes), so each driver prepares and caches it once. PostgreSQL takes a batch by binary COPY
(insert_all), with the table's own column types: a new column needs only its value in the row.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection
from itertools import chain

from sqlalchemy import BigInteger, Boolean, Float, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from hailong.server.storage.db import presses

INSERTED = tuple(c.name for c in presses.columns if c.name != "id")  # a row tuple's order


def insert_presses(conn: Connection, rows: list[tuple]) -> int:
    """Insert row tuples (INSERTED order) but any (device, seq) stored; return how many went in."""
    if conn.dialect.name == "postgresql":
        # First all at once: no other ingest instance can have stored these keys (store_batch
        # holds their devices' locks and looked); should any other writer have, the insert
        # is made again, skipping what is stored (ON CONFLICT's speculative insertion cost
        # the server ~2.5 µs a row of ~15: only then).
        if insert_all(conn, rows):
            return len(rows)
        # One statement, one array per column: psycopg's executemany runs a statement per
        # row, and a VALUES list of a thousand rows costs psycopg more to parse than to send.
        columns = tuple(list(values) for values in zip(*rows, strict=True))
        return conn.exec_driver_sql(_pg_insert(conn.dialect), columns).rowcount
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


def insert_all(conn: Connection, rows: list[tuple]) -> bool:
    """Insert every row (PostgreSQL), or none if any (device, seq) is stored; say which.

    A binary COPY in a savepoint: the server's cheapest way in (one heap insert for many
    rows, no statement to plan) and the client's (psycopg writes each row in C; the unnest
    of column arrays cost it three times as much, and the server ~1.2 µs a row more). A
    stored key fails the COPY on the unique (device, seq) index, and the savepoint undoes
    the rows already copied.
    """
    import psycopg  # the collector's PostgreSQL driver; SQLite never gets here

    cursor = conn.connection.driver_connection.cursor()
    try:
        with conn.begin_nested(), cursor.copy(_PG_COPY) as copy:
            copy.set_types(_pg_copy_types())
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.UniqueViolation:
        return False
    except psycopg.Error as exc:  # as SQLAlchemy raises it for a statement: ingest retries those
        raise DBAPIError.instance(_PG_COPY, None, exc, psycopg.Error) from exc
    finally:
        cursor.close()
    return True


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


@functools.cache
def _pg_insert(dialect) -> str:
    """Return PostgreSQL's INSERT … ON CONFLICT DO NOTHING of one array per column (unnest)."""
    # Strings cast without their length: a cast to VARCHAR(n) would cut a longer value
    # silently, where storing it into the column refuses it.
    # %b: psycopg sends the arrays in binary, which costs it a quarter of the text form.
    arrays = ", ".join(f"%b::{_array_of(presses.c[name].type, dialect)}" for name in INSERTED)
    return (
        f"INSERT INTO presses ({', '.join(INSERTED)}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT DO NOTHING"
    )


def _array_of(type_, dialect) -> str:
    return "VARCHAR[]" if isinstance(type_, String) else f"{type_.compile(dialect=dialect)}[]"


_PG_COPY = f"COPY presses ({', '.join(INSERTED)}) FROM STDIN (FORMAT BINARY)"

# The binary COPY's type of each column, from the table (so a new column needs no edit here):
# the server reads each value in its column type's own binary form, which must match exactly.
_COPY_TYPES = ((Boolean, "bool"), (SmallInteger, "int2"), (BigInteger, "int8"),
               (Integer, "int4"), (Float, "float8"), (String, "varchar"), (LargeBinary, "bytea"))  # fmt: skip


@functools.cache
def _pg_copy_types() -> tuple[str, ...]:
    return tuple(_copy_type(presses.c[name].type) for name in INSERTED)


def _copy_type(type_) -> str:
    for kind, name in _COPY_TYPES:  # subclasses first: BigInteger is an Integer
        if isinstance(type_, kind):
            return name
    raise TypeError(f"no binary COPY type for a presses column of type {type_!r}")
