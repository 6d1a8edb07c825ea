"""Assemble the numbers of one report: counted in SQL, judged by metrics and fairness.

A report counts live presses that no correction excludes ("accepted"); test presses and
excluded ones are shown as filtered, with their reasons. Resolved dossiers are entered per
field and calendar month (YYYY-MM); a period takes the months given by `dossier_months`.
A little over ~300 lines: the report model's dataclasses and their one assembly stay together,
so that every table of every format reads one place; its parts live beside it (coverage,
reasons, late, queries).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from hailong.protocol.i18n import N_
from hailong.server.reference import scope
from hailong.server.reference.catalogue import office_field_codes
from hailong.server.reference.dossier_rule import collisions
from hailong.server.reference.replies import replies_of
from hailong.server.reporting import queries as q
from hailong.server.reporting.coverage import CoverageTotal, coverage_total, missing_months
from hailong.server.reporting.fairness import OfficialStats, rank_officials
from hailong.server.reporting.late import LateRow, late_arrivals
from hailong.server.reporting.metrics import (
    Coverage,
    LevelStats,
    Trend,
    accepted_and_filtered,
    compare,
    coverage_by_field,
    filtered_reasons,
    stats_from_counts,
)
from hailong.server.reporting.periods import Period
from hailong.server.reporting.reasons import Reasons, reason_table
from hailong.server.reporting.rollup import Gathered, gather
from hailong.server.reporting.settings import ReportSettings

NO_FIELD = ""  # the key of presses sent without a field
NO_FIELD_NAME = N_("Không ghi lĩnh vực")


@dataclass(frozen=True)
class Screening:
    """What was received and what was counted, with the reasons and flags."""

    raw: int  # presses stored in the period, test ones included
    accepted: int
    filtered: dict[str, int]  # "test" or "excluded: <reason>" -> presses
    quarantined: int  # messages refused at ingest, never ratings
    outside_hours: int  # accepted presses outside office hours (flagged, still counted)
    bursts: int  # accepted presses in bursts (flagged, still counted)
    complete: bool  # False when flag_limit cut the examination short: the flags are minimums
    official_mismatch: int = 0  # accepted presses naming another official than the roster's
    dossier_collisions: int = 0  # a dossier's later rating on another counter within a minute


@dataclass(frozen=True)
class FieldRow:
    """Table A: one field's ratings against its resolved dossiers."""

    code: str  # NO_FIELD for presses without a field
    name: str
    stats: LevelStats
    coverage: Coverage


@dataclass(frozen=True)
class OfficialRow:
    """Table B: one official's ratings, as fairness ranks them."""

    code: str
    name: str
    result: OfficialStats
    reply: str = ""  # the official's giải trình for the period, if written


@dataclass(frozen=True)
class ReportData:
    """Everything the XLSX, PDF and CSV of one period show, and nothing they compute."""

    period: Period
    previous: Period
    issued: date
    settings: ReportSettings
    totals: LevelStats
    trend: Trend
    screening: Screening
    previous_screening: Screening
    fields: tuple[FieldRow, ...]
    field_total: CoverageTotal  # the fields with dossier counts, as coverage.coverage_total says
    officials: tuple[OfficialRow, ...]
    unattributed: LevelStats  # accepted ratings that no official could be attributed to
    dossier_months: tuple[str, ...] = field(default=())
    remarks: str = ""
    late: tuple[LateRow, ...] = ()  # bổ sung: presses received after their period was published
    reasons: Reasons | None = None  # why not satisfied (table R); None while no kiosk asks


def build_report(
    conn: Connection,
    period: Period,
    settings: ReportSettings,
    issued: date | None = None,
    rollups: str | None = None,
    previous: PreviousPeriod | None = None,
) -> ReportData:
    """Read and assemble the report of `period`, issued on `issued` (today by default).

    On a connection outside any transaction the half-month rollups are refreshed and kept
    (each in its own short transaction); inside the caller's transaction they are only read.
    `rollups` ("store", "read" or "off") overrides that choice. `previous` may hand in the
    previous period's counts from count_previous (a page cache keeps them while they hold).
    """
    mode = rollups or _rollup_mode(conn)
    now = _count_period(conn, period, settings, mode, flags=True)
    earlier = previous or count_previous(conn, period, settings, mode)
    before = earlier.counted
    # Counted for the roster's official at the kiosk's own counter, not the one a press names.
    by_official = q.take_out_excluded(
        Counter(q.counts_by_duty(conn, *now.bounds)), now.excluded, _official_key
    )
    totals = _level_stats(now.by_field)
    months = dossier_months(period)
    fields, field_total = _field_rows(conn, now.by_field, months, settings.coverage_target)
    return ReportData(
        period=period,
        previous=before.period,
        issued=issued or datetime.now(ZoneInfo(settings.zone)).date(),
        settings=settings,
        totals=totals,
        trend=compare(totals, _level_stats(before.by_field)),
        screening=_screening(conn, now, settings),
        previous_screening=earlier.screening,
        fields=fields,
        field_total=field_total,
        officials=_official_rows(conn, by_official, settings.min_sample, replies_of(conn, period)),
        unattributed=_level_stats({k: n for k, n in by_official.items() if k[0] is None}),
        dossier_months=months,
        remarks=q.remarks_text(conn, period.label),
        late=late_arrivals(conn, period, settings.zone),
        reasons=reason_table(conn, now.bounds, now.excluded, vi_sort_key),
    )


