"""The login limit: growing delays per (account, address) and per address, never a lock.

A hard lock would hand the attacker a switch: five wrong passwords from anywhere would shut the
admin out. Here failures count for the account *from one address* only: after `free` of them
each further attempt must wait 2^n seconds after the previous one (at most MAX_DELAY_S). An
address failing across many accounts is slowed the same way, past ADDRESS_FACTOR × `free`.
Nobody else's sign-in is slowed, and a session already signed in never meets this limit.
"""

from __future__ import annotations

import math

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.storage.schema import login_attempts

MAX_DELAY_S = 300
ADDRESS_FACTOR = 4


def claim_attempt(conn: Connection, username: str, address: str, *, free: int,
                  window_s: int) -> int:  # fmt: skip
    """Record a login attempt; return 0 to go on, or the seconds to wait first.

    The row is written before counting, inside the caller's transaction: on SQLite the write
    lock serialises attempts, so parallel requests cannot all pass in one delay.
    """
    at = now_ms()
    name, where = _name(username), str(address)[:64]
    conn.execute(delete(login_attempts).where(login_attempts.c.at_ms < at - window_s * 1000))
    row = conn.execute(login_attempts.insert().values(at_ms=at, username=name, address=where))
    mine = row.inserted_primary_key[0]
    by_pair = (login_attempts.c.username == name, login_attempts.c.address == where)
    wait = max(_wait(conn, at, mine, free, *by_pair),
               _wait(conn, at, mine, ADDRESS_FACTOR * free, login_attempts.c.address == where))  # fmt: skip
    if wait:
        # A refused attempt is not counted (it checked no password): waiting is enough.
        conn.execute(delete(login_attempts).where(login_attempts.c.id == mine))
    return wait


def forget_attempts(conn: Connection, username: str, address: str) -> None:
    """Clear the account's attempts from this address after a successful login."""
    # Only this address's: signing in elsewhere must not reset an attacker's delays.
    conn.execute(delete(login_attempts).where(login_attempts.c.username == _name(username),
                                              login_attempts.c.address == str(address)[:64]))  # fmt: skip


def _wait(conn: Connection, at: int, mine: int, free: int, *where) -> int:
    """Return the seconds left to wait when `free` or more earlier attempts match."""
    query = select(func.count(), func.max(login_attempts.c.at_ms)).where(
        *where, login_attempts.c.id != mine
    )
    count, last = conn.execute(query).one()
    if count < free:
        return 0
    delay_ms = min(MAX_DELAY_S, 2 ** min(count - free, 30)) * 1000
    return max(0, math.ceil((last + delay_ms - at) / 1000))


def _name(username: str) -> str:
    return str(username).strip().lower()[:64]
