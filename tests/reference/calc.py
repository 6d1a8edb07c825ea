"""The reference figures of one period, in plain Python over what rows.py read.

Rules (domain.md, issue 12): a rating counts when it is live and not excluded. Satisfaction rate
= (level 4 + level 3) ÷ ratings, printed with one decimal rounded half up; shares likewise.
Coverage per field = ratings ÷ dossiers resolved in the period's months, met when strictly above
the target; the total measures only fields with dossiers, is met when every one is, and its
shortfall sums theirs. An official is credited with the ratings at their counter while on duty
(latest start, then latest row, wins an overlap); without a roster, the official a press named.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from tests.reference.bounds import Span
from tests.reference.rows import Raw, Row

TARGET = Fraction(4, 5)
NO_FIELD = ""


@dataclass(frozen=True)
class Levels:
    """Counts per level of a set of ratings."""

    counts: dict[int, int]

    @property
    def total(self) -> int:
        """Return the number of ratings."""
        return sum(self.counts.values())

    def rate(self) -> str:
        """Return the satisfaction rate as printed ("84.4"), or "" without ratings."""
        return pct(self.counts[4] + self.counts[3], self.total)

    def share(self, level: int) -> str:
        """Return one level's share as printed."""
        return pct(self.counts[level], self.total)


@dataclass(frozen=True)
class FieldFigures:
    """One field's row of table A."""

    levels: Levels
    dossiers: int | None
    coverage: str  # percent as printed, "" when not measured
    meets: bool | None
    needed: int | None


@dataclass
class Figures:
    """Everything the reference checks in one period."""

    span: Span
    totals: Levels
    fields: dict[str, FieldFigures]
    measured: dict = field(default_factory=dict)  # the coverage total
    officials: dict[str, Levels] = field(default_factory=dict)
    unattributed: Levels | None = None
    screening: dict = field(default_factory=dict)


def pct(part: int, whole: int) -> str:
    """Return part ÷ whole × 100 with one decimal, half up, computed exactly; "" for 0/0."""
    if not whole:
        return ""
    exact = Fraction(part * 100, whole)
    value = Decimal(exact.numerator) / Decimal(exact.denominator)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def levels(rows) -> Levels:
    """Count ratings per level."""
    found = Counter(r.rating for r in rows)
    return Levels({level: found.get(level, 0) for level in (1, 2, 3, 4)})


def figures(raw: Raw, span: Span) -> Figures:
    """Recompute one period's figures."""
    inside = [r for r in raw.rows if span.start_ms <= r.at_ms < span.end_ms]
    counted = [r for r in inside if r.mode == "live" and r.excluded is None]
    fields = _fields(raw, span, counted)
    result = Figures(span, levels(counted), fields, _measured(raw, span, fields))
    by_official: dict[str | None, list[Row]] = {}
    for r in counted:
        by_official.setdefault(_official(raw, r), []).append(r)
    result.officials = {k: levels(v) for k, v in by_official.items() if k is not None}
    result.unattributed = levels(by_official.get(None, []))
    result.screening = _screening(raw, inside, counted)
    return result


def _fields(raw: Raw, span: Span, counted: list[Row]) -> dict[str, FieldFigures]:
    """Table A: every active field, and any field with ratings or dossiers in the period."""
    rated: dict[str, list[Row]] = {}
    for r in counted:
        rated.setdefault(r.field or NO_FIELD, []).append(r)
    resolved = {f: sum(m[k] for k in span.months if k in m) for f, m in raw.dossiers.items()
                if any(k in m for k in span.months)}  # fmt: skip
    codes = {c for c, (_n, active) in raw.fields.items() if active} | set(rated) | set(resolved)
    return {c: _field(levels(rated.get(c, [])), resolved.get(c)) for c in codes}


def _field(found: Levels, dossiers: int | None) -> FieldFigures:
    """Measure one field against its dossiers."""
    if not dossiers:
        return FieldFigures(found, dossiers, "", None, None if dossiers is None else 0)
    meets = Fraction(found.total, dossiers) > TARGET
    needed = max(0, int(TARGET * dossiers) + 1 - found.total)
    return FieldFigures(found, dossiers, pct(found.total, dossiers), meets, needed)


def _measured(raw: Raw, span: Span, fields: dict[str, FieldFigures]) -> dict:
    """The coverage total over the fields with dossiers, and the months not entered."""
    measured = {c: f for c, f in fields.items() if f.dossiers}
    ratings = sum(f.levels.total for f in measured.values())
    dossiers = sum(f.dossiers for f in measured.values())
    having = [set(m) & set(span.months) for m in raw.dossiers.values()]
    having = [h for h in having if h]
    missing = [m for m in span.months if not having or any(m not in h for h in having)]
    return {
        "fields": len(measured),
        "met": sum(1 for f in measured.values() if f.meets),
        "ratings": ratings,
        "dossiers": dossiers or None,
        "coverage": pct(ratings, dossiers),
        "meets": all(f.meets for f in measured.values()) if measured else None,
        "needed": sum(f.needed for f in measured.values()) if measured else None,
        "outside": sum(f.levels.total for c, f in fields.items() if not f.dossiers),
        "missing": missing,
    }


def on_duty(raw: Raw, counter: str | None, at_ms: int) -> str | None:
    """Return the official on duty at a counter at an instant."""
    serving = [d for d in raw.duty if d[1] == counter and d[3] <= at_ms
               and (d[4] is None or at_ms < d[4])]  # fmt: skip
    return max(serving, key=lambda d: (d[3], d[0]))[2] if serving else None


def _official(raw: Raw, r: Row) -> str | None:
    """Return whom a rating is credited to."""
    return on_duty(raw, r.counter, r.at_ms) or r.sent_official


def _screening(raw: Raw, inside: list[Row], counted: list[Row]) -> dict:
    """Raw, accepted and filtered presses with reasons; attribution flags among the accepted."""
    filtered = Counter("test" if r.mode == "test" else f"excluded: {r.excluded}"
                       for r in inside if r.mode == "test" or r.excluded)  # fmt: skip
    mismatch = sum(
        1 for r in counted
        if r.sent_official and (on := on_duty(raw, r.counter, r.at_ms)) and on != r.sent_official
    )  # fmt: skip
    return {
        "raw": len(inside),
        "accepted": len(counted),
        "filtered": dict(filtered),
        "official_mismatch": mismatch,
        "dossier_collisions": sum(1 for r in counted if r.collision),
    }
