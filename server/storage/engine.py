"""Connect to the collector's database: SQLite in WAL mode by default, PostgreSQL by its URL.

Connecting never creates or alters a table: that is migrate.upgrade's, run once when a
process starts.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url

from hailong.server.errors import DatabaseError


def connect(url: str) -> Engine:
    """Open the database at url, creating the folder of a SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.drivername == "postgresql":  # SQLAlchemy's default would be psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        # pre_ping: a long-running process outlives a PostgreSQL restart or failover.
        server = parsed.get_backend_name() != "sqlite"
        engine = create_engine(parsed, future=True, pool_pre_ping=server)
    except ImportError as exc:
        raise DatabaseError(
            f"{shown(parsed)} needs a driver that is not installed: {exc}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    _enable_wal(cur)
    # FULL: an ack promises the press survives a power cut, so every commit must reach the disk.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Reports read large index ranges: a bigger page cache and memory-mapped reads spare the
    # system calls (SQLite's defaults are a 2 MB cache and no mmap).
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA mmap_size=1073741824")
    cur.close()


def _enable_wal(cur, wait_s: float = 10.0) -> None:
    """Switch the file to WAL, retrying while another connection holds it."""
    # Switching a new file to WAL needs it alone, and SQLite answers "locked" at once instead of
    # waiting on busy_timeout: two collector processes starting together on a fresh install.
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def shown(url: URL) -> str:
    """Spell a database URL for a message, without its password."""
    return url.render_as_string(hide_password=True)
