"""The records of published reports: one row per file, with its SHA-256, size and figures.

A published report is a record: a row is written once, in the transaction that also writes
its audit row, and never replaced (publish.py refuses a period whose figures have changed).
The board and the poster read a published period's figures from here, never recount them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.reference import scope
from hailong.server.reference.audit import record
from hailong.server.storage.db import published

# The report upward's files are recorded under the root office with their format so prefixed:
# never mixed with the root office's own report of the same period (upward.py).
UPWARD = "pv-"


@dataclass(frozen=True)
class Record:
    """One published file as recorded."""

    period: str
    kind: str
    convention: str
    format: str
    path: str  # relative to the publication folder
    sha256: str
    size: int
    published_on: str  # YYYY-MM-DD
    published_ms: int
    figures: dict


def digest(content: bytes) -> str:
    """Return the lowercase hex SHA-256 of content."""
    return hashlib.sha256(content).hexdigest()


def file_digest(path: Path) -> tuple[str, int]:
    """Return (SHA-256, size) of a file, read in blocks."""
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            sha.update(block)
            size += len(block)
    return sha.hexdigest(), size


def store(conn: Connection, actor: str, rows: list[Record]) -> None:
    """Insert the records of one period's files and audit each; call inside a transaction."""
    for row in rows:
        values = {**vars(row), "figures": json.dumps(row.figures, ensure_ascii=False,
                                                     sort_keys=True)}  # fmt: skip
        conn.execute(published.insert().values(values | scope.owner()))
        shown = {k: values[k] for k in ("period", "convention", "format", "path", "sha256", "size")}
        record(conn, actor, "publish", "published", f"{row.period}/{row.format}", None,
               {**shown, "published_on": row.published_on}, row.published_ms)  # fmt: skip


def of_period(conn: Connection, label: str, convention: str,
              upward: bool = False) -> dict[str, Record]:  # fmt: skip
    """Return format -> Record of a period's published files (empty when not published)."""
    rows = conn.execute(
        select(published).where(
            published.c.period == label,
            published.c.convention == convention,
            scope.owned(published),
            _upward(upward),
        )
    )
    return {row.format: _record(row) for row in rows}


def every_record(conn: Connection, kind: str | None = None,
                 upward: bool | None = False) -> list[Record]:  # fmt: skip
    """Return every published file's record (of one kind if told), oldest first.

    The office's own reports by default; `upward` True: the report upward's; None: both.
    """
    query = select(published).where(scope.owned(published)).order_by(published.c.id)
    if upward is not None:
        query = query.where(_upward(upward))
    if kind is not None:
        query = query.where(published.c.kind == kind)
    return [_record(row) for row in conn.execute(query)]


def published_periods(conn: Connection, convention: str) -> dict[str, Record]:
    """Return label -> one Record per published period of a convention (its figures, its time)."""
    return {r.period: r for r in every_record(conn) if r.convention == convention}


def _upward(upward: bool):
    """Return the condition "a file of the report upward" (or its negation)."""
    is_upward = published.c.format.startswith(UPWARD)
    return is_upward if upward else ~is_upward


def _record(row) -> Record:
    """Turn a fetched row into a Record."""
    values = dict(row._mapping)
    values.pop("id")
    values.pop("office_id")
    return Record(**{**values, "figures": json.loads(values["figures"])})
