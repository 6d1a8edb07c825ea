"""The report upward: one row per office, the province's totals and a fair ranking of offices.

Pure. Each office's figures come from its ReportData (a database the province reads) or from
the signed file an office with no link sent (exchange.py): counts, never presses. They are
judged by the one home of each rule: metrics for shares, rates and per-field coverage, coverage
for the "k/n lĩnh vực đạt" total, fairness for the minimum sample and the shrinkage toward the
province's mean. Totals are sums of counts and every rate is recomputed from the sums, never an
average of rates. A field is measured for the province over the offices that entered a dossier
count for it; its ratings in other offices stay outside the ratio, as in an office's own report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from hailong.server.reporting.coverage import CoverageTotal, coverage_total
from hailong.server.reporting.data import NO_FIELD, ReportData, vi_sort_key
from hailong.server.reporting.fairness import OfficialStats, rank_officials
from hailong.server.reporting.metrics import (
    LEVELS,
    Coverage,
    LevelStats,
    Trend,
    compare,
    coverage_by_field,
    stats_from_counts,
)
from hailong.server.reporting.periods import Period
from hailong.server.reporting.settings import ReportSettings

SOURCES = ("database", "file")
# Why an office is singled out: below the coverage target, silent, or with no dossier count.
BELOW_TARGET, SILENT, NO_DOSSIERS = "below_target", "silent", "no_dossiers"


@dataclass(frozen=True)
class FieldFigures:
    """One field of one office: accepted ratings per level and resolved dossiers."""

    code: str  # NO_FIELD for ratings sent without a field
    name: str
    counts: dict[int, int]
    dossiers: int | None  # resolved in the period's months; None when never entered


@dataclass(frozen=True)
class OfficeFigures:
    """What one office contributes to the report upward: counts for a period, never presses."""

    code: str
    name: str
    period: str  # the period's label, e.g. "2024-03"
    counts: dict[int, int]  # accepted ratings per level
    previous: dict[int, int]  # the same in the previous period
    fields: tuple[FieldFigures, ...]
    in_hours: int  # accepted ratings within office hours: 0 means the office was silent
    missing_months: tuple[str, ...] = ()  # months with a dossier count not entered
    source: str = "database"  # or "file": an imported export

    def __post_init__(self) -> None:
        if not self.code.strip() or not self.name.strip():
            raise ValueError("an office needs a code and a name")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        for what, counts in (("counts", self.counts), ("previous", self.previous),
                             *((f"field {f.code!r}", f.counts) for f in self.fields)):  # fmt: skip
            _check_counts(self.code, what, counts)
        codes = [f.code for f in self.fields]
        if len(set(codes)) != len(codes):
            raise ValueError(f"office {self.code}: a field is listed twice")
        if any(f.dossiers is not None and (type(f.dossiers) is not int or f.dossiers < 0)
               for f in self.fields):  # fmt: skip
            raise ValueError(f"office {self.code}: dossier counts must be whole numbers ≥ 0")
        summed = Counter()
        for f in self.fields:
            summed.update(f.counts)
        if any(summed[level] != self.counts[level] for level in LEVELS):
            raise ValueError(f"office {self.code}: the fields' ratings do not add up to its total")
        if type(self.in_hours) is not int or not 0 <= self.in_hours <= sum(self.counts.values()):
            raise ValueError(f"office {self.code}: ratings in office hours out of range")


@dataclass(frozen=True)
class OfficeRow:
    """One office in the report upward, judged against the province."""

    code: str
    name: str
    source: str
    stats: LevelStats
    trend: Trend  # against the office's previous period
    coverage: dict[str, Coverage]  # per field code the office rates or counts dossiers in
    field_total: CoverageTotal  # its measured fields and "k/n lĩnh vực đạt"
    ranking: OfficialStats  # sample, rate shown, shrunk score, rank (None: below the minimum)
    flags: tuple[str, ...]  # BELOW_TARGET, SILENT, NO_DOSSIERS
    missing_months: tuple[str, ...]


@dataclass(frozen=True)
class FieldTotal:
    """One field across the province: summed counts, coverage over the offices that measure it."""

    code: str
    name: str
    stats: LevelStats  # every office's ratings in the field
    coverage: Coverage  # ratings ÷ dossiers summed over the offices with a count entered
    outside: int  # the field's ratings in offices without a count: not in the ratio
    offices_met: int  # offices meeting the target in this field ...
    offices_measured: int  # ... of those that measure it


@dataclass(frozen=True)
class ProvinceReport:
    """Everything the report upward's XLSX, PDF and CSV show, and nothing they compute."""

    period: Period
    previous: Period
    issued: date
    settings: ReportSettings
    offices: tuple[OfficeRow, ...]  # ranked offices by rank, then those held back
    fields: tuple[FieldTotal, ...]  # by Vietnamese name, ratings without a field last
    totals: LevelStats
    trend: Trend
    field_total: CoverageTotal  # the province's "k/n lĩnh vực đạt", measured in sum


def office_figures(code: str, name: str, data: ReportData,
                   previous: ReportData | Mapping[int, int] | None = None) -> OfficeFigures:  # fmt: skip
    """Take an office's figures from its report; the previous period's from it unless given."""
    if isinstance(previous, ReportData):
        if previous.period != data.previous:
            raise ValueError(f"office {code}: the previous report is not of {data.previous.label}")
        before = previous.totals.counts
    else:
        before = data.trend.previous.counts if previous is None else previous
    fields = tuple(FieldFigures(r.code, r.name, dict(r.stats.counts), r.coverage.dossiers)
                   for r in data.fields if r.stats.total or r.coverage.dossiers is not None)  # fmt: skip
    outside = min(data.screening.outside_hours, data.totals.total)
    return OfficeFigures(code, name, data.period.label, dict(data.totals.counts),
                         {level: int(before.get(level, 0)) for level in LEVELS}, fields,
                         data.totals.total - outside, data.field_total.missing_months)  # fmt: skip