def count_previous(conn, period: Period, settings: ReportSettings, rollups: str | None = None):
    """Count the period before `period` (what the trend and its screening compare against)."""
    mode = rollups or _rollup_mode(conn)
    before = _count_period(conn, period.previous(), settings, mode, flags=False)
    return PreviousPeriod(before, _screening(conn, before))


@dataclass(frozen=True)
class PreviousPeriod:
    """The previous period's counts and screening, as count_previous found them."""

    counted: _Counted
    screening: Screening


@dataclass(frozen=True)
class _Counted:
    """One period's counts as read, its exclusions, and its accepted counts per field."""

    period: Period
    bounds: tuple[int, int]  # [start, end) in UTC epoch ms
    gathered: Gathered
    excluded: list
    by_field: dict  # (field or NO_FIELD, rating) -> accepted presses


def _count_period(conn, period: Period, settings: ReportSettings, mode: str, flags: bool):
    """Count a period from rollups and presses, and take the excluded presses out."""
    bounds = period.bounds_ms(settings.zone)
    gathered = gather(
        conn, period.start, period.end, settings.flag_rules, flags=flags, rollups=mode
    )
    excluded = q.excluded_ratings(conn, *bounds)
    by_field = _live(q.take_out_excluded(gathered.by_field, excluded, _field_key))
    return _Counted(period, bounds, gathered, excluded, by_field)


