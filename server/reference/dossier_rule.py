"""One rating per dossier: the press pressed first counts, every other live rating of it is excluded.

Kiosks refuse a receipt they have seen, but two kiosks of one office could each take the same
one. "First" is the effective time (at_ms: the device's synced clock or the re-dated time; ties
by device, then seq), never the order of arrival: a kiosk that was offline for a day must not
change which rating counts. So when a press arrives (or is re-dated) earlier than the one
counted so far, the rule settles the dossier again: the earlier press counts and the other is
excluded. Presses are never edited or deleted; every change is an appended correction ("exclude"
or "include", the latest one of a press decides) with an audit row, and the report shows the
excluded presses among the filtered ones with this reason.

A press that staff excluded for another reason (a technician's test) does not count as the
dossier's rating. Two ratings of one dossier on different counters within the same minute are
not settled by the rule: a kiosk could send another counter's receipt code to knock out the
real rating, so both stay counted and reporting/flags shows them for staff to decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.reference.audit import record
from hailong.server.reporting.queries import counted, live, press_counter
from hailong.server.storage.db import corrections, presses

REASON = "hồ sơ đã được đánh giá trước đó"  # the dossier was rated before
# The dossier's earliest rating, which arrived (or was re-dated) after another was counted.
RESTORED = "lượt đánh giá sớm nhất của hồ sơ (đến sau)"
ACTOR = "collector"
COLLISION_MS = 60_000  # another counter's rating of the dossier this close is flagged, not excluded


@dataclass(frozen=True)
class Rated:
    """One live press of a dossier, with what its latest correction says."""

    device: str
    seq: int
    at_ms: int
    counter: str | None
    action: str | None  # the latest correction's action: None, "exclude" or "include"
    reason: str | None  # its reason

    @property
    def key(self) -> tuple[int, str, int]:
        """Order by effective time, then device, then seq."""
        return self.at_ms, self.device, self.seq

    @property
    def set_aside(self) -> bool:
        """Say whether staff excluded it for a reason of their own (it cannot be the rating)."""
        return self.action == "exclude" and self.reason not in (REASON, None)


def exclude_repeats(conn: Connection, fresh_keys: set[tuple[str, int]], codes: set[str]) -> int:
    """Settle the dossiers a batch touched; return the presses newly excluded (fresh or not)."""
    del fresh_keys  # every press of a touched dossier is settled again, not only the fresh ones
    return settle(conn, codes)


def settle(conn: Connection, codes: Iterable[str]) -> int:
    """Let each dossier's earliest press count and exclude its others; return newly excluded."""
    by_code: dict[str, list[Rated]] = {}
    for code, rated in _rated(conn, sorted(set(codes))):
        by_code.setdefault(code, []).append(rated)
    at, excluded = now_ms(), 0
    for code, found in by_code.items():
        for rated, action in _changes(found):
            _append(conn, code, rated, action, min(found, key=lambda r: r.key), at)
            excluded += action == "exclude"
    return excluded


def first_and_repeats(found: list[Rated]) -> tuple[Rated | None, list[Rated]]:
    """Return the dossier's counted rating and the ones the rule excludes (collisions kept)."""
    candidates = sorted((r for r in found if not r.set_aside), key=lambda r: r.key)
    if not candidates:
        return None, []
    first = candidates[0]
    repeats = [r for r in candidates[1:] if not collides(first, r)]
    return first, repeats


def collisions(conn: Connection, start_ms: int, end_ms: int) -> set[tuple[str, int]]:
    """Return (device, seq) of the presses in the range kept despite a repeat: collisions."""
    rated = select(presses.c.dossier).where(
        counted(start_ms, end_ms), presses.c.dossier.is_not(None)
    )
    by_code: dict[str, list[Rated]] = {}
    for code, found in _rated(conn, sorted(set(conn.execute(rated).scalars()))):
        by_code.setdefault(code, []).append(found)
    kept = set()
    for found in by_code.values():
        first, _repeats = first_and_repeats(found)
        for r in found:
            if first and not r.set_aside and collides(first, r) and start_ms <= r.at_ms < end_ms:
                kept.add((r.device, r.seq))
    return kept


def collides(first: Rated, later: Rated) -> bool:
    """Say whether a later rating came from another counter within the same minute."""
    return first.counter != later.counter and later.at_ms - first.at_ms < COLLISION_MS


def _changes(found: list[Rated]) -> list[tuple[Rated, str]]:
    """Return the corrections that bring a dossier's presses to the rule's verdict."""
    first, repeats = first_and_repeats(found)
    if first is None:
        return []
    out = [(r, "exclude") for r in repeats if r.action != "exclude"]
    kept = [r for r in found if r not in repeats and not r.set_aside]
    return out + [(r, "include") for r in kept if r.action == "exclude"]


def _append(conn: Connection, code: str, rated: Rated, action: str, first: Rated, at: int):
    """Append one correction and its audit row: the press itself is never touched."""
    reason = REASON if action == "exclude" else RESTORED
    row = {"device": rated.device, "seq": rated.seq, "action": action, "reason": reason}
    conn.execute(corrections.insert().values(**row, actor=ACTOR, at_ms=at))
    after = {**row, "dossier": code, "first": f"{first.device}/{first.seq}"}
    record(conn, ACTOR, action, "press", f"{rated.device}/{rated.seq}", None, after, at)


def _rated(conn: Connection, codes: list[str]) -> list[tuple[str, Rated]]:
    """Return the live presses of these dossiers with their latest correction, if any."""
    if not codes:
        return []
    mine = corrections.alias("mine")
    latest = (
        select(func.max(mine.c.id))
        .where(mine.c.device == presses.c.device, mine.c.seq == presses.c.seq)
        .correlate(presses)
        .scalar_subquery()
    )
    query = (
        select(presses.c.dossier, presses.c.device, presses.c.seq, presses.c.at_ms,
               press_counter().label("counter"), corrections.c.action, corrections.c.reason)
        .select_from(presses.outerjoin(corrections, corrections.c.id == latest))
        .where(presses.c.dossier.in_(codes), live())
    )  # fmt: skip
    return [(row[0], Rated(*row[1:])) for row in conn.execute(query)]
