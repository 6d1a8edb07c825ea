"""Write one batch of sorted messages in one transaction and say what each device may be acked."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from protocol import parse_press

from .db import anchors, devices, presses, quarantine
from .intake import DeviceHealth, DeviceStatus, Incoming, Rejected, RetainedAck, to_ms

ACK_SCAN = 5000


@dataclass
class BatchOutcome:
    """What one committed batch did."""

    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    acks: dict[str, int] = field(default_factory=dict)  # device -> upto after this batch
    resend: dict[str, tuple[int, int]] = field(default_factory=dict)  # device -> (from, broker's)


def store_batch(conn: Connection, items: list, now_ms: int) -> BatchOutcome:
    """Store a batch (call inside a transaction); identical repeats are ignored."""
    out = BatchOutcome()
    fresh, rejects = _deduplicate([i for i in items if isinstance(i, Incoming)], conn)
    rejects += [i for i in items if isinstance(i, Rejected)]
    out.duplicates = (
        sum(1 for i in items if isinstance(i, Incoming))
        - len(fresh)
        - sum(1 for r in rejects if r.kind == "conflict")
    )
    touched = {i.press.device for i in items if isinstance(i, Incoming)}
    _ensure_devices(conn, touched | _status_devices(items), now_ms)
    out.stored = _insert_presses(conn, fresh)
    _insert_rejects(conn, rejects)
    out.quarantined = len(rejects)
    for item in items:
        if isinstance(item, DeviceStatus):
            _apply_status(conn, item, now_ms)
        elif isinstance(item, DeviceHealth):
            _apply_health(conn, item, now_ms)
    out.acks = {device: advance_ack(conn, device) for device in sorted(touched)}
    for item in items:
        if isinstance(item, RetainedAck):
            _check_restore(conn, item, out)
    return out


def _check_restore(conn: Connection, item: RetainedAck, out: BatchOutcome) -> None:
    """Ask a device to resend when the broker remembers acking more than we hold."""
    ours = conn.execute(
        select(devices.c.acked_upto).where(devices.c.device == item.device)
    ).scalar()
    if ours is not None and item.upto > ours:
        out.resend[item.device] = (ours + 1, item.upto)
        out.acks[item.device] = ours


def _status_devices(items: list) -> set[str]:
    return {i.device for i in items if isinstance(i, DeviceStatus | DeviceHealth | RetainedAck)}


def _deduplicate(incoming: list[Incoming], conn: Connection) -> tuple[list[Incoming], list]:
    """Split presses into new ones and conflicts; identical repeats are dropped.

    Each copy is judged against what is stored, else against the batch's first copy, so a
    repeat of the stored press is a duplicate even beside a conflicting copy in the batch.
    """
    keys = {(i.press.device, i.press.seq) for i in incoming}
    stored = {k: parse_press(p) for k, p in _stored_payloads(conn, keys).items()}
    first: dict[tuple[str, int], Incoming] = {}
    conflicts: list[Rejected] = []
    for item in incoming:
        key = (item.press.device, item.press.seq)
        if key in stored:
            if stored[key] != item.press:
                conflicts.append(_conflict(item, "differs from the press already stored"))
        elif key not in first:
            first[key] = item
        elif first[key].press != item.press:
            conflicts.append(_conflict(item, "differs from another copy in the same batch"))
    return list(first.values()), conflicts


def _conflict(item: Incoming, why: str) -> Rejected:
    p = item.press
    return Rejected(item.message, "conflict", f"seq {p.seq} {why}", p.device, p.seq)


def _stored_payloads(conn: Connection, keys) -> dict[tuple[str, int], bytes]:
    by_device: dict[str, list[int]] = defaultdict(list)
    for device, seq in keys:
        by_device[device].append(seq)
    found = {}
    for device, seqs in by_device.items():
        rows = conn.execute(
            select(presses.c.seq, presses.c.payload).where(
                presses.c.device == device, presses.c.seq.between(min(seqs), max(seqs))
            )
        )
        wanted = set(seqs)
        found.update({(device, s): bytes(p) for s, p in rows if s in wanted})
    return found


def _insert_presses(conn: Connection, fresh: list[Incoming]) -> int:
    if not fresh:
        return 0
    anchor = _anchors_for(conn, fresh)
    rows = [_press_row(item, anchor.get((item.press.device, item.press.boot))) for item in fresh]
    sql, names = _compiled_insert(conn.dialect)
    # The hot path of ingest: hand the driver plain tuples (or dicts for named paramstyles),
    # skipping SQLAlchemy's per-row bind processing, which cost more than SQLite's insert.
    conn.exec_driver_sql(sql, [tuple(r[n] for n in names) for r in rows] if names else rows)
    return len(rows)


@functools.cache
def _compiled_insert(dialect) -> tuple[str, tuple[str, ...] | None]:
    """Return the dialect's INSERT … ON CONFLICT DO NOTHING and its positional order."""
    module = postgresql if dialect.name == "postgresql" else sqlite
    compiled = (
        module.insert(presses)
        .values({c.name: bindparam(c.name) for c in presses.columns if c.name != "id"})
        .on_conflict_do_nothing()
        .compile(dialect=dialect)
    )
    return str(compiled), tuple(compiled.positiontup) if compiled.positional else None


