"""Staff accounts and API tokens: plain functions over a connection.

Passwords are hashed with argon2id (argon2-cffi); API tokens are random and stored as their
SHA-256 only, so the database never holds anything that logs in by itself. Sessions live in
sessions.py, the login limit in throttle.py.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.reference.audit import check_actor, record
from hailong.server.storage.schema import api_tokens, officials, sessions, users

OFFICIAL = "official"  # a civil servant (CBCC) who sees only their own figures
ROLES = ("admin", "leader", "staff", OFFICIAL)
MIN_PASSWORD = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
_HASHER = PasswordHasher()
# Verified against when the username is unknown, so that both cases take the same time.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    """A signed-in member of staff."""

    id: int
    username: str
    name: str
    role: str
    active: bool
    changed_ms: int
    must_change: bool = False  # a password chosen by someone else: change it before anything
    official: str | None = None  # the official's code, for an OFFICIAL account only
    office_id: int | None = None  # the office it belongs to: it sees that office's subtree

    def can(self, *roles: str) -> bool:
        """Tell whether the user holds one of the roles (admin holds every staff role; none: staff)."""
        if not self.active:
            return False
        # An official's own page and the staff's pages are apart: neither side holds the other's.
        if self.role == OFFICIAL or OFFICIAL in roles:
            return self.role in roles
        return not roles or self.role == "admin" or self.role in roles


def clean_username(text: str) -> str:
    """Return a username in lower case; refuse one with spaces or odd characters."""
    name = str(text).strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InputError("Tên đăng nhập “{name}”: 2..64 ký tự a-z 0-9 . _ @ -, bắt đầu bằng chữ hoặc số",
                         name=text)  # fmt: skip
    return name


def check_password(password: str) -> str:
    """Refuse a password that is too short."""
    if len(password) < MIN_PASSWORD:
        raise InputError("Mật khẩu phải có ít nhất {n} ký tự", n=MIN_PASSWORD)
    return password


def add_user(conn: Connection, username: str, password: str, role: str, actor: str,
             name: str = "", must_change: bool = False, official: str | None = None) -> User:  # fmt: skip
    """Create an active account with a hashed password (must_change: a one-time password)."""
    username, role = clean_username(username), _role(role)
    check_actor(actor)
    if _row(conn, users.c.username == username) is not None:
        raise InputError("Tài khoản {username} đã có", username=username)
    at = now_ms()
    row = {"username": username, "name": " ".join(name.split()), "role": role, "active": True,
           "official": _official_link(conn, role, official)}  # fmt: skip
    conn.execute(users.insert().values(
        **row, password_hash=_HASHER.hash(check_password(password)), created_ms=at, changed_ms=at,
        must_change_password=bool(must_change), **scope.owner(),
    ))  # fmt: skip
    record(conn, actor, "create", "user", username, None, row, at)
    return find_user(conn, username)


def set_user(conn: Connection, username: str, actor: str, *, role=None, active=None,
             password=None, must_change: bool = False, official=None) -> bool:  # fmt: skip
    """Change an account's role, state, official or password (must_change: one to replace).

    `official` None keeps the link; an account that stops being an official's loses it.
    """
    user = find_user(conn, username, required=True)
    if not scope.contains(user.office_id):  # another office's account: as if unknown
        raise InputError("Không có tài khoản “{username}”", username=username)
    before = _public(user)
    changes = {} if role is None else {"role": _role(role)}
    new_role = changes.get("role", user.role)
    kept = user.official if new_role == OFFICIAL else None
    changes["official"] = _official_link(conn, new_role, kept if official is None else official)
    if active is not None:
        changes["active"] = bool(active)
    after = {**before, **changes}
    if after == before and password is None:
        return False
    values = dict(changes, changed_ms=now_ms())
    if password is not None:
        values["password_hash"] = _HASHER.hash(check_password(password))
        values["must_change_password"] = bool(must_change)
        after["password"] = "to change at next sign-in" if must_change else "changed"
    conn.execute(update(users).where(users.c.username == before["username"]).values(values))
    if password is not None or not after["active"]:
        # Whoever knew the old password, or held the account's cookie, is signed out everywhere.
        conn.execute(delete(sessions).where(sessions.c.user_id == user.id))
    record(conn, check_actor(actor), "update", "user", before["username"], before, after)
    return True


def find_user(conn: Connection, username: str, required: bool = False) -> User | None:
    """Return the account with this username."""
    row = _row(conn, users.c.username == str(username).strip().lower())
    if row is None and required:
        raise InputError("Không có tài khoản “{username}”", username=username)
    return row


def user_by_id(conn: Connection, user_id: int) -> User | None:
    """Return the account with this id."""
    return _row(conn, users.c.id == user_id)


def list_users(conn: Connection) -> list[User]:
    """Return every account by username."""
    rows = conn.execute(
        select(*USER_COLUMNS).where(scope.visible(users)).order_by(users.c.username)
    )
    return [User(*r) for r in rows]


def count_users(conn: Connection) -> int:
    """Return how many accounts exist."""
    return conn.execute(select(func.count()).select_from(users)).scalar_one()


def authenticate(conn: Connection, username: str, password: str) -> User | None:
    """Return the active account whose password this is; rehash it if the costs went up."""
    name = str(username).strip().lower()
    found = conn.execute(
        select(users.c.password_hash, users.c.active).where(users.c.username == name)
    ).first()
    try:
        _HASHER.verify(found.password_hash if found else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if found is None or not found.active:
        return None
    if _HASHER.check_needs_rehash(found.password_hash):
        conn.execute(update(users).where(users.c.username == name)
                     .values(password_hash=_HASHER.hash(password)))  # fmt: skip
    return find_user(conn, name)


def change_own_password(conn: Connection, user: User, current: str, new: str) -> None:
    """Replace the account's password by one its owner chose, knowing the current one."""
    if authenticate(conn, user.username, current) is None:
        raise InputError("Mật khẩu hiện tại không đúng")
    if new == current:
        raise InputError("Mật khẩu mới phải khác mật khẩu hiện tại")
    set_user(conn, user.username, user.username, password=new)


