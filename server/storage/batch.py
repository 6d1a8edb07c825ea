"""Write one batch of sorted messages in one transaction and say what each device may be acked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Connection

from hailong.protocol import parse_press
from hailong.server.epoch import to_ms
from hailong.server.ingest.intake import (
    DeviceHealth,
    DeviceStatus,
    Incoming,
    Rejected,
    RetainedAck,
)
from hailong.server.ingest.watermark import advance_after_batch, lock_devices
from hailong.server.reference.dossier_rule import exclude_repeats
from hailong.server.reference.dossier_rule import settle as settle_dossiers
from hailong.server.storage import press_lock
from hailong.server.storage.db import anchors, devices, presses
from hailong.server.storage.press_sql import insert_all, insert_presses, stored_payloads
from hailong.server.storage.quarantine import (
    DEFAULT_LIMITS,
    QuarantineLimits,
    quarantine_rejects,
)


@dataclass
class BatchOutcome:
    """What one committed batch did."""

    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    acks: dict[str, int] = field(default_factory=dict)  # device -> upto after this batch
    resend: dict[str, tuple[int, int]] = field(default_factory=dict)  # device -> (from, broker's)
    repeated_dossiers: int = 0  # stored but excluded: their dossier was rated before
    dropped: int = 0  # quarantined beyond a device's hourly allowance: counted, not stored


def store_batch(conn: Connection, items: list, now_ms: int,
                limits: QuarantineLimits = DEFAULT_LIMITS) -> BatchOutcome:  # fmt: skip
    """Store a batch (call inside a transaction); identical repeats are ignored."""
    out = BatchOutcome()
    incoming, rejects, others = [], [], []
    seqs: dict[str, set[int]] = {}  # device -> the seqs of its presses in the batch
    for item in items:  # one pass: a batch holds a thousand presses
        kind = type(item)
        if kind is Incoming:
            incoming.append(item)
            p = item.press
            if (mine := seqs.get(p.device)) is None:
                seqs[p.device] = mine = set()
            mine.add(p.seq)
        elif kind is Rejected:
            rejects.append(item)
        else:
            others.append(item)
    # First lock the devices' rows (server/watermark.py says why): from here on this batch
    # sees every press of these devices that any ingest instance has committed.
    held = lock_devices(conn, seqs.keys() | {i.device for i in others}, now_ms)
    fresh, conflicts, out.stored = _store_presses(conn, incoming)
    out.repeated_dossiers = exclude_repeats(
        conn,
        {(i.press.device, i.press.seq) for i in fresh},
        {i.press.dossier for i in fresh if i.press.dossier and i.press.mode == "live"},
    )
    out.duplicates = len(incoming) - out.stored - len(conflicts)
    rejects = conflicts + rejects
    out.dropped = quarantine_rejects(conn, rejects, limits)
    out.quarantined = len(rejects)
    for item in others:
        if isinstance(item, DeviceStatus):
            _apply_status(conn, item, now_ms)
        elif isinstance(item, DeviceHealth):
            _apply_health(conn, item, now_ms)
    # Every press of the batch has a stored copy now (ours, or the one it repeats or
    # conflicts with): the acks move over them without asking the database about them.
    out.acks = advance_after_batch(conn, held, seqs)
    for item in others:
        if isinstance(item, RetainedAck):
            _check_restore(conn, item, out)
    return out


def _store_presses(conn: Connection, incoming: list[Incoming]) -> tuple[list, list, int]:
    """Insert the batch's new presses; return them, the conflicts and how many went in.

    On PostgreSQL the batch's first copies are inserted all at once before anything is read:
    if none of their keys is stored (the unique index says so), judging against the stored
    copies could only have found the same, and the query for them is spared. Otherwise (a
    repeat after a reconnect, a copy stored by another writer) nothing went in, and the
    batch is judged against the stored copies first, as on SQLite, where asking costs little.
    """
    if not incoming:
        return [], [], 0
    if conn.dialect.name == "postgresql":
        first, conflicts = _judge(incoming, {})
        if insert_all(conn, _rows(conn, first)):
            return first, conflicts, len(first)
    fresh, conflicts = _deduplicate(incoming, conn)
    stored, raced = _insert_presses(conn, fresh)
    return fresh, conflicts + raced, stored


def _check_restore(conn: Connection, item: RetainedAck, out: BatchOutcome) -> None:
    """Ask a device to resend when the broker remembers acking more than we hold."""
    ours = conn.execute(
        select(devices.c.acked_upto).where(devices.c.device == item.device)
    ).scalar()
    if ours is not None and item.upto > ours:
        out.resend[item.device] = (ours + 1, item.upto)
    if ours is not None and item.upto != ours:
        # Also when it is behind us: an instance killed between its commit and its publish.
        out.acks[item.device] = ours


def _deduplicate(incoming: list[Incoming], conn: Connection) -> tuple[list[Incoming], list]:
    """Split presses into new ones and conflicts; identical repeats are dropped.

    Each copy is judged against what is stored, else against the batch's first copy, so a
    repeat of the stored press is a duplicate even beside a conflicting copy in the batch.
    """
    keys = {(i.press.device, i.press.seq) for i in incoming}
    return _judge(incoming, {k: parse_press(p) for k, p in stored_payloads(conn, keys).items()})


def _judge(incoming: list[Incoming], stored: dict) -> tuple[list[Incoming], list[Rejected]]:
    """Return each key's first copy not stored, and the copies differing from stored or first."""
    first: dict[tuple[str, int], Incoming] = {}
    conflicts: list[Rejected] = []
    for item in incoming:
        key = (item.press.device, item.press.seq)
        if key in stored:
            if stored[key] != item.press:
                conflicts.append(_conflict(item, "differs from the press already stored"))
        elif (seen := first.setdefault(key, item)) is not item and seen.press != item.press:
            conflicts.append(_conflict(item, "differs from another copy in the same batch"))
    return list(first.values()), conflicts


