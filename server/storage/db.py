"""The collector's database: schema, connection and migrations (SQLAlchemy Core).

SQLite in WAL mode is the embedded default; the same tables run on PostgreSQL by
changing the URL. Times are stored as UTC epoch milliseconds so that range queries
are plain integer comparisons on every dialect.

Version 1: presses, quarantine, devices, anchors. Version 2 adds the reference data
(fields, officials, counters, duty, device_counters), dossier counts, the audit log,
remarks, corrections and a covering index for reports.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
    true,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateIndex, CreateTable

from hailong.server.errors import DatabaseError, SchemaError

SCHEMA_VERSION = 3
metadata = MetaData()
# 64-bit ids on PostgreSQL; SQLite's rowid alias must be spelled INTEGER.
_ID = BigInteger().with_variant(Integer, "sqlite")

REPORT_COLUMNS = ("at_ms", "mode", "rating", "field", "official", "counter", "device", "seq")

presses = Table(
    "presses",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("device", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("reason", SmallInteger),
    Column("ts", String(40), nullable=False),  # the device's own timestamp, as sent
    Column("at_ms", BigInteger, nullable=False),  # effective UTC time: device time or re-dated
    Column("synced", Boolean, nullable=False),
    Column("redated", Boolean, nullable=False, default=False),
    Column("boot", String(64), nullable=False),
    Column("mono", Float, nullable=False),
    Column("counter", String(64)),
    Column("official", String(64)),
    Column("field", String(64)),
    Column("dossier", String(64)),
    Column("mode", String(8), nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Column("payload", LargeBinary, nullable=False),  # exact bytes, so a signature can be rechecked
    Column("sig", String(64)),
    UniqueConstraint("device", "seq", name="uq_presses_device_seq"),
    # v3: one rating per dossier is checked on every press carrying one (dossier_rule.py).
    Index(
        "ix_presses_dossier",
        "dossier",
        sqlite_where=text("dossier IS NOT NULL"),
        postgresql_where=text("dossier IS NOT NULL"),
    ),
    # Only unsynced presses are looked up by boot (to re-date them): a partial index keeps
    # the cost of every other insert down. ix_presses_report leads with at_ms for ranges.
    Index(
        "ix_presses_unsynced_boot",
        "device",
        "boot",
        sqlite_where=text("synced = 0"),
        postgresql_where=text("synced = false"),
    ),
    # v2: every column a report groups, filters or joins on, so that a period's counts are an
    # index-only range scan that never reads the wide rows (payload, sig, ts).
    Index("ix_presses_report", *REPORT_COLUMNS),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("received_ms", BigInteger, nullable=False),
    Column("topic", Text, nullable=False),
    Column("device", String(32)),
    Column("seq", BigInteger),
    Column("kind", String(16), nullable=False),  # invalid | signature | mismatch | conflict
    Column("reason", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("sig", Text),
    Index("ix_quarantine_received", "received_ms"),
)

devices = Table(
    "devices",
    metadata,
    Column("device", String(32), primary_key=True),
    Column("acked_upto", BigInteger, nullable=False, default=0),
    Column("first_seen_ms", BigInteger),
    Column("last_seen_ms", BigInteger),
    Column("state", String(8)),
    Column("state_session", BigInteger),
    Column("state_since_ms", BigInteger),
    Column("health", Text),  # the last Health payload, as JSON
    Column("config", Text),  # the Config retained for this device, as JSON
)

anchors = Table(
    "anchors",
    metadata,
    Column("device", String(32), primary_key=True),
    Column("boot", String(64), primary_key=True),
    Column("mono", Float, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
)

fields = Table(
    "fields",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
)

officials = Table(
    "officials",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
)

counters = Table(
    "counters",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("field", String(64)),  # the field the counter serves, shown on its kiosk; may be none
)

# Who served at which counter, [start_ms, end_ms); end_ms NULL means still on duty.
duty = Table(
    "duty",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("counter", String(64), nullable=False),
    Column("official", String(64), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger),
    Index("ix_duty_counter_start", "counter", "start_ms"),
)

# Which counter a kiosk stands at now; its retained Config is built from this.
device_counters = Table(
    "device_counters",
    metadata,
    Column("device", String(32), primary_key=True),
    Column("counter", String(64), nullable=False),
    Index("ix_device_counters_counter", "counter"),
)

dossier_counts = Table(
    "dossier_counts",
    metadata,
    Column("field", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("resolved", Integer, nullable=False),
    Column("updated_ms", BigInteger),
    Index("ix_dossier_counts_month", "month"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),  # create | update | delete | import | mark-test ...
    Column("entity", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("before", Text),  # JSON of the row before, NULL when created
    Column("after", Text),  # JSON of the row after, NULL when deleted
    Index("ix_audit_at", "at_ms"),
    Index("ix_audit_entity_key", "entity", "key"),
)

remarks = Table(
    "remarks",
    metadata,
    Column("period", String(32), primary_key=True),  # a period label: 2024-03, 2024-Q1, ...
    Column("text", Text, nullable=False),
    Column("updated_ms", BigInteger),
    Column("actor", Text),
)

# Presses are never edited or deleted; a correction marks one excluded, with who and why.
corrections = Table(
    "corrections",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("device", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("action", Text, nullable=False),  # exclude
    Column("reason", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_corrections_device_seq", "device", "seq"),
)

schema_info = Table(
    "schema_info",
    metadata,
    Column("version", Integer, primary_key=True),
)


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
            f"{_shown(parsed)} needs a driver that is not installed: {exc}"
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


def migrate(engine: Engine) -> int:
    """Create or upgrade the schema to SCHEMA_VERSION in one transaction; return the version."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Before any DDL: two CREATE TABLE IF NOT EXISTS racing on PostgreSQL make the
            # loser fail on pg_type's unique index instead of waiting.
            conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
        conn.execute(CreateTable(schema_info, if_not_exists=True))
        found = _claim_version(conn)
        if found == SCHEMA_VERSION:
            return found
        if found is not None and found > SCHEMA_VERSION:
            raise SchemaError(
                f"the database is at schema version {found}, newer than this program's "
                f"{SCHEMA_VERSION}: upgrade hailong before opening it"
            )
        # Every step so far only adds tables and indexes, so "create what is missing" upgrades
        # a version-1 database in place and finishes a migration that was interrupted.
        _create_missing(conn)
        if found is None:
            conn.execute(schema_info.insert().values(version=SCHEMA_VERSION))
        else:
            conn.execute(update(schema_info).values(version=SCHEMA_VERSION))
    return SCHEMA_VERSION


def _claim_version(conn: Connection) -> int | None:
    """Return the stored version, holding the write lock so that one process migrates at a time."""
    if conn.dialect.name != "postgresql":  # PostgreSQL holds its advisory lock already
        # A write takes SQLite's write lock (even when no row matches); a second process
        # starting at the same moment waits on busy_timeout, then finds the work done.
        conn.execute(update(schema_info).values(version=schema_info.c.version))
    return conn.execute(select(schema_info.c.version)).scalar()


def _create_missing(conn: Connection) -> None:
    """Create every table and index that is not there yet."""
    for table in metadata.sorted_tables:
        conn.execute(CreateTable(table, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda i: i.name):
            conn.execute(CreateIndex(index, if_not_exists=True))


def open_database(url: str) -> Engine:
    """Connect and migrate: what every collector process does first."""
    engine = connect(url)
    try:
        migrate(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot open the database {_shown(engine.url)}: {reason}") from None
    return engine


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)
