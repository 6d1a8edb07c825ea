"""Create and upgrade the schema with Alembic: what a collector process does once, at start.

The revisions live in migrations/versions/ and ship inside the package: no alembic.ini is read.
The whole upgrade runs in one transaction that concurrent starts queue on: PostgreSQL's advisory
lock (the key 0.1.0 used, so an old and a new process serialise too), SQLite's BEGIN IMMEDIATE.
A database made by 0.1.0 (schema_info, no alembic_version) is adopted by the baseline revision,
which creates only what is missing. Nothing else ever creates or alters a table: a process that
only reads asks `check_current` instead.

A new revision: copy the latest file in migrations/versions/, set `down_revision` to its
revision, write the operations; tests/server/test_schema.py fails until revision and models agree.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from hailong.server.errors import SchemaError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)
# Alembic says "Context impl SQLiteImpl" and each step at INFO on every start: one line of ours
# says what changed, so a service's journal and the demo's terminal stay readable.
logging.getLogger("alembic").setLevel(logging.WARNING)
LOCK_KEY = 4242001  # 0.1.0's advisory lock key
LEGACY_VERSION = 3  # the last schema_info version, 0.1.0's
UPGRADE_HINT = "run `hailong-collector db upgrade`"


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    """Return the revision this program's models are at."""
    return _scripts().get_current_head()


def revision(conn: Connection) -> str | None:
    """Return the database's revision, None when Alembic never ran on it."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to head in one locked transaction; return the revision."""
    with engine.connect() as conn:
        _lock(conn)
        found = revision(conn)
        if found != head():
            _check_known(found)
            if found is None:
                _check_adoptable(conn)
            command.upgrade(_config(conn), "head")
            log.info("database upgraded from %s to %s", found or "nothing", head())
        conn.commit()
    return head()


def check_current(conn: Connection) -> None:
    """Raise SchemaError unless the database is at head (read paths check, never create)."""
    found = revision(conn)
    if found == head():
        return
    _check_known(found)
    where = "has no schema yet" if found is None else f"is at revision {found}"
    raise SchemaError(f"the database {where}, this program needs {head()}: {UPGRADE_HINT}")


def _config(conn: Connection) -> Config:
    """Return Alembic's configuration, handing env.py the connection that holds the lock."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _lock(conn: Connection) -> None:
    """Start the transaction holding the lock that serialises concurrent upgrades."""
    if conn.dialect.name == "postgresql":
        # Before any DDL: two CREATE TABLE IF NOT EXISTS racing on PostgreSQL make the
        # loser fail on pg_type's unique index instead of waiting.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    else:
        # Take the write lock now, not at the first DDL: a second process waits on
        # busy_timeout here, then finds the work done.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _check_known(found: str | None) -> None:
    """Refuse a revision this program has no script for: a newer release made it."""
    known = {script.revision for script in _scripts().walk_revisions()}
    if found is not None and found not in known:
        raise SchemaError(
            f"the database is at revision {found}, which this program does not know "
            f"(newest here: {head()}): upgrade hailong before opening it"
        )


def _check_adoptable(conn: Connection) -> None:
    """Refuse a database Alembic never ran on unless it is empty or made by 0.1.0."""
    tables = set(inspect(conn).get_table_names())
    if "schema_info" in tables:
        version = conn.execute(text("SELECT max(version) FROM schema_info")).scalar()
        if version is not None and version > LEGACY_VERSION:
            raise SchemaError(
                f"the database is at schema version {version}, newer than this program's "
                f"{LEGACY_VERSION}: upgrade hailong before opening it"
            )
    elif tables - {"alembic_version"}:
        raise SchemaError(
            f"the database holds tables ({', '.join(sorted(tables)[:5])} …) but no schema "
            "version: it was not made by hailong"
        )
