"""The collector's database: schema, connection and migrations (SQLAlchemy Core).

SQLite in WAL mode is the embedded default; the same tables run on PostgreSQL by
changing the URL. Times are stored as UTC epoch milliseconds so that range queries
are plain integer comparisons on every dialect.
"""

from __future__ import annotations

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
)
from sqlalchemy.engine import Engine, make_url

SCHEMA_VERSION = 1
metadata = MetaData()

presses = Table(
    "presses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
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
    Index("ix_presses_at", "at_ms"),
    Index("ix_presses_device_boot", "device", "boot"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
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
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: an ack promises the press survives a power cut, so every commit must reach the disk.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def migrate(engine: Engine) -> int:
    """Create or upgrade the schema to SCHEMA_VERSION; return the version now in place."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        found = conn.execute(select(schema_info.c.version)).scalar()
        if found is None:
            conn.execute(schema_info.insert().values(version=SCHEMA_VERSION))
            found = SCHEMA_VERSION
    return found


def open_database(url: str) -> Engine:
    """Connect and migrate: what every collector process does first."""
    engine = connect(url)
    migrate(engine)
    return engine
