"""The numbers behind the summary page and the board: the report's ReportData, plus what a
report has no table for (per counter, hour × weekday, quarantine by kind).

ReportData comes from report_data.build_report, unchanged: the page shows the report's
numbers, never its own version of them. The extras follow the report's rules (live presses,
corrections taken out) and are kept per closed half-month, like the report's rollups, while the
presses in it stay the same (same fingerprint).

A whole page's figures are kept too, until anything they depend on changes: the presses of the
period or of the previous one (fingerprints), corrections, reference data and dossier counts
(every change writes an audit row), remarks and quarantine. Office screens refresh the board
every minute; without this each refresh would recount the month.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from hailong.server.epoch import from_ms, now_ms, to_ms
from hailong.server.reference import scope
from hailong.server.reporting import queries as q
from hailong.server.reporting.data import ReportData, build_report, count_previous, vi_sort_key
from hailong.server.reporting.metrics import LevelStats, stats_from_counts
from hailong.server.reporting.periods import Period, custom
from hailong.server.reporting.reading import prepare
from hailong.server.reporting.rollup import halves
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.db import audit, corrections, counters, presses, quarantine, remarks
from hailong.server.storage.snapshot import snapshot

BUCKET_MS = 900_000  # quarter hours: every zone's offset is a whole number of them
NO_COUNTER = ""


@dataclass(frozen=True)
class CounterRow:
    """One counter's accepted ratings."""

    code: str  # NO_COUNTER for presses sent without a counter
    name: str
    stats: LevelStats


@dataclass(frozen=True)
class Figures:
    """Everything the summary page shows for one period."""

    data: ReportData
    counters: tuple[CounterRow, ...]
    heat: tuple[tuple[int, ...], ...]  # accepted ratings, 7 weekdays (Monday first) × 24 hours
    quarantine: dict[str, int]  # kind -> messages received in the period
    heat_max: int = 0

    @property
    def conflicts(self) -> int:
        """Return the presses refused because a different press had the same seq."""
        return self.quarantine.get("conflict", 0)


@dataclass(frozen=True)
class _Part:
    """The extras of a run of days: (counter, rating) counts and counts per quarter hour."""

    by_counter: Counter
    by_bucket: Counter


class FigureCache:
    """Figures per period, recomputed only when something they show has changed."""

    def __init__(self, max_pages: int = 32, max_halves: int = 2_000):
        self.lock = threading.Lock()
        self.pages: OrderedDict = OrderedDict()
        self.halves: OrderedDict = OrderedDict()
        # The previous period rarely changes while today's presses arrive: keep it apart.
        self.previous: OrderedDict = OrderedDict()
        self.max_pages, self.max_halves = max_pages, max_halves

    def figures(self, engine: Engine, period: Period, settings: ReportSettings,
                today: date) -> Figures:  # fmt: skip
        """Return the figures of a period, from the cache while they still hold."""
        key = (scope.office_id(), period, settings, today)  # each office its own pages
        with snapshot(engine) as conn:
            # Nothing at all changed: read from keys alone, before the fingerprints below (a
            # scan of the office's own presses of the period and the one before).
            mark = q.change_mark(conn)
            with self.lock:
                kept = self.pages.get(key)
            if kept is not None and kept[2] == mark:
                return kept[1]
            token = _token(conn, period, settings.zone)
            if kept is not None and kept[0] == token:
                self._keep(self.pages, key, (token, kept[1], mark), self.max_pages)
                return kept[1]
        prepare(engine, period, settings)  # a snapshot only reads rollups: store them first
        # One snapshot for the token and every figure, so that the parts add up to the whole.
        with snapshot(engine) as conn:
            mark = q.change_mark(conn)
            token = _token(conn, period, settings.zone)
            found = self._compute(conn, period, settings, today, token)
        self._keep(self.pages, key, (token, found, mark), self.max_pages)
        return found

    def clear(self) -> None:
        """Forget every kept page (the half-month extras stay, as rollups do)."""
        with self.lock:
            self.pages.clear()

    def _compute(self, conn: Connection, period: Period, settings: ReportSettings, today: date,
                 token: tuple) -> Figures:  # fmt: skip
        prints = dict(token[0])
        data = build_report(conn, period, settings, issued=today,
                            previous=self._previous(conn, period, settings, token))  # fmt: skip
        tz = settings.zone
        start_ms, end_ms = period.bounds_ms(tz)
        part = _Part(Counter(), Counter())
        for first, last, whole in halves(period.start, period.end):
            found = self._half(conn, first, last, whole, tz, prints.get(first))
            part.by_counter.update(found.by_counter)
            part.by_bucket.update(found.by_bucket)
        part = _take_out_excluded(part, q.excluded_ratings(conn, start_ms, end_ms))
        heat = _heat(part.by_bucket, tz)
        return Figures(data, _counter_rows(conn, part.by_counter), heat,
                       _quarantine(conn, start_ms, end_ms), max(max(row) for row in heat))  # fmt: skip

    def _previous(self, conn: Connection, period: Period, settings: ReportSettings, token: tuple):
        """Return the previous period's counts, kept while its presses and the marks hold."""
        key = (scope.office_id(), period, settings)
        with self.lock:
            kept = self.previous.get(key)
        if kept is not None and kept[0] == token[1:]:
            return kept[1]
        found = count_previous(conn, period, settings)
        self._keep(self.previous, key, (token[1:], found), self.max_pages)
        return found

    def _half(self, conn: Connection, first: date, last: date, whole: bool, tz: str,
              seen: tuple | None) -> _Part:  # fmt: skip
        """Return a half-month's extras, kept while its presses stay the same (`seen`)."""
        start_ms, end_ms = custom(first, last).bounds_ms(tz)
        if not whole or end_ms > now_ms() or seen is None:
            return _count(conn, start_ms, end_ms)
        key = (scope.office_id(), tz, first)
        with self.lock:
            kept = self.halves.get(key)
        if kept is not None and kept[0] == seen:
            return kept[1]
        part = _count(conn, start_ms, end_ms)
        self._keep(self.halves, key, (seen, part), self.max_halves)
        return part

    def _keep(self, store: OrderedDict, key, value, most: int) -> None:
        with self.lock:
            store[key] = value
            store.move_to_end(key)
            while len(store) > most:
                store.popitem(last=False)


