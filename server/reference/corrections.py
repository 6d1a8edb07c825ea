"""Corrections: presses are never edited or deleted; a correction marks one excluded, with why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.reference.audit import check_actor, record
from hailong.server.reference.dossier_rule import settle
from hailong.server.storage.db import corrections, presses

MAX_MARK = 10_000  # as parse_seqs: one marking is a technician's session, not a month


@dataclass(frozen=True)
class Covered:
    """One press a time range covers, as staff see it before they confirm a marking."""

    seq: int
    at_ms: int
    rating: int
    mode: str
    excluded: str | None  # the earlier exclusion's "actor: reason", if there is one


def exclude(conn: Connection, device: str, seqs: range, reason: str, actor: str) -> int:
    """Mark the device's presses seqs (e.g. a technician's test presses) excluded; return count."""
    actor, reason = check_actor(actor), _reason(reason)
    stored = _stored(conn, device, seqs)
    missing = [seq for seq in seqs if seq not in stored]
    if missing:
        raise InputError("Kiosk {device} không có lượt bấm đã lưu với số thứ tự {seqs}", device=device,
                         seqs=_ranges(missing))  # fmt: skip
    done = _excluded(conn, device, seqs)
    if done:
        first = min(done)
        raise InputError("Kiosk {device}: số thứ tự {seqs} đã bị loại (số {first} do {by}); chưa đánh "
                         "dấu lượt nào: hãy chọn các lượt khác", device=device,
                         seqs=_ranges(sorted(done)), first=first, by=done[first])  # fmt: skip
    _write(conn, device, list(seqs), reason, actor)
    return len(seqs)


def covered(conn: Connection, device: str, start_ms: int, end_ms: int) -> list[Covered]:
    """Return the device's presses stored with an effective time in [start_ms, end_ms)."""
    if end_ms <= start_ms:
        raise InputError("Thời điểm kết thúc phải sau thời điểm bắt đầu")
    rows = conn.execute(
        select(presses.c.seq, presses.c.at_ms, presses.c.rating, presses.c.mode)
        .where(presses.c.device == device, presses.c.at_ms >= start_ms, presses.c.at_ms < end_ms)
        .where(scope.scoped_presses())  # another office's kiosk has no press here
        .order_by(presses.c.seq)
        .limit(MAX_MARK + 1)
    ).all()
    if len(rows) > MAX_MARK:
        raise InputError(
            "Khoảng thời gian có hơn {n} lượt bấm: hãy chọn khoảng ngắn hơn", n=MAX_MARK
        )
    done = _excluded(conn, device, range(rows[0].seq, rows[-1].seq + 1)) if rows else {}
    return [Covered(r.seq, r.at_ms, r.rating, r.mode, done.get(r.seq)) for r in rows]


def exclude_between(conn: Connection, device: str, start_ms: int, end_ms: int, reason: str,
                    actor: str) -> tuple[int, int]:  # fmt: skip
    """Exclude the presses a time range covers; return (newly excluded, already excluded)."""
    actor, reason = check_actor(actor), _reason(reason)
    found = covered(conn, device, start_ms, end_ms)
    if not found:
        raise InputError("Kiosk {device} không có lượt bấm đã lưu trong khoảng thời gian đó",
                         device=device)  # fmt: skip
    fresh = [c.seq for c in found if c.excluded is None]
    if not fresh:
        raise InputError("Kiosk {device}: cả {n} lượt bấm trong khoảng đó đều đã bị loại",
                         device=device, n=len(found))  # fmt: skip
    _write(conn, device, fresh, reason, actor)
    return len(fresh), len(found) - len(fresh)


def _reason(text: str) -> str:
    reason = " ".join(str(text).split())
    if not reason:
        raise InputError("Hãy ghi lý do loại các lượt bấm")
    return reason


def _write(conn: Connection, device: str, seqs: list[int], reason: str, actor: str) -> None:
    at = now_ms()
    for seq in seqs:
        row = {"device": device, "seq": seq, "action": "exclude", "reason": reason}
        conn.execute(corrections.insert().values(**row, actor=actor, at_ms=at))
        record(conn, actor, "mark-test", "press", f"{device}/{seq}", None, row, at)
    # A test press that was its dossier's rating no longer is: the next one pressed counts.
    rated = select(presses.c.dossier).where(
        presses.c.device == device, presses.c.seq.in_(seqs), presses.c.dossier.is_not(None)
    )
    settle(conn, set(conn.execute(rated).scalars()))


def parse_seqs(text: str) -> range:
    """Read "42" or "40-45" (both ends included) as a range of sequence numbers."""
    first, _, last = text.strip().partition("-")
    try:
        seqs = range(int(first), int(last or first) + 1)
    except ValueError:
        raise InputError("“{text}” không phải số thứ tự hay khoảng như 40-45", text=text) from None
    if not seqs or seqs.start < 1 or len(seqs) > 10_000:
        raise InputError("“{text}” phải là 1..10000 lượt bấm, đếm từ số thứ tự 1", text=text)
    return seqs


def _stored(conn: Connection, device: str, seqs: range) -> set[int]:
    query = select(presses.c.seq).where(
        presses.c.device == device,
        presses.c.seq.between(seqs.start, seqs.stop - 1),
        scope.scoped_presses(),  # another office's kiosk has no press here
    )
    return set(conn.execute(query).scalars())


def _excluded(conn: Connection, device: str, seqs: range) -> dict[int, str]:
    """Return seq -> "actor: reason" of the device's presses in seqs already excluded.

    The latest correction of a press decides: the dossier rule may restore ("include") a
    press it had excluded.
    """
    query = (
        select(corrections.c.seq, corrections.c.action, corrections.c.actor, corrections.c.reason)
        .where(corrections.c.device == device, corrections.c.seq.between(seqs.start, seqs.stop - 1))
        .order_by(corrections.c.id)
    )
    latest = {row.seq: row for row in conn.execute(query)}
    return {s: f"{r.actor}: {r.reason}" for s, r in latest.items() if r.action == "exclude"}


def _ranges(seqs: list[int]) -> str:
    """Write 1, 2, 3, 7 as "1-3, 7" so that a long list stays one line."""
    parts, start = [], seqs[0]
    for previous, seq in zip(seqs, [*seqs[1:], None], strict=True):
        if seq != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = seq
    return ", ".join(parts)
