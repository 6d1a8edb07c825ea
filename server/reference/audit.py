"""The audit log: who changed what, when, and the row before and after."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.storage.db import audit


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
        raise InputError("say who makes the change (--actor NAME)")
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
) -> None:
    """Append one audit row; call inside the transaction that makes the change."""
    conn.execute(
        audit.insert().values(
            at_ms=now_ms() if at_ms is None else at_ms,
            actor=check_actor(actor),
            action=action,
            entity=entity,
            key=key,
            before=_json(before),
            after=_json(after),
        )
    )


def recent(conn: Connection, limit: int = 50, entity: str | None = None) -> list[Entry]:
    """Return the latest audit rows, newest first."""
    query = select(audit).order_by(audit.c.id.desc()).limit(limit)
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