def _token(conn: Connection, period: Period, tz: str) -> tuple:
    """Return what changes whenever the figures of `period` may change.

    The presses of each half-month of the period and of the previous one are fingerprinted
    apart, so that the extras of a half-month that did not change are reused.
    """
    marks = select(
        select(func.max(corrections.c.id)).scalar_subquery(),
        select(func.max(audit.c.id)).scalar_subquery(),
        select(func.max(quarantine.c.id)).scalar_subquery(),
        select(func.max(remarks.c.updated_ms)).scalar_subquery(),
        select(func.count()).select_from(remarks).scalar_subquery(),
    )
    return (
        _prints(conn, period, tz),
        _prints(conn, period.previous(), tz),
        tuple(conn.execute(marks).one()),
    )


def _prints(conn: Connection, period: Period, tz: str) -> tuple:
    """Return (first day, fingerprint) of each half-month (or part of one) in the period."""
    return tuple(
        (first, q.fingerprint(conn, *custom(first, last).bounds_ms(tz)))
        for first, last, _whole in halves(period.start, period.end)
    )


def _count(conn: Connection, start_ms: int, end_ms: int) -> _Part:
    """Count live presses per (counter, rating) and per quarter hour (exclusions come later)."""
    by_counter = q.live_counts(conn, start_ms, end_ms, presses.c.counter, presses.c.rating)
    bucket = (presses.c.at_ms // BUCKET_MS).label("bucket")
    by_bucket = q.live_counts(conn, start_ms, end_ms, bucket)
    return _Part(
        Counter({(c or NO_COUNTER, r): n for (c, r), n in by_counter.items()}),
        Counter({int(b): n for (b,), n in by_bucket.items()}),
    )


def _take_out_excluded(part: _Part, excluded) -> _Part:
    """Subtract the presses a correction excludes, as the report does."""
    by_counter = q.take_out_excluded(part.by_counter, excluded, _counter_key)
    return _Part(by_counter, q.take_out_excluded(part.by_bucket, excluded, _bucket_key))


def _counter_key(rating) -> tuple:
    """Return the (counter or NO_COUNTER, rating) key of a press, as _count groups."""
    return rating.counter or NO_COUNTER, rating.rating


def _bucket_key(rating) -> int:
    """Return the quarter hour a press falls in, counted from the epoch, as _count groups."""
    return to_ms(rating.at) // BUCKET_MS


def _heat(by_bucket: Counter, tz: str) -> tuple[tuple[int, ...], ...]:
    """Fold quarter-hour counts into local weekday × hour."""
    zone, matrix = ZoneInfo(tz), [[0] * 24 for _ in range(7)]
    for bucket, n in by_bucket.items():
        local = from_ms(bucket * BUCKET_MS, zone)
        matrix[local.weekday()][local.hour] += n
    return tuple(tuple(row) for row in matrix)


def _counter_rows(conn: Connection, by_counter: Counter) -> tuple[CounterRow, ...]:
    """Return one row per counter with ratings, named, in Vietnamese order; none last."""
    levels: dict[str, Counter] = {}
    for (code, rating), n in by_counter.items():
        if n:
            levels.setdefault(code, Counter())[rating] += n
    here = scope.visible(counters)
    names = dict(conn.execute(select(counters.c.code, counters.c.name).where(here)).all())
    names[NO_COUNTER] = ""
    order = sorted(levels, key=lambda c: (c == NO_COUNTER, vi_sort_key(names.get(c, c))))
    return tuple(CounterRow(c, names.get(c, c), stats_from_counts(levels[c])) for c in order)


def _quarantine(conn: Connection, start_ms: int, end_ms: int) -> dict[str, int]:
    """Count quarantined messages per kind received in the period, as the report counts them."""
    rows = conn.execute(
        select(quarantine.c.kind, func.count())
        .where(
            quarantine.c.received_ms >= start_ms,
            quarantine.c.received_ms < end_ms,
            scope.of_kiosks(quarantine.c.device),  # refused messages are their kiosk's office's
        )
        .group_by(quarantine.c.kind)
    )
    return {kind: n for kind, n in rows}
