"""The tables of the web accounts: staff users, API tokens and recent login attempts.

They live on the collector's metadata, so a fresh database made by a process that imported
this module has them; `ensure_tables` creates them in an existing database too, because
`db.migrate` stops early once the schema version matches and the ingest process, which may
have made the database, never imports the web package.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from hailong.server.storage.db import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("password_hash", Text, nullable=False),  # argon2id, with its own salt and costs
    Column("role", String(16), nullable=False),  # admin | leader | staff
    Column("active", Boolean, nullable=False, default=True),
    Column("created_ms", BigInteger, nullable=False),
    # Changes with the password or role: sessions signed before it are no longer honoured.
    Column("changed_ms", BigInteger, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("digest", String(64), nullable=False, unique=True),  # SHA-256 of the token, hex
    Column("created_ms", BigInteger, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# One row per login attempt still inside the limit's window (failed, or being checked).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Index("ix_login_attempts_at", "at_ms"),
    Index("ix_login_attempts_username", "username"),
    Index("ix_login_attempts_address", "address"),
)

TABLES = (users, api_tokens, login_attempts)


def ensure_tables(engine: Engine) -> None:
    """Create the account tables and their indexes where they are missing."""
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(CreateTable(table, if_not_exists=True))
            for index in sorted(table.indexes, key=lambda i: i.name):
                conn.execute(CreateIndex(index, if_not_exists=True))
