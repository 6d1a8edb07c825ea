"""The lock that makes a press id a mark: writers of presses share it, a mark waits for them.

On PostgreSQL ids are handed out at insert, not at commit: a transaction that took id 100 may
commit after one that took 101, so "the highest id" is not yet "every press up to it". Every
transaction that inserts presses takes this advisory lock shared before its first insert (ingest,
storage/batch.py; other writers through presses.office_id's default, storage/owner.py), and
reporting/marks.take takes it exclusive for the moment of reading the highest id: no transaction
is then writing presses, and none starts until the read is done. An advisory lock rather than a
lock on the table: a table lock that waits for writers also waits for, and cancels, autovacuum.
SQLite has one writer at a time: its ids commit in order, nothing to take.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

KEY = 0x6861696C6F6E6701  # "hailong" + 1: the presses' writers
_SHARE = text(f"SELECT pg_advisory_xact_lock_shared({KEY})")
_WAIT = text(f"SELECT pg_advisory_xact_lock({KEY})")


def share(conn: Connection) -> None:
    """Take the writers' lock shared until the transaction ends (before inserting presses)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_SHARE)


def wait_for_writers(conn: Connection) -> None:
    """Take the lock exclusive until the transaction ends: no press is being written meanwhile."""
    if conn.dialect.name == "postgresql":
        conn.execute(_WAIT)
