"""The coverage total: ratings against resolved dossiers over the fields that have counts.

The plan's target (more than 80% of the dossiers resolved in each field) is met per field, so
a total never flatters: it measures only fields with a dossier count, keeps ratings with no
field or in a field without counts on their own line outside the ratio, says how many fields
meet the target, is met only when every measured field is, and its shortfall is the sum of
the fields' shortfalls. A month with no count entered is named, never read as zero. Every
output (page, board, poster, XLSX, PDF, CSV, API) reads this one total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hailong.server.reporting.metrics import Coverage


@dataclass(frozen=True)
class CoverageTotal:
    """The fields measured against their dossiers, how many meet the target, what is left out."""

    fields: int  # fields with a dossier count above zero: the only ones measured
    met: int  # of those, the fields above the target
    ratings: int  # ratings in the measured fields
    dossiers: int | None  # their resolved dossiers; None when no field has a count
    ratio: float | None  # ratings ÷ dossiers over the measured fields only
    meets_target: bool | None  # True only when every measured field meets it
    needed: int | None  # the sum of the measured fields' shortfalls
    outside: int  # ratings with no field or in a field without dossier counts: not in the ratio
    missing_months: tuple[str, ...]  # YYYY-MM months with a dossier count not entered

    @property
    def percent(self) -> float | None:
        """Return the measured fields' coverage in percent (× 100 before ÷, as metrics does)."""
        return None if self.ratio is None else self.ratings * 100 / self.dossiers

    @property
    def met_text(self) -> str:
        """Say how many measured fields meet the target: "2/7 lĩnh vực đạt"."""
        return f"{self.met}/{self.fields} lĩnh vực đạt"


def coverage_total(rows: Iterable[Coverage], missing_months: Sequence[str] = ()) -> CoverageTotal:
    """Total the fields' coverage: only fields with dossiers measured, shortfalls summed."""
    rows = list(rows)
    measured = [row for row in rows if row.dossiers]
    outside = sum(row.ratings for row in rows if not row.dossiers)
    if not measured:
        return CoverageTotal(0, 0, 0, None, None, None, None, outside, tuple(missing_months))
    ratings = sum(row.ratings for row in measured)
    dossiers = sum(row.dossiers for row in measured)
    met = sum(1 for row in measured if row.meets_target)
    needed = sum(row.needed for row in measured)
    return CoverageTotal(
        len(measured), met, ratings, dossiers, ratings / dossiers,
        met == len(measured), needed, outside, tuple(missing_months),
    )  # fmt: skip


def missing_months(months: Sequence[str], entered: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """Return the months lacking a count: for a field that has counts, or for every field.

    `entered` maps a field to the YYYY-MM months it has a count for. A field with no count at
    all is left out of the ratio (its ratings go on their own line), so only the fields that
    are measured, and the months with no count for any field, are named.
    """
    have = {field: set(found) for field, found in entered.items() if found}
    missing = {
        month for month in months if not have or any(month not in found for found in have.values())
    }
    return tuple(month for month in months if month in missing)


def month_text(month: str) -> str:
    """Write a YYYY-MM month as people read it: "02/2025"."""
    year, number = month.split("-")
    return f"{number}/{year}"
