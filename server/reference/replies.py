"""Officials' replies (giải trình) to their own figures of a period, shown in table B.

An official writes one reply per period (label and convention: the figures differ between
conventions) while that period's report is not published; a new text replaces the old one and
both go into the audit log. Once the period is published the reply is part of the record and
is never changed again (the report's files and their hashes hold it).
"""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.reference.audit import check_actor, record
from hailong.server.reporting import published
from hailong.server.reporting.periods import Period
from hailong.server.storage.schema import officials, replies

MAX_CHARS = 2_000  # a reply explains a row of a table: a few paragraphs at most


def reply_state(conn: Connection, period: Period, today: date) -> str:
    """Say whether a period takes replies: "open", or why not ("custom", "future", "published")."""
    if period.kind == "custom":
        return "custom"  # no report of a custom range is published: nothing to reply beside
    if period.start > today:
        return "future"
    return "published" if published.of_period(conn, period.label, period.convention) else "open"


def reply_open(conn: Connection, period: Period, today: date) -> bool:
    """Tell whether replies to a period may be written: a named period begun, not yet published."""
    return reply_state(conn, period, today) == "open"


def write_reply(conn: Connection, official: str, period: Period, text: str, actor: str,
                today: date) -> bool:  # fmt: skip
    """Write (or replace) an official's reply to a period, audited; return whether it changed."""
    actor = check_actor(actor)
    text = unicodedata.normalize("NFC", text).strip()
    _check(conn, official, period, text, today)
    before = reply_of(conn, official, period)
    if before == text:
        return False
    values = {"text": text, "written_ms": now_ms(), "actor": actor}
    if before is None:
        conn.execute(replies.insert().values(official=official, period=period.label,
                                             convention=period.convention, **values,
                                             **scope.owner()))  # fmt: skip
    else:
        conn.execute(update(replies).where(*_this(official, period)).values(**values))
    shown = {"official": official, "period": period.label, "convention": period.convention}
    record(conn, actor, "create" if before is None else "update", "reply",
           f"{official}/{period.convention}/{period.label}",
           None if before is None else {**shown, "text": before}, {**shown, "text": text},
           values["written_ms"])  # fmt: skip
    return True


def reply_of(conn: Connection, official: str, period: Period) -> str | None:
    """Return an official's reply to a period, or None."""
    return conn.execute(select(replies.c.text).where(*_this(official, period))).scalar()


def replies_of(conn: Connection, period: Period) -> dict[str, str]:
    """Return official code -> reply for a period (its label and convention)."""
    query = select(replies.c.official, replies.c.text).where(
        replies.c.period == period.label,
        replies.c.convention == period.convention,
        scope.owned(replies),
    )
    return dict(conn.execute(query).all())


def _check(conn: Connection, official: str, period: Period, text: str, today: date) -> None:
    """Refuse an empty or long text, an unknown official, or a period closed to replies."""
    if not text:
        raise InputError("Giải trình đang để trống")
    if len(text) > MAX_CHARS:
        raise InputError(
            "Giải trình dài tối đa {max} ký tự, đã nhập {n}", max=MAX_CHARS, n=len(text)
        )
    known = select(officials.c.code).where(officials.c.code == official, scope.owned(officials))
    if conn.execute(known).scalar() is None:
        raise InputError("Không có cán bộ “{code}”", code=official)
    if not reply_open(conn, period, today):
        raise InputError("Kỳ {period} ({convention}) không nhận giải trình: đã công bố, chưa bắt "
                         "đầu, hoặc là khoảng ngày tự chọn", period=period.label,
                         convention=period.convention)  # fmt: skip


def _this(official: str, period: Period) -> tuple:
    return (replies.c.official == official, replies.c.period == period.label,
            replies.c.convention == period.convention, scope.owned(replies))  # fmt: skip