def consolidate(period: Period, offices: Sequence[OfficeFigures], settings: ReportSettings,
                issued: date) -> ProvinceReport:  # fmt: skip
    """Judge every office and the province's sums for one period."""
    codes = [o.code for o in offices]
    if len(set(codes)) != len(codes):
        twice = sorted({c for c in codes if codes.count(c) > 1})
        raise ValueError(f"an office is given twice: {', '.join(twice)}")
    wrong = [o.code for o in offices if o.period != period.label]
    if wrong:
        raise ValueError(f"not figures of {period.label}: {', '.join(wrong)}")
    target = settings.coverage_target
    stats = {o.code: stats_from_counts(o.counts) for o in offices}
    ranked = rank_officials(stats, min_sample=settings.min_sample)  # offices as the groups
    by_code = {o.code: o for o in offices}
    rows = tuple(_office_row(by_code[r.official], r, target) for r in ranked)
    totals = stats_from_counts(_summed(o.counts for o in offices))
    before = stats_from_counts(_summed(o.previous for o in offices))
    fields = _field_totals(offices, rows, target)
    total = coverage_total((f.coverage for f in fields), _missing(offices))
    # Every rating outside the measured fields, whichever office it came from.
    total = replace(total, outside=totals.total - total.ratings)
    return ProvinceReport(period, period.previous(), issued, settings, rows, fields, totals,
                          compare(totals, before), total)  # fmt: skip


def _office_row(office: OfficeFigures, ranking: OfficialStats, target: float) -> OfficeRow:
    """Judge one office: its rate, trend, coverage per field and flags."""
    coverage = {f.code: _coverage(f.code, sum(f.counts.values()), f.dossiers, target)
                for f in office.fields if f.code != NO_FIELD}  # fmt: skip
    total = coverage_total(coverage.values(), office.missing_months)
    total = replace(total, outside=total.outside + _unfielded(office))
    flags = tuple(flag for flag, on in ((BELOW_TARGET, total.meets_target is False),
                                        (SILENT, office.in_hours == 0),
                                        (NO_DOSSIERS, total.fields == 0)) if on)  # fmt: skip
    stats = ranking.stats
    return OfficeRow(office.code, office.name, office.source, stats,
                     compare(stats, stats_from_counts(office.previous)), coverage, total,
                     ranking, flags, office.missing_months)  # fmt: skip


def _field_totals(offices: Sequence[OfficeFigures], rows: Sequence[OfficeRow],
                  target: float) -> tuple[FieldTotal, ...]:  # fmt: skip
    """Sum each field over the offices; measure it over those that entered a dossier count."""
    names: dict[str, str] = {}
    counts: dict[str, Counter] = {}
    measured: dict[str, list[tuple[int, int]]] = {}  # field -> [(ratings, dossiers)]
    for office in offices:
        for f in office.fields:
            names.setdefault(f.code, f.name)
            counts.setdefault(f.code, Counter()).update(f.counts)
            if f.dossiers:  # a count above zero, as coverage_total measures
                measured.setdefault(f.code, []).append((sum(f.counts.values()), f.dossiers))
    order = sorted(names, key=lambda c: (c == NO_FIELD, vi_sort_key(names[c])))
    found = []
    for code in order:
        pairs = measured.get(code, [])
        rated = sum(r for r, _d in pairs)
        dossiers = sum(d for _r, d in pairs) if pairs else None
        verdicts = [row.coverage[code].meets_target for row in rows if code in row.coverage]
        verdicts = [v for v in verdicts if v is not None]
        stats = stats_from_counts(counts[code])
        coverage = _coverage(code, rated if pairs else stats.total, dossiers, target)
        found.append(FieldTotal(code, names[code], stats, coverage,
                                stats.total - rated if pairs else stats.total,
                                sum(verdicts), len(verdicts)))  # fmt: skip
    return tuple(f for f in found if f.code != NO_FIELD) + tuple(
        f for f in found if f.code == NO_FIELD
    )


def _coverage(code: str, ratings: int, dossiers: int | None, target: float) -> Coverage:
    """Measure one field with metrics' rule (more than the target, exact fractions)."""
    return coverage_by_field({code: ratings}, {} if dossiers is None else {code: dossiers},
                             target)[0]  # fmt: skip


def _unfielded(office: OfficeFigures) -> int:
    """Return the office's ratings sent without a field (outside every ratio)."""
    return sum(sum(f.counts.values()) for f in office.fields if f.code == NO_FIELD)


def _missing(offices: Iterable[OfficeFigures]) -> tuple[str, ...]:
    """Return every month some office has not entered, in order."""
    return tuple(sorted({m for o in offices for m in o.missing_months}))


def _summed(counts: Iterable[Mapping[int, int]]) -> dict[int, int]:
    """Add counts per level."""
    total = Counter()
    for one in counts:
        total.update(one)
    return {level: total[level] for level in LEVELS}


def _check_counts(office: str, what: str, counts: Mapping[int, int]) -> None:
    """Refuse counts that are not whole numbers ≥ 0 for exactly the four levels."""
    if set(counts) != set(LEVELS):
        raise ValueError(
            f"office {office}: {what} must count levels {LEVELS}, got {sorted(counts)}"
        )
    if any(type(n) is not int or n < 0 for n in counts.values()):
        raise ValueError(f"office {office}: {what} must be whole numbers ≥ 0")
