"""Open the collector's database at process start: connect, then upgrade the schema to head.

The tables live in schema.py, the engine in engine.py, the migrations in migrate.py; their
names are re-exported here, where the collector's modules have always imported them.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from hailong.server.errors import DatabaseError
from hailong.server.storage.engine import connect, shown
from hailong.server.storage.migrate import upgrade
from hailong.server.storage.schema import (  # noqa: F401 - re-exported for the collector's modules
    REPORT_COLUMNS,
    anchors,
    audit,
    corrections,
    counters,
    device_counters,
    devices,
    dossier_counts,
    duty,
    fields,
    metadata,
    office_fields,
    offices,
    officials,
    presses,
    published,
    quarantine,
    remarks,
)


def open_database(url: str) -> Engine:
    """Connect and upgrade to head: what a collector process does once, when it starts."""
    engine = connect(url)
    try:
        upgrade(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot open the database {shown(engine.url)}: {reason}") from None
    return engine
