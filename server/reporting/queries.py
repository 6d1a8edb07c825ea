"""The SQL behind a report: counts grouped in the database, and the few presses fetched one by one.

This module is the one home of "which presses count": a press counts when it is live (not a
test press) and no correction excludes it (a technician's test marked by staff, or a repeat
rating of a dossier). `counted` is the SQL condition of the first half, `excluded_ratings`
the second, and `accepted_counts` both at once: the summary command, the report, the pages
and the API all count through them.

Every query over presses is a range on `at_ms` under a list of offices that the covering index
`ix_presses_report` (office_id, at_ms, …) answers without reading the wide rows: an office's
period is one range of it, whatever the province holds.
Presses are fetched individually only where a rule needs them: exclusions (the corrections
table, small) and the candidates for the out-of-hours and burst flags (flags.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from hailong.server.epoch import from_ms
from hailong.server.reference import scope
from hailong.server.reference.duty import on_duty
from hailong.server.reference.placements import placed_at
from hailong.server.reporting.metrics import Rating
from hailong.server.storage.db import (
    anchors,
    audit,
    corrections,
    dossier_counts,
    fields,
    officials,
    presses,
    quarantine,
    remarks,
)
from hailong.server.storage.schema import quarantine_hours


def in_range(start_ms: int, end_ms: int):
    """Return the condition "pressed in [start_ms, end_ms) by a kiosk of the office acted for".

    The office is reference/scope.py's (its subtree); with one office every press is its own.
    """
    return and_(presses.c.at_ms >= start_ms, presses.c.at_ms < end_ms, scope.scoped_presses())


def live():
    """Return the condition "a live press": test presses never count as ratings."""
    return presses.c.mode == "live"


def counted(start_ms: int, end_ms: int):
    """Return the condition "a live press in [start_ms, end_ms)"; exclusions come on top."""
    return and_(in_range(start_ms, end_ms), live())


def live_counts(conn: Connection, start_ms: int, end_ms: int, *groups) -> Counter:
    """Count live presses in the range per value of the `groups` expressions (keys are tuples)."""
    rows = conn.execute(
        select(*groups, func.count()).where(counted(start_ms, end_ms)).group_by(*groups)
    )
    return Counter({tuple(row[:-1]): row[-1] for row in rows})


def take_out_excluded(
    counts: Mapping[tuple, int], excluded: Iterable[Rating], key: Callable[[Rating], tuple]
) -> Counter:
    """Subtract the excluded presses from grouped counts (keyed as `key` says); drop empty groups."""
    result = Counter(counts)
    result.subtract(key(rating) for rating in excluded)
    return Counter({k: n for k, n in result.items() if n})


def accepted_counts(conn: Connection, start_ms: int, end_ms: int, *names: str) -> Counter:
    """Count the presses that count in the range, grouped by press columns named as in Rating.

    `names` are among device, counter, field and rating: columns a press carries as sent (the
    attributed official is not one of them; see counts_by_duty).
    """
    counts = live_counts(conn, start_ms, end_ms, *(presses.c[name] for name in names))
    excluded = excluded_ratings(conn, start_ms, end_ms)
    return take_out_excluded(counts, excluded, lambda r: tuple(getattr(r, n) for n in names))


def press_counter():
    """Return the counter a press is from: its kiosk's placement at its time, else the one it sent.

    The placement is what staff set (placements.move), so a kiosk cannot claim another counter,
    and moving it later never re-attributes what it took before; a kiosk not placed at that
    time falls back to its own setting.
    """
    return func.coalesce(placed_at(presses.c.device, presses.c.at_ms), presses.c.counter)


def rostered_official():
    """Return the official the roster puts on duty at the press's own counter at its time.

    With several offices the counter is looked up in the press's kiosk's office only: a kiosk
    of one office naming another's counter code is never credited to that office's roster.
    """
    office = scope.device_office(presses.c.device) if scope.several() else None
    return on_duty(press_counter(), presses.c.at_ms, office)


def attributed_official():
    """Return whom a press is counted for: the roster's official, else the official it sent.

    A press never names whom it is counted for while the roster has someone on duty at its
    kiosk's counter (that is also the official the kiosk's Config shows); a press that names
    another is flagged (official_mismatches). Without a roster the kiosk's own setting is used.
    """
    return func.coalesce(rostered_official(), presses.c.official)


def mismatched():
    """Return the condition "the press names an official other than the roster's"."""
    rostered = rostered_official()
    return and_(
        presses.c.official.is_not(None), rostered.is_not(None), presses.c.official != rostered
    )


def official_mismatches(conn: Connection, start_ms: int, end_ms: int) -> set[tuple[str, int]]:
    """Return (device, seq) of the live presses in the range that name another official."""
    query = select(presses.c.device, presses.c.seq).where(counted(start_ms, end_ms), mismatched())
    return {(device, seq) for device, seq in conn.execute(query)}


def counts_by_field(conn: Connection, start_ms: int, end_ms: int) -> dict[tuple, int]:
    """Count presses per (mode, field, rating) in the range, excluded ones included."""
    rows = conn.execute(
        select(presses.c.mode, presses.c.field, presses.c.rating, func.count())
        .where(in_range(start_ms, end_ms))
        .group_by(presses.c.mode, presses.c.field, presses.c.rating)
    )
    return {(mode, field, rating): n for mode, field, rating, n in rows}


def counts_by_sent_official(conn: Connection, start_ms: int, end_ms: int) -> dict[tuple, int]:
    """Count live presses that name their official, per (official, rating)."""
    rows = conn.execute(
        select(presses.c.official, presses.c.rating, func.count())
        .where(counted(start_ms, end_ms), presses.c.official.is_not(None))
        .group_by(presses.c.official, presses.c.rating)
    )
    return {(name, rating): n for name, rating, n in rows}


def counts_by_duty(conn: Connection, start_ms: int, end_ms: int) -> dict[tuple, int]:
    """Count live presses per (attributed official or None, rating): the roster decides."""
    official = attributed_official().label("official")
    rows = conn.execute(
        select(official, presses.c.rating, func.count())
        .where(counted(start_ms, end_ms))
        .group_by(official, presses.c.rating)
    )
    return {(name, rating): n for name, rating, n in rows}


# (office id, start_ms, end_ms) -> fingerprint, read for every office at once (fingerprints_of).
_known: ContextVar[Mapping | None] = ContextVar("hailong_fingerprints", default=None)


@contextmanager
def known_fingerprints(known: Mapping) -> Iterator[None]:
    """Answer fingerprint() from `known` inside the block, for the ranges and offices it holds.

    Only for fingerprints read in the same snapshot as the block's reads, or before rollups are
    stored (a stale one there only makes a rollup be counted again at its next use).
    """
    token = _known.set(known)
    try:
        yield
    finally:
        _known.reset(token)


def fingerprint(conn: Connection, start_ms: int, end_ms: int) -> tuple[int, int, int]:
    """Return (count, sum of seq, sum of offsets) of the presses in a range: changes when they do.

    Presses are only ever added or re-dated (moved in time), so a different set of presses in
    the range shows in the count or the sums; all three come from the covering index alone.
    """
    known = _known.get()
    if known is not None:
        found = known.get((scope.office_id(), start_ms, end_ms))
        if found is not None:
            return found
    found = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(presses.c.seq), 0),
            func.coalesce(func.sum(presses.c.at_ms - start_ms), 0),
        ).where(in_range(start_ms, end_ms))
    ).one()
    return int(found[0]), int(found[1]), int(found[2])


def fingerprints_of(conn: Connection, ranges: Iterable[tuple[int, int]],
                    homes: Mapping[int, int]) -> dict[tuple[int, int, int], tuple[int, int, int]]:  # fmt: skip
    """Return fingerprint() of each range for every office in `homes`' values, one query a range.

    `homes` maps an office id to the office whose subtree counts it (a site to its commune):
    the same presses fingerprint() finds acting for that office, grouped instead of filtered.
    """
    found: dict = {}
    for start_ms, end_ms in ranges:
        sums: dict[int, list[int]] = {home: [0, 0, 0] for home in set(homes.values())}
        rows = conn.execute(
            select(presses.c.office_id, func.count(), func.coalesce(func.sum(presses.c.seq), 0),
                   func.coalesce(func.sum(presses.c.at_ms - start_ms), 0))
            .where(presses.c.office_id.in_(sorted(homes)), presses.c.at_ms >= start_ms,
                   presses.c.at_ms < end_ms)
            .group_by(presses.c.office_id)
        )  # fmt: skip
        for office, n, seq, offset in rows:
            home = homes.get(office)
            if home is not None:
                for i, value in enumerate((n, seq, offset)):
                    sums[home][i] += int(value)
        found.update({(home, start_ms, end_ms): tuple(v) for home, v in sums.items()})
    return found


def change_mark(conn: Connection) -> tuple:
    """Return what changes whenever any figure may change, read from keys alone (no scan).

    A press is only ever added (a new id) or re-dated, and a re-dating comes with a new anchor
    or a new press; every staff change (dossier counts, rosters, replies, offices, publications)
    writes an audit row; corrections, quarantine and remarks have their own marks.
    """
    found = (func.max(presses.c.id), func.count(anchors.c.device), func.max(corrections.c.id),
             func.max(audit.c.id), func.max(quarantine.c.id), func.max(remarks.c.updated_ms),
             func.count(remarks.c.period))  # fmt: skip
    return tuple(conn.execute(select(*(select(f).scalar_subquery() for f in found))).one())


def quarantined(conn: Connection, start_ms: int, end_ms: int) -> int:
    """Count the messages refused (never ratings) received in the range, stored or only counted.

    Beyond a kiosk's hourly allowance rejects are counted per hour, not stored (storage/
    quarantine.py): they are added by the hours that start in the range. A refused message
    belongs to the office of the kiosk it names (scope.of_kiosks); naming none known, the root's.
    """
    stored = conn.execute(
        select(func.count()).where(
            quarantine.c.received_ms >= start_ms, quarantine.c.received_ms < end_ms,
            scope.of_kiosks(quarantine.c.device),
        )
    ).scalar_one()  # fmt: skip
    dropped = conn.execute(
        select(func.coalesce(func.sum(quarantine_hours.c.dropped), 0)).where(
            quarantine_hours.c.hour_ms >= start_ms, quarantine_hours.c.hour_ms < end_ms,
            scope.of_kiosks(quarantine_hours.c.device),
        )
    ).scalar_one()  # fmt: skip
    return stored + int(dropped)


def excluded_ratings(conn: Connection, start_ms: int, end_ms: int) -> list[Rating]:
    """Return the live presses in the range whose latest correction excludes them, with why.

    Corrections are only appended: a later "include" (the dossier rule restoring the earliest
    rating of a dossier) undoes an earlier "exclude" without touching it.
    """
    latest = select(func.max(corrections.c.id)).group_by(corrections.c.device, corrections.c.seq)
    query = (
        press_columns(attributed_official())
        .add_columns(corrections.c.reason.label("why"))
        .join(
            corrections,
            and_(corrections.c.device == presses.c.device, corrections.c.seq == presses.c.seq),
        )
        .where(
            counted(start_ms, end_ms),
            corrections.c.id.in_(latest),
            corrections.c.action == "exclude",
        )
    )
    return [to_rating(row, excluded=row.why) for row in conn.execute(query)]


def dossier_entries(conn: Connection, months: Sequence[str]) -> dict[str, dict[str, int]]:
    """Return field -> {YYYY-MM: resolved} for the counts entered in the given months."""
    rows = conn.execute(
        select(dossier_counts.c.field, dossier_counts.c.month, dossier_counts.c.resolved).where(
            dossier_counts.c.month.in_(list(months)), scope.visible(dossier_counts)
        )
    )
    entries: dict[str, dict[str, int]] = {}
    for field, month, resolved in rows:  # a subtree's offices add up
        per_month = entries.setdefault(field, {})
        per_month[month] = per_month.get(month, 0) + int(resolved)
    return entries


def field_list(conn: Connection) -> dict[str, tuple[str, bool]]:
    """Return code -> (name, active) for every field."""
    rows = conn.execute(select(fields.c.code, fields.c.name, fields.c.active))
    return {code: (name, bool(active)) for code, name, active in rows}


def official_names(conn: Connection, codes: Iterable[str]) -> dict[str, str]:
    """Return code -> name for the given officials that are on record."""
    wanted = list(codes)
    if not wanted:
        return {}
    rows = conn.execute(
        select(officials.c.code, officials.c.name).where(
            officials.c.code.in_(wanted), scope.visible(officials)
        )
    )
    return dict(rows.all())


def remarks_text(conn: Connection, label: str) -> str:
    """Return the staff's remarks for a period label, or "" when none were written."""
    here = scope.owned(remarks)
    found = conn.execute(select(remarks.c.text).where(remarks.c.period == label, here)).scalar()
    return found or ""


def press_columns(official=presses.c.official):
    """Select what a Rating needs, in to_rating's order; `official` as sent unless told.

    Every column is in the covering index, so no wide row is read; the follow-up reason is
    left out because no screening rule looks at it.
    """
    return select(
        presses.c.device,
        presses.c.seq,
        presses.c.rating,
        presses.c.at_ms,
        presses.c.counter,
        presses.c.field,
        presses.c.mode,
        official.label("official"),
    )


def to_rating(row: Sequence, excluded: str | None = None) -> Rating:
    """Turn a fetched press (press_columns' order) into the Rating that metrics judges."""
    device, seq, rating, at_ms, counter, field, mode, official = row[:8]
    return Rating(
        device, seq, rating, None, from_ms(at_ms), official, counter, field, mode, excluded
    )