def _press_row(item: Incoming, anchor: tuple[float, int] | None) -> dict:
    p, m = item.press, item.message
    at_ms, redated = item.at_ms, False
    if anchor is not None and not p.synced:
        at_ms, redated = redate(anchor, p.mono), True
    return {
        "device": p.device, "seq": p.seq, "rating": p.rating, "reason": p.reason, "ts": p.ts,
        "at_ms": at_ms, "synced": p.synced, "redated": redated, "boot": p.boot, "mono": p.mono,
        "counter": p.counter, "official": p.official, "field": p.field, "dossier": p.dossier,
        "mode": p.mode, "received_ms": m.received_ms, "payload": m.payload, "sig": m.sig,
    }  # fmt: skip


def redate(anchor: tuple[float, int], mono: float) -> int:
    """Return the UTC ms of a press at mono, from a synced (mono, at_ms) of the same boot."""
    anchor_mono, anchor_ms = anchor
    return anchor_ms - round((anchor_mono - mono) * 1000)


def _anchors_for(conn: Connection, fresh: list[Incoming]) -> dict[tuple[str, str], tuple]:
    wanted = {(i.press.device, i.press.boot) for i in fresh if not i.press.synced}
    found = {}
    for device, boot in wanted:
        row = conn.execute(
            select(anchors.c.mono, anchors.c.at_ms).where(
                anchors.c.device == device, anchors.c.boot == boot
            )
        ).first()
        if row is not None:
            found[(device, boot)] = (row.mono, row.at_ms)
    return found


def _insert_rejects(conn: Connection, rejects: list[Rejected]) -> None:
    if rejects:
        conn.execute(quarantine.insert(), [_reject_row(r) for r in rejects])


def _reject_row(r: Rejected) -> dict:
    m = r.message
    return {
        "received_ms": m.received_ms, "topic": m.topic[:1024], "device": r.device, "seq": r.seq,
        "kind": r.kind, "reason": r.reason, "payload": m.payload, "sig": m.sig,
    }  # fmt: skip


def _ensure_devices(conn: Connection, names: set[str], now_ms: int) -> None:
    if not names:
        return
    rows = [{"device": d, "acked_upto": 0, "first_seen_ms": now_ms} for d in sorted(names)]
    conn.execute(_dialect(conn).insert(devices).on_conflict_do_nothing(), rows)
    conn.execute(
        update(devices).where(devices.c.device.in_(sorted(names))).values(last_seen_ms=now_ms)
    )


def _apply_status(conn: Connection, item: DeviceStatus, now_ms: int) -> None:
    s = item.status
    row = conn.execute(
        select(devices.c.state, devices.c.state_session).where(devices.c.device == item.device)
    ).first()
    if (
        s.state == "offline"
        and row.state_session is not None
        and (s.session or 0) < row.state_session
    ):
        return  # a Will from an older session arriving late: the device is back already
    if row.state == s.state and row.state_session == s.session:
        return
    conn.execute(
        update(devices)
        .where(devices.c.device == item.device)
        .values(state=s.state, state_session=s.session, state_since_ms=now_ms)
    )


def _apply_health(conn: Connection, item: DeviceHealth, now_ms: int) -> None:
    h = item.health
    conn.execute(
        update(devices)
        .where(devices.c.device == item.device)
        .values(health=json.dumps(h.to_dict(), ensure_ascii=False))
    )
    if h.anchor is not None:
        apply_anchor(conn, item.device, h.anchor.boot, h.anchor.mono, to_ms(_dt(h.anchor.ts)))


def _dt(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def apply_anchor(conn: Connection, device: str, boot: str, mono: float, at_ms: int) -> int:
    """Record a boot's first synced clock reading and re-date its unsynced presses."""
    key = and_(anchors.c.device == device, anchors.c.boot == boot)
    first = conn.execute(select(anchors.c.mono, anchors.c.at_ms).where(key)).first()
    if first is None:  # the first sync in a boot is the anchor; later ones agree within drift
        conn.execute(anchors.insert().values(device=device, boot=boot, mono=mono, at_ms=at_ms))
    else:
        mono, at_ms = first.mono, first.at_ms
    stale = and_(
        presses.c.device == device,
        presses.c.boot == boot,
        presses.c.synced.is_(False),
        presses.c.redated.is_(False),
    )
    at = bindparam("anchor_ms", at_ms) - ((bindparam("anchor_mono", mono) - presses.c.mono) * 1000)
    result = conn.execute(update(presses).where(stale).values(at_ms=at, redated=True))
    return result.rowcount


def advance_ack(conn: Connection, device: str) -> int:
    """Move the device's ack to the highest N with every seq 1..N stored; return N."""
    upto = conn.execute(select(devices.c.acked_upto).where(devices.c.device == device)).scalar_one()
    start = upto
    while True:
        seqs = (
            conn.execute(
                select(presses.c.seq)
                .where(presses.c.device == device, presses.c.seq > upto)
                .order_by(presses.c.seq)
                .limit(ACK_SCAN)
            )
            .scalars()
            .all()
        )
        run = _contiguous_run(upto, seqs)
        upto += run
        if run < ACK_SCAN:
            break
    if upto != start:
        conn.execute(update(devices).where(devices.c.device == device).values(acked_upto=upto))
    return upto


def _contiguous_run(upto: int, seqs: list[int]) -> int:
    run = 0
    for seq in seqs:
        if seq != upto + run + 1:
            break
        run += 1
    return run


def _dialect(conn: Connection):
    return postgresql if conn.dialect.name == "postgresql" else sqlite
