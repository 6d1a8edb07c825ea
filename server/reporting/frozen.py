"""A published report's figures, frozen: what the board and the poster show of a published period.

`snapshot` turns a ReportData into JSON-ready values when a period is published (stored with
its record, published.py); `thaw` turns them back into the objects the templates read, so a
published period is shown exactly as published, never recounted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date

from hailong.server.reporting.coverage import CoverageTotal
from hailong.server.reporting.data import FieldRow, OfficialRow, ReportData
from hailong.server.reporting.fairness import OfficialStats
from hailong.server.reporting.metrics import (
    BEST_FIRST,
    Coverage,
    LevelStats,
    Trend,
    compare,
    stats_from_counts,
)
from hailong.server.reporting.periods import Period, parse_period
from hailong.server.reporting.settings import ReportSettings

SNAPSHOT = "snapshot"  # the key of a record's figures that holds what the board shows


@dataclass(frozen=True)
class FrozenData:
    """The parts of a ReportData that the board and the poster show, as published."""

    period: Period
    previous: Period
    settings: ReportSettings
    totals: LevelStats
    trend: Trend
    field_total: CoverageTotal
    fields: tuple[FieldRow, ...]
    officials: tuple[OfficialRow, ...]
    published_on: date


def snapshot(data: ReportData) -> dict:
    """Return what the board and the poster show of a report, as JSON values."""
    shown = [row for row in data.officials if not row.result.held_back]
    return {
        "counts": _counts(data.totals),
        "previous": {"period": data.previous.label, "counts": _counts(data.trend.previous)},
        "min_sample": data.settings.min_sample,
        "coverage_target": data.settings.coverage_target,
        "coverage": asdict(data.field_total),
        "fields": [
            {
                "code": r.code,
                "name": r.name,
                "counts": _counts(r.stats),
                "coverage": asdict(r.coverage),
            }
            for r in data.fields
        ],  # fmt: skip
        "officials": [
            {
                "code": r.code,
                "name": r.name,
                "counts": _counts(r.result.stats),
                **_official(r.result),
            }
            for r in shown
        ],  # fmt: skip
    }


def thaw(figures: dict, period: Period, settings: ReportSettings, published_on: date) -> FrozenData:
    """Rebuild the shown figures of a published period from its stored snapshot."""
    snap = figures[SNAPSHOT]
    totals, before = _stats(snap["counts"]), _stats(snap["previous"]["counts"])
    cov = _build(CoverageTotal, snap["coverage"])
    return FrozenData(
        period=period,
        previous=parse_period(snap["previous"]["period"], period.convention),
        settings=replace(
            settings, min_sample=snap["min_sample"], coverage_target=snap["coverage_target"]
        ),  # fmt: skip
        totals=totals,
        trend=compare(totals, before),
        field_total=replace(cov, missing_months=tuple(cov.missing_months)),
        fields=tuple(
            FieldRow(f["code"], f["name"], _stats(f["counts"]), _build(Coverage, f["coverage"]))
            for f in snap["fields"]
        ),  # fmt: skip
        officials=tuple(_official_row(o) for o in snap["officials"]),
        published_on=published_on,
    )


def _counts(stats: LevelStats) -> dict[str, int]:
    """Return a LevelStats' counts keyed by level as text (JSON keys)."""
    return {str(level): stats.counts[level] for level in BEST_FIRST}


def _stats(counts: dict[str, int]) -> LevelStats:
    """Rebuild a LevelStats from counts keyed by level as text."""
    return stats_from_counts({int(level): n for level, n in counts.items()})


def _official(result: OfficialStats) -> dict:
    """Return an official's shown figures (sample, rates, score, rank)."""
    keep = ("sample", "rate", "rate_shown", "score", "rank")
    return {name: getattr(result, name) for name in keep}


def _official_row(row: dict) -> OfficialRow:
    """Rebuild one shown official's row."""
    result = OfficialStats(row["code"], row["sample"], _stats(row["counts"]), row["rate"],
                           row["rate_shown"], row["score"], row["rank"])  # fmt: skip
    return OfficialRow(row["code"], row["name"], result)


def _build(cls, values: dict):
    """Build a dataclass from stored values, ignoring any it no longer has."""
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in known})
