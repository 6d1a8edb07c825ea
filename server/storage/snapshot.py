"""One consistent read: every figure of a page, a report or an API answer from one snapshot.

Under live ingest, figures read by separate statements disagree (a total of 107 above counters
summing to 108). A snapshot connection sees the database as it was at its first read until it
is closed: on SQLite one read transaction (WAL keeps the snapshot), on PostgreSQL REPEATABLE
READ. It never writes; whatever it did is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """Yield a read-only connection whose every statement sees the same snapshot."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            # pysqlite opens a transaction only before a write: without this BEGIN every SELECT
            # would see the latest commit.
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.begin()  # at once: readers ask in_transaction() before their first statement
        try:
            yield conn
        finally:
            conn.rollback()