def _conflict(item: Incoming, why: str) -> Rejected:
    p = item.press
    return Rejected(item.message, "conflict", f"seq {p.seq} {why}", p.device, p.seq)


def _insert_presses(conn: Connection, fresh: list[Incoming]) -> tuple[int, list[Rejected]]:
    """Insert new presses; return how many went in and the conflicts lost in a race."""
    if not fresh:
        return 0, []
    rows = _rows(conn, fresh)
    inserted = insert_presses(conn, rows)
    if inserted == len(rows):
        return inserted, []
    # Another writer stored some of these (device, seq) first and ON CONFLICT skipped ours.
    # store_batch's lock rules that out between ingest instances, not for every writer.
    return inserted, _lost_races(conn, fresh)


def _lost_races(conn: Connection, fresh: list[Incoming]) -> list[Rejected]:
    """Return the presses whose stored copy (ours or a racing writer's) differs from them."""
    stored = stored_payloads(conn, {(i.press.device, i.press.seq) for i in fresh})
    return [
        _conflict(item, "differs from a copy stored at the same moment")
        for item in fresh
        if (payload := stored[(item.press.device, item.press.seq)]) != item.message.payload
        and parse_press(payload) != item.press
    ]


def _rows(conn: Connection, fresh: list[Incoming]) -> list[tuple]:
    """Return the row tuples of presses to insert, re-dated where their boot has an anchor."""
    anchor = _anchors_for(conn, fresh)
    office = _offices_of(conn, {item.press.device for item in fresh})
    flag = _SQLITE_FLAGS if conn.dialect.name == "sqlite" else _FLAGS
    return [
        _press_row(
            item, anchor.get((item.press.device, item.press.boot)), office[item.press.device], flag
        )
        for item in fresh
    ]


def _offices_of(conn: Connection, names: set[str]) -> dict[str, int]:
    """Return each device's office (lock_devices made every row): its presses carry it.

    Takes the presses' writers' lock first: the ids this batch inserts are not a mark until it
    commits (storage/press_lock.py).
    """
    press_lock.share(conn)
    rows = conn.execute(select(devices.c.device, devices.c.office_id)
                        .where(devices.c.device.in_(sorted(names))))  # fmt: skip
    return dict(rows.all())


# The booleans as each driver takes them best: sqlite3 binds an exact int at once but sends a
# bool through its adapter lookup first (~0.17 µs, twice a row), and stores 0/1 either way;
# PostgreSQL's binary COPY wants the booleans themselves.
_FLAGS = (False, True)
_SQLITE_FLAGS = (0, 1)


def _press_row(item: Incoming, anchor: tuple[float, int] | None, office: int,
               flag: tuple = _FLAGS) -> tuple:  # fmt: skip
    """Return a press's values in press_sql.INSERTED's order."""
    p, m = item.press, item.message
    at_ms, redated = item.at_ms, flag[0]
    if anchor is not None and not p.synced:
        at_ms, redated = redate(anchor, p.mono), flag[1]
    return (
        p.device, p.seq, p.rating, p.reason, p.ts, at_ms, flag[p.synced], redated, p.boot, float(p.mono),
        p.counter, p.official, p.field, p.dossier, p.mode, m.received_ms, m.payload, m.sig,
        office,
    )  # fmt: skip


def redate(anchor: tuple[float, int], mono: float) -> int:
    """Return the UTC ms of a press at mono, from a synced (mono, at_ms) of the same boot.

    The one re-dating rule, for presses stored after their anchor and before it (apply_anchor):
    whole milliseconds, rounded, so both paths store the same integer on every database.
    """
    anchor_mono, anchor_ms = anchor
    return int(anchor_ms) - round((anchor_mono - mono) * 1000)


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


def _apply_status(conn: Connection, item: DeviceStatus, now_ms: int) -> None:
    s = item.status
    row = conn.execute(
        select(devices.c.state, devices.c.state_session).where(devices.c.device == item.device)
    ).first()
    if _stale(s.state, s.session, row.state, row.state_session):
        return
    if row.state == s.state and row.state_session == s.session:
        return
    conn.execute(
        update(devices)
        .where(devices.c.device == item.device)
        .values(state=s.state, state_session=s.session, state_since_ms=now_ms)
    )


def _stale(state: str, session: int | None, held: str | None, held_session: int | None) -> bool:
    """Tell whether a status arrived after a newer one of the same device was applied."""
    if state == "offline" and held_session is not None and (session or 0) < held_session:
        return True  # a Will from an older session arriving late: the device is back already
    # A session's Will follows its birth; both may reach two ingest instances in either order.
    same = session is not None and session == held_session
    return same and state == "online" and held == "offline"


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
    # Re-dated here by redate itself, not by SQL arithmetic: one rounding, integer at_ms.
    found = conn.execute(select(presses.c.id, presses.c.mono, presses.c.dossier).where(stale)).all()
    if found:
        moved = [{"press_id": r.id, "moved_ms": redate((mono, at_ms), r.mono)} for r in found]
        conn.execute(
            update(presses)
            .where(presses.c.id == bindparam("press_id"))
            .values(at_ms=bindparam("moved_ms"), redated=True),
            moved,
        )
        # A re-dated press may now be its dossier's earliest rating, or no longer be it.
        settle_dossiers(conn, {r.dossier for r in found if r.dossier})
    return len(found)