def add_token(conn: Connection, name: str, actor: str) -> str:
    """Create an API token; return it (shown once: only its digest is kept)."""
    name = clean_username(name)
    if conn.execute(select(api_tokens.c.id).where(api_tokens.c.name == name)).first():
        raise InputError("Mã truy cập {name} đã có", name=name)
    token = "hl_" + secrets.token_urlsafe(32)
    at = now_ms()
    conn.execute(api_tokens.insert().values(name=name, digest=_digest(token), created_ms=at,
                                            created_by=check_actor(actor), active=True,
                                            **scope.owner()))  # fmt: skip
    record(conn, actor, "create", "api_token", name, None, {"name": name, "active": True}, at)
    return token


def revoke_token(conn: Connection, name: str, actor: str) -> None:
    """Stop a token from working."""
    done = conn.execute(update(api_tokens).where(api_tokens.c.name == name, api_tokens.c.active,
                                                 scope.visible(api_tokens))
                        .values(active=False))  # fmt: skip
    if not done.rowcount:
        raise InputError("Không có mã truy cập “{name}” đang dùng", name=name)
    record(conn, actor, "update", "api_token", name, {"active": True}, {"active": False})


def token_name(conn: Connection, token: str) -> str | None:
    """Return the name of the active token, or None."""
    found = token_holder(conn, token)
    return None if found is None else found[0]


def token_holder(conn: Connection, token: str) -> tuple[str, int] | None:
    """Return (name, office id) of the active token, or None."""
    query = select(api_tokens.c.name, api_tokens.c.office_id).where(
        api_tokens.c.digest == _digest(token), api_tokens.c.active
    )
    found = conn.execute(query).first()
    return None if found is None else (found[0], found[1])


def list_tokens(conn: Connection) -> list[dict]:
    """Return every token's name, author, creation time and state (never the token)."""
    query = select(api_tokens.c.name, api_tokens.c.created_by, api_tokens.c.created_ms,
                   api_tokens.c.active).where(scope.visible(api_tokens)).order_by(api_tokens.c.name)  # fmt: skip
    return [dict(r._mapping) for r in conn.execute(query)]


USER_COLUMNS = (users.c.id, users.c.username, users.c.name, users.c.role, users.c.active,
                 users.c.changed_ms, users.c.must_change_password, users.c.official,
                 users.c.office_id)  # fmt: skip


def _row(conn: Connection, condition) -> User | None:
    found = conn.execute(select(*USER_COLUMNS).where(condition)).first()
    return None if found is None else User(*found)


def _public(user: User) -> dict:
    return {"username": user.username, "name": user.name, "role": user.role, "active": user.active,
            "official": user.official}  # fmt: skip


def _official_link(conn: Connection, role: str, official: str | None) -> str | None:
    """Return the official code an account of this role belongs to (None for staff roles)."""
    code = (official or "").strip()
    if role != OFFICIAL:
        if code:
            raise InputError("Chỉ tài khoản {official} mới gắn với một cán bộ, không phải {role}",
                             official=OFFICIAL, role=role)  # fmt: skip
        return None
    if not code:
        raise InputError("Tài khoản {official} cần mã cán bộ (--official MÃ)", official=OFFICIAL)
    here = scope.owned(officials)
    known = conn.execute(select(officials.c.code).where(officials.c.code == code, here)).scalar()
    if known is None:
        raise InputError("Không có cán bộ “{code}”: hãy thêm vào danh sách cán bộ trước", code=code)
    return code


def _role(role: str) -> str:
    if role not in ROLES:
        raise InputError("Vai trò phải là một trong {roles}, không phải “{role}”",
                         roles=", ".join(ROLES), role=role)  # fmt: skip
    return role


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
