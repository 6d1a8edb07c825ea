"""Staff remarks and proposals (nhận xét, kiến nghị) for a period: table D of the report."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.reference.audit import record
from hailong.server.reporting.periods import parse_period
from hailong.server.storage.db import remarks

MAX_CHARS = 20_000


def set_remarks(conn: Connection, period: str, text: str, actor: str) -> str:
    """Write a period's remarks (replacing earlier ones, audited); return its label."""
    label = _label(period)
    text = text.strip()
    if len(text) > MAX_CHARS:
        raise InputError("Nhận xét, kiến nghị dài tối đa {max} ký tự, đã nhập {n}", max=MAX_CHARS,
                         n=len(text))  # fmt: skip
    before = remarks_for(conn, label)
    if before == text:
        return label
    values = {"text": text, "updated_ms": now_ms(), "actor": actor}
    if before is None:
        conn.execute(remarks.insert().values(period=label, **values, **scope.owner()))
    else:
        here = scope.owned(remarks)
        conn.execute(update(remarks).where(remarks.c.period == label, here).values(**values))
    record(conn, actor, "update" if before is not None else "create", "remarks", label,
           None if before is None else {"text": before}, {"text": text})  # fmt: skip
    return label


def remarks_for(conn: Connection, period: str) -> str | None:
    """Return a period's remarks, or None when none were written."""
    here = scope.owned(remarks)
    return conn.execute(
        select(remarks.c.text).where(remarks.c.period == _label(period), here)
    ).scalar()


def _label(period: str) -> str:
    try:
        return parse_period(period).label
    except ValueError:
        raise InputError("Không đọc được kỳ báo cáo “{period}”", period=period) from None
