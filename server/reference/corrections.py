"""Corrections: presses are never edited or deleted; a correction marks one excluded, with why."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference.audit import check_actor, record
from hailong.server.storage.db import corrections, presses


def exclude(conn: Connection, device: str, seqs: range, reason: str, actor: str) -> int:
    """Mark the device's presses seqs (e.g. a technician's test presses) excluded; return count."""
    actor, reason = check_actor(actor), " ".join(str(reason).split())
    if not reason:
        raise InputError("say why the presses are excluded (--reason TEXT)")
    stored = _stored(conn, device, seqs)
    missing = [seq for seq in seqs if seq not in stored]
    if missing:
        raise InputError(f"device {device} has no stored press with seq {_ranges(missing)}")
    done = _excluded(conn, device, seqs)
    if done:
        raise InputError(f"device {device}: seq {_ranges(sorted(done))} already excluded")
    at = now_ms()
    for seq in seqs:
        row = {"device": device, "seq": seq, "action": "exclude", "reason": reason}
        conn.execute(corrections.insert().values(**row, actor=actor, at_ms=at))
        record(conn, actor, "mark-test", "press", f"{device}/{seq}", None, row, at)
    return len(seqs)


def parse_seqs(text: str) -> range:
    """Read "42" or "40-45" (both ends included) as a range of sequence numbers."""
    first, _, last = text.strip().partition("-")
    try:
        seqs = range(int(first), int(last or first) + 1)
    except ValueError:
        raise InputError(f"{text!r} is not a seq or a range like 40-45") from None
    if not seqs or seqs.start < 1 or len(seqs) > 10_000:
        raise InputError(f"{text!r} must be 1..10000 presses counted from seq 1")
    return seqs


def _stored(conn: Connection, device: str, seqs: range) -> set[int]:
    query = select(presses.c.seq).where(
        presses.c.device == device, presses.c.seq.between(seqs.start, seqs.stop - 1)
    )
    return set(conn.execute(query).scalars())


def _excluded(conn: Connection, device: str, seqs: range) -> set[int]:
    query = select(corrections.c.seq).where(
        corrections.c.device == device,
        corrections.c.seq.between(seqs.start, seqs.stop - 1),
        corrections.c.action == "exclude",
    )
    return set(conn.execute(query).scalars())


def _ranges(seqs: list[int]) -> str:
    """Write 1, 2, 3, 7 as "1-3, 7" so that a long list stays one line."""
    parts, start = [], seqs[0]
    for previous, seq in zip(seqs, [*seqs[1:], None], strict=True):
        if seq != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = seq
    return ", ".join(parts)
