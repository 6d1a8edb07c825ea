"""The open half-month of every commune kept between reads: only the presses stored since added.

The province page reads again the communes a press arrived in, every second while kiosks press.
Each such row counts its open half-month (not closed, so never a rollup) from presses: at 20M a
commune's half is thousands of presses and its bursts' windows, 15–30 ms. What is counted of a
run of days only grows with presses: the counts per (mode, field, rating) and per (official,
rating) are sums, a press's being outside office hours is its own, and a burst window only
gains members. So the counts kept at a mark (every press up to an id, marks.py) plus the presses
stored since are exactly what counting again would find, and the candidates kept plus those the
new presses bring (flags.candidates_added: a few burst windows around each, read whole). A new anchor (presses
may have been re-dated), other ranges, offices or rules count everything again.

On PostgreSQL ids are handed out at insert, not at commit: the presses above the mark that the
snapshot already saw are remembered (`beyond`), so that none is added twice or missed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.reference import scope
from hailong.server.reporting import marks
from hailong.server.reporting.flags import FlagRules, candidates_added
from hailong.server.reporting.rollup import Gathered
from hailong.server.reporting.rollup_batch import MIXED, count_open
from hailong.server.storage.db import presses

MOST_ADDED = 2_000  # presses since the kept mark beyond which every row is counted again


@dataclass(frozen=True)
class OpenHalves:
    """Every row's open ranges as counted in one snapshot, never changed after (shared)."""

    key: tuple  # (ranges, rows' subtrees, rules, anchors) they were counted for
    mark: int  # every press up to this id is counted
    beyond: frozenset[int]  # ids above the mark the snapshot saw (counted where they belong)
    parts: Mapping[tuple[int, int, int], Gathered]  # (row, start, end) -> counted
    kiosks: Mapping[tuple[int, int], Mapping[str, int]]  # (start, end) -> kiosk -> row or MIXED


@dataclass
class Kept:
    """A holder of the open halves between reads (the province page keeps one per view)."""

    halves: OpenHalves | None = None
    last: str = ""  # how the last read went: "all" counted, or "since" the kept mark


def read_open(conn: Connection, kept: Kept | None, ranges, homes: Mapping[int, tuple[int, ...]],
              rules: FlagRules, mark: marks.Mark | None) -> dict:  # fmt: skip
    """Return {(row, start, end): Gathered} of `ranges` for every row in `homes` (this snapshot).

    From `kept` and the presses stored since when it holds, else counted (count_open); `kept`
    then holds the new state. `mark`: taken before this snapshot (marks.take; None: none kept).
    """
    key = (tuple(ranges), tuple(sorted(homes.items())), rules,
           None if mark is None else mark.anchors)  # fmt: skip
    held = None if kept is None else kept.halves
    found = None
    if held is not None and held.key == key and mark is not None:
        found = _since(conn, held, homes, rules, mark.press)
        kept.last = "since"
    if found is None:
        parts, kiosks = count_open(conn, ranges, homes, rules)
        beyond = ()
        if mark is not None and kept is not None:
            beyond = conn.execute(select(presses.c.id).where(presses.c.id > mark.press)).scalars()
        found = OpenHalves(key, 0 if mark is None else mark.press, frozenset(beyond), parts,
                           kiosks)  # fmt: skip
        if kept is not None:
            kept.last = "all"
    if kept is not None:
        kept.halves = found if mark is not None else None
    return dict(found.parts)


def _since(conn: Connection, held: OpenHalves, homes, rules: FlagRules,
           mark: int) -> OpenHalves | None:  # fmt: skip
    """Add the presses stored since `held` was counted (and seen now) to its parts.

    None when they are more than MOST_ADDED (the page was not read for a long while): their
    burst windows would make one long query; counting again is then as quick.
    """
    c, pad = presses.c, int(rules.burst_window_s * 1000)
    home = {member: row for row, subtree in homes.items() for member in subtree}
    rows = conn.execute(
        select(c.id, c.office_id, c.device, c.seq, c.rating, c.at_ms, c.counter, c.field,
               c.mode, c.official).where(c.id > held.mark)
    ).all()  # fmt: skip
    new = [r for r in rows if r.id not in held.beyond and r.office_id in home]
    if len(new) > MOST_ADDED:
        return None
    parts, kiosks = dict(held.parts), {}
    for (start, end), known in held.kiosks.items():
        seen, touched = dict(known), {}
        for r in new:
            if not start - pad <= r.at_ms < end + pad:
                continue
            row, was = home[r.office_id], seen.get(r.device)
            if was is not None and was != row:  # the kiosk moved: both rows counted alone
                for gone in (row, was):
                    parts.pop((gone, start, end), None)
                seen[r.device] = MIXED
                continue
            seen[r.device] = row
            touched.setdefault(row, set()).add(r.device)
        touched = {row: kiosks for row, kiosks in touched.items() if (row, start, end) in parts}
        kiosks[(start, end)] = seen
        if touched:
            _add(conn, parts, touched, new, homes, (start, end, rules))
    ids = held.beyond | {r.id for r in rows}
    return OpenHalves(held.key, mark, frozenset(i for i in ids if i > mark), parts, kiosks)


def _add(conn: Connection, parts: dict, touched: dict, added: list, homes, span: tuple) -> None:
    """Give the touched rows new parts: their counts and candidates with `added` (since)."""
    start, end, rules = span
    pad = int(rules.burst_window_s * 1000)
    row_of = {device: row for row, devices in touched.items() for device in devices}
    added = [r for r in added if r.device in row_of]
    with scope.counting_presses_of([m for row in touched for m in homes[row]]):
        candidates = candidates_added(conn, start, end, rules, pad, added)
    for row in touched:
        part = parts[(row, start, end)]
        parts[(row, start, end)] = Gathered(Counter(part.by_field), Counter(part.by_official),
                                            dict(part.candidates))  # fmt: skip
    for r in added:
        if start <= r.at_ms < end:
            part = parts[(row_of[r.device], start, end)]
            part.by_field[(r.mode, r.field, r.rating)] += 1
            if r.mode == "live" and r.official is not None:
                part.by_official[(r.official, r.rating)] += 1
    for key, candidate in candidates.items():
        parts[(row_of[key[0]], start, end)].candidates[key] = candidate