def dossier_months(period: Period) -> tuple[str, ...]:
    """Return the YYYY-MM months whose dossier counts a period takes.

    Calendar and custom periods take every calendar month they touch (a custom range that
    starts or ends inside a month takes that whole month). Cut-off periods take the months
    they are named after: month 03 (15/02–14/03) takes 03, Quarter I (15/12–14/03) takes
    01–03, the year (15/12–14/12) takes 01–12; so consecutive periods never count a month
    twice and the months of a year add up to the year.
    """
    year, month = period.start.year, period.start.month
    if period.convention == "cutoff" and period.kind != "custom":
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    months = []
    while (year, month) <= (period.end.year, period.end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def vi_sort_key(text: str) -> tuple:
    """Sort Vietnamese names as a reader expects: base letters first, đ after d, then marks."""
    folded = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d\uffff")
    base = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return base, folded


def _field_key(row) -> tuple:
    """Return the (mode, field, rating) key of a press, as counts_by_field groups."""
    return row.mode, row.field, row.rating


def _official_key(row) -> tuple:
    """Return the (official, rating) key of a press, as counts_by_official groups."""
    return row.official, row.rating


def _live(counts: Mapping[tuple, int]) -> dict[tuple, int]:
    """Keep the live groups of (mode, field, rating) counts, keyed (field or NO_FIELD, rating)."""
    return {(f or NO_FIELD, r): n for (mode, f, r), n in counts.items() if mode == "live"}


def _level_stats(counts: Mapping[tuple, int]) -> LevelStats:
    """Sum grouped counts (keys ending in the rating) into one LevelStats."""
    levels = Counter()
    for key, n in counts.items():
        levels[key[-1]] += n
    return stats_from_counts(levels)


def _by_first(counts: Mapping[tuple, int]) -> dict:
    """Split (group, rating) counts into group -> LevelStats."""
    groups: dict = {}
    for (group, rating), n in counts.items():
        groups.setdefault(group, Counter())[rating] += n
    return {group: stats_from_counts(levels) for group, levels in groups.items()}


def _rollup_mode(conn: Connection) -> str:
    """Decide whether rollups may be written ("store") or only read (inside a transaction)."""
    if scope.own_only():  # rollups are keyed by the office: these would be its subtree's
        return "off"
    # The rollup tables come with the schema (migrate.py): a read never creates them.
    return "read" if conn.in_transaction() else "store"


def _screening(conn, counted: _Counted, settings: ReportSettings | None = None) -> Screening:
    """Count raw, accepted and filtered presses; flag odd hours and bursts when settings say how."""
    gathered, excluded = counted.gathered, counted.excluded
    raw = sum(gathered.by_field.values())
    tests = sum(n for (mode, _f, _r), n in gathered.by_field.items() if mode == "test")
    filtered = {"test": tests} if tests else {}
    # metrics names the reasons ("excluded: <why>"); the excluded presses are few.
    filtered.update(filtered_reasons(excluded))
    accepted = raw - sum(filtered.values())
    odd = bursts = 0
    complete = settings is not None
    if settings is not None:
        odd, bursts, complete = _flags(conn, counted, settings)
    held = q.quarantined(conn, *counted.bounds)
    marks = _attribution_flags(conn, counted) if settings is not None else (0, 0)
    return Screening(raw, accepted, filtered, held, odd, bursts, complete, *marks)


def _attribution_flags(conn, counted: _Counted) -> tuple[int, int]:
    """Count accepted presses naming another official, and dossier collisions (both still counted)."""
    out = {(r.device, r.seq) for r in counted.excluded}
    mismatched = q.official_mismatches(conn, *counted.bounds) - out
    return len(mismatched), len(collisions(conn, *counted.bounds) - out)


def _flags(conn, counted: _Counted, settings: ReportSettings) -> tuple[int, int, bool]:
    """Judge the flag candidates with metrics.accepted_and_filtered; cap them at flag_limit.

    The candidates reach a burst window beyond the period (flags.flag_candidates), so a burst
    across its border is judged whole; only the presses inside the period are counted.
    """
    (start, end), pad = counted.bounds, int(settings.burst_window_s * 1000)
    edges = q.excluded_ratings(conn, start - pad, start) + q.excluded_ratings(conn, end, end + pad)
    marks = {(r.device, r.seq): r.excluded for r in [*counted.excluded, *edges]}
    rows = sorted(counted.gathered.candidates.values(), key=lambda row: row[3])  # the cap: a prefix
    inside = {(row[0], row[1]) for row in rows if start <= row[3] < end}
    pool = [q.to_rating(row, marks.get((row[0], row[1]))) for row in rows[: settings.flag_limit]]
    judged = accepted_and_filtered(
        pool,
        office_hours=settings.hours,
        holidays=settings.holiday_dates,
        tz=settings.zone,
        burst_window_s=settings.burst_window_s,
        burst_max=settings.burst_max,
    )
    complete = len(rows) <= settings.flag_limit
    odd = sum((r.device, r.seq) in inside for r in judged.outside_hours)
    return odd, sum((r.device, r.seq) in inside for r in judged.bursts), complete


def _field_rows(
    conn, by_field, months, target: float
) -> tuple[tuple[FieldRow, ...], CoverageTotal]:
    """Build table A: every active field the office serves, and any field with ratings or dossiers."""
    known = q.field_list(conn)
    entries = q.dossier_entries(conn, months)
    resolved = {code: sum(found.values()) for code, found in entries.items()}
    rated = _by_first(by_field)
    # Of several offices, the province's catalogue is listed as far as the office serves it
    # (`field enable`), not every province field in every commune's report.
    served = set(office_field_codes(conn)) if scope.several() else None
    listed = {c for c, (_n, active) in known.items() if active and (served is None or c in served)}
    codes = listed | set(rated) | set(resolved)
    names = {c: known.get(c, (c, True))[0] for c in codes} | {NO_FIELD: NO_FIELD_NAME}
    order = sorted(codes, key=lambda c: (c == NO_FIELD, vi_sort_key(names[c])))
    stats = {c: rated.get(c) or stats_from_counts({}) for c in order}
    ratings = {c: stats[c].total for c in order}
    coverage = {cov.field: cov for cov in coverage_by_field(ratings, resolved, target)}
    rows = tuple(FieldRow(c, names[c], stats[c], coverage[c]) for c in order)
    total = coverage_total((row.coverage for row in rows), missing_months(months, entries))
    return rows, total


def _official_rows(conn, by_official, min_sample: int, replies: dict) -> tuple[OfficialRow, ...]:
    """Build table B: attributed officials ranked by fairness.rank_officials, with their replies."""
    stats = _by_first({k: n for k, n in by_official.items() if k[0] is not None})
    names = q.official_names(conn, stats)
    ranked = rank_officials(stats, min_sample=min_sample)
    return tuple(OfficialRow(r.official, names.get(r.official, r.official), r,
                             replies.get(r.official, "")) for r in ranked)  # fmt: skip
