"""Read the raw tables (SELECT * only) and derive each press's effective time, counter, exclusion.

Nothing here shares SQL or code with the product: the rules are the domain's, written again.
- effective time: a synced press's own ts; an unsynced one re-dated from its boot's first
  anchor (anchor time − (anchor mono − press mono), to the nearest millisecond); else its ts.
- counter: the kiosk's placement by staff at the press's effective time ([start, end); the latest
  start, then the latest row, wins), else the counter the press sent.
- excluded: staff's latest marking, else the dossier rule (the earliest live rating of a
  dossier by effective time, ties by device then seq, counts; a later one on another counter
  within a minute is kept and flagged as a collision; presses staff marked never count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from hailong.server.storage.schema import (
    anchors,
    corrections,
    device_placements,
    dossier_counts,
    duty,
    fields,
    officials,
    presses,
    published,
)

REPEAT = "hồ sơ đã được đánh giá trước đó"  # the product's wording of the dossier rule's reason
RULE_ACTOR = "collector"
COLLISION_MS = 60_000


@dataclass
class Row:
    """One stored press and what the reference derives for it."""

    device: str
    seq: int
    rating: int
    mode: str
    field: str | None
    sent_official: str | None
    counter: str | None
    dossier: str | None
    at_ms: int  # effective time, as the reference computes it
    stored_ms: int  # at_ms as the product stored it
    received_ms: int  # when the collector received it
    excluded: str | None = None  # why it is not counted
    collision: bool = False


@dataclass(frozen=True)
class Raw:
    """The whole database as the reference reads it."""

    rows: list[Row]
    duty: list[tuple]  # (id, counter, official, start_ms, end_ms)
    dossiers: dict[str, dict[str, int]]  # field -> month -> resolved
    fields: dict[str, tuple[str, bool]]  # code -> (name, active)
    officials: dict[str, str]
    published: dict[tuple[str, str], tuple[str, str, int]]  # (label, convention) -> (kind, day, ms)


def read(conn) -> Raw:
    """Read every table the figures come from and settle each press."""
    anchor = {(r.device, r.boot): (r.mono, r.at_ms) for r in _all(conn, anchors)}
    placed = [
        (r.id, r.device, r.counter, r.start_ms, r.end_ms) for r in _all(conn, device_placements)
    ]
    rows = [_row(p, anchor, placed) for p in _all(conn, presses)]
    _exclude(rows, _all(conn, corrections))
    entered: dict[str, dict[str, int]] = {}
    for r in _all(conn, dossier_counts):
        entered.setdefault(r.field, {})[r.month] = int(r.resolved)
    duties = [(r.id, r.counter, r.official, r.start_ms, r.end_ms) for r in _all(conn, duty)]
    shown = {(r.period, r.convention): (r.kind, r.published_on, r.published_ms)
             for r in _all(conn, published)}  # fmt: skip
    return Raw(rows, duties, entered, {r.code: (r.name, bool(r.active)) for r in _all(conn, fields)},
               {r.code: r.name for r in _all(conn, officials)}, shown)  # fmt: skip


def _all(conn, table) -> list:
    """Return every row of a table."""
    return conn.execute(select(table)).all()


def _row(p, anchor: dict, placed: list) -> Row:
    """Derive one press's effective time and counter."""
    at = int(datetime.fromisoformat(p.ts).timestamp() * 1000)
    if not p.synced and (p.device, p.boot) in anchor:
        mono, at_ms = anchor[(p.device, p.boot)]
        seconds = Decimal(repr(mono)) - Decimal(repr(p.mono))
        at = int(at_ms) - int((seconds * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    counter = _placed_at(placed, p.device, at) or p.counter
    return Row(p.device, p.seq, p.rating, p.mode, p.field, p.official, counter, p.dossier, at,
               p.at_ms, p.received_ms)  # fmt: skip


def _placed_at(placed: list, device: str, at_ms: int) -> str | None:
    """Return the counter a kiosk stood at at an instant, or None."""
    standing = [p for p in placed
                if p[1] == device and p[3] <= at_ms and (p[4] is None or at_ms < p[4])]  # fmt: skip
    return max(standing, key=lambda p: (p[3], p[0]))[2] if standing else None


def _exclude(rows: list[Row], marks: list) -> None:
    """Apply staff's markings, then one rating per dossier."""
    by_key = {(r.device, r.seq): r for r in rows}
    for mark in sorted(marks, key=lambda m: m.id):
        if mark.actor != RULE_ACTOR and (mark.device, mark.seq) in by_key:
            by_key[(mark.device, mark.seq)].excluded = (
                mark.reason if mark.action == "exclude" else None
            )
    rated: dict[str, list[Row]] = {}
    for r in rows:
        if r.dossier and r.mode == "live" and r.excluded is None:
            rated.setdefault(r.dossier, []).append(r)
    for found in rated.values():
        found.sort(key=lambda r: (r.at_ms, r.device, r.seq))
        first = found[0]
        for later in found[1:]:
            if later.counter != first.counter and later.at_ms - first.at_ms < COLLISION_MS:
                later.collision = True
            else:
                later.excluded = REPEAT
