"""The audit log: who changed what, when, and the row before and after, as a hash chain.

Each row stores prev_hash (the hash of the row before it, GENESIS for the first) and hash, over
its content and prev_hash; so an edited, removed or reordered row breaks the chain at that row,
and `hailong-collector verify` names it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.storage.db import audit, offices

GENESIS = "0" * 64
# Any fixed number: PostgreSQL's transaction-scoped advisory lock that orders the chain's writers.
_CHAIN_LOCK = 0x4841494C  # "HAIL"


@dataclass(frozen=True)
class Entry:
    """One audit row, with before and after decoded."""

    id: int
    at_ms: int
    actor: str
    action: str
    entity: str
    key: str
    before: dict | None
    after: dict | None


def check_actor(actor: str | None) -> str:
    """Return the actor's name, stripped; refuse an empty one (every change names its author)."""
    name = (actor or "").strip()
    if not name:
        raise InputError("Hãy ghi ai thực hiện thay đổi (--actor TÊN)")
    return name


def record(
    conn: Connection,
    actor: str,
    action: str,
    entity: str,
    key: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    at_ms: int | None = None,
    office_id: int | None = None,
) -> None:
    """Append one audit row, chained to the one before; call inside the change's transaction.

    The row belongs to office_id, else to the office acted for (scope.py), else the only one.
    """
    office_id = office_id if office_id is not None else scope.office_id()
    owner = {} if office_id is None else {"office_id": office_id}
    row = {
        "at_ms": now_ms() if at_ms is None else at_ms,
        "actor": check_actor(actor),
        "action": action,
        "entity": entity,
        "key": key,
        "before": _json(before),
        "after": _json(after),
    }
    if conn.dialect.name == "postgresql":
        # Writers queue here until the transaction ends, so ids come in chain order and the
        # row before ours is committed (and visible) when we read it.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    # On SQLite the insert itself takes the database's one write lock (held to commit), so
    # every row with a smaller id is committed and no other writer can slip in between.
    new_id = conn.execute(audit.insert().values(row | owner)).inserted_primary_key[0]
    previous = conn.execute(
        select(audit.c.hash).where(audit.c.id < new_id).order_by(audit.c.id.desc()).limit(1)
    ).scalar()
    prev_hash = previous or GENESIS
    first = _first_office(conn)
    stored = row | {"office_id": first if office_id is None else office_id}
    conn.execute(
        audit.update()
        .where(audit.c.id == new_id)
        .values(prev_hash=prev_hash, hash=row_hash(prev_hash, stored, first))
    )


def row_hash(prev_hash: str, row: Mapping[str, Any], first_office: int | None = None) -> str:
    """Return the chain hash of one row's content after prev_hash.

    A row of an office other than the first (the one every row before revision 0009 belongs
    to) has its office in the hash too: moving a row to or from another office breaks the
    chain, and the rows hashed before offices existed keep their hashes.
    """
    content = [prev_hash, row["at_ms"], row["actor"], row["action"], row["entity"], row["key"],
               row["before"], row["after"]]  # fmt: skip
    office = row.get("office_id")
    if office is not None and first_office is not None and office != first_office:
        content.append(office)
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def chain_breaks(conn: Connection) -> tuple[int, list[str]]:
    """Recheck the whole chain in id order; return (rows checked, a problem per broken row)."""
    first = _first_office(conn)
    rows = conn.execution_options(yield_per=1000).execute(select(audit).order_by(audit.c.id))
    return _walk((row._mapping for row in rows), first)


def _first_office(conn: Connection) -> int | None:
    """Return the id of the first office (the one office of a database made before 0009)."""
    return conn.execute(select(func.min(offices.c.id))).scalar()


def _walk(
    rows: Iterable[Mapping[str, Any]], first_office: int | None = None
) -> tuple[int, list[str]]:
    """Follow the chain; a broken link is named once, then the walk goes on from the stored hash."""
    expected, checked, problems = GENESIS, 0, []
    for row in rows:
        checked += 1
        if row["prev_hash"] != expected:
            problems.append(f"audit row {row['id']}: does not follow the row before it")
        elif row["hash"] != row_hash(expected, row, first_office):
            problems.append(f"audit row {row['id']}: content does not match its hash")
        expected = row["hash"] or GENESIS
    return checked, problems


def recent(conn: Connection, limit: int = 50, entity: str | None = None) -> list[Entry]:
    """Return the latest audit rows, newest first."""
    query = select(audit).where(scope.visible(audit)).order_by(audit.c.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(audit.c.entity == entity)
    return [
        Entry(r.id, r.at_ms, r.actor, r.action, r.entity, r.key, _load(r.before), _load(r.after))
        for r in conn.execute(query)
    ]


def _json(row: Mapping[str, Any] | None) -> str | None:
    return None if row is None else json.dumps(dict(row), ensure_ascii=False, sort_keys=True)


def _load(text: str | None) -> dict | None:
    return None if text is None else json.loads(text)
