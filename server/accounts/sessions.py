"""Staff sessions kept on the server: the cookie holds a random id, the database its SHA-256.

A signed cookie alone stays valid until it expires, whatever happens on the server. Here
signing out deletes the session's row, so a copied cookie stops working at once; a new password
or a deactivation deletes all of the account's rows (users.set_user), in every browser.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from hailong.server.accounts.users import USER_COLUMNS, User
from hailong.server.epoch import now_ms
from hailong.server.storage.schema import sessions, users


def start_session(conn: Connection, user_id: int, lifetime_s: int) -> str:
    """Open a session for the account; return its id (only its digest is stored)."""
    at = now_ms()
    conn.execute(delete(sessions).where(sessions.c.created_ms < at - lifetime_s * 1000))
    session_id = secrets.token_urlsafe(32)
    conn.execute(sessions.insert().values(digest=_digest(session_id), user_id=user_id,
                                          created_ms=at))  # fmt: skip
    return session_id


def session_user(conn: Connection, session_id: object, lifetime_s: int) -> User | None:
    """Return the active account signed in with this session id while the session lasts."""
    if not isinstance(session_id, str):
        return None
    query = (
        select(*USER_COLUMNS)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(
            sessions.c.digest == _digest(session_id),
            users.c.active,
            sessions.c.created_ms >= now_ms() - lifetime_s * 1000,
        )
    )
    found = conn.execute(query).first()
    return None if found is None else User(*found)


def end_session(conn: Connection, session_id: object) -> None:
    """End one session (signing out)."""
    if isinstance(session_id, str):
        conn.execute(delete(sessions).where(sessions.c.digest == _digest(session_id)))


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
