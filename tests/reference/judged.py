"""The figures beyond the counts: flags, officials' shrunk scores and ranks, trend, late arrivals.

Rules written again from domain.md and the product's docstrings, never by calling it:
- out of hours: a counted press whose local day is a holiday, or whose local clock time lies
  in no [start, end) span of its weekday (Monday to Friday the office hours, Saturday its own,
  Sunday none);
- burst: a counted press among more than BURST_MAX counted presses of one device within
  BURST_WINDOW_S seconds (both ends included), wherever those fall: a burst across a period's
  border is flagged on both sides, so a press's flag does not depend on the report;
- score: (satisfied + m·p0) ÷ (n + m), m = the minimum sample, p0 = satisfied ÷ ratings of all
  officials credited; ranked only with n ≥ the minimum, equal scores share the better rank;
- trend: the totals of the period of the same kind just before;
- late (bổ sung): for each earlier published period of the report's kind and convention, the
  counted presses pressed in it and received during the report's period, after its publication.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from fractions import Fraction

from tests.reference.bounds import ZONE, Span, from_label
from tests.reference.calc import Levels, levels, pct
from tests.reference.office import (
    BURST_MAX,
    BURST_WINDOW_S,
    HOLIDAYS,
    MIN_SAMPLE,
    OFFICE_HOURS,
    SATURDAY_HOURS,
)
from tests.reference.rows import Raw, Row

SATURDAY = 5


@dataclass(frozen=True)
class Ranked:
    """One official's shrunk score (a fraction of 1) and rank (None when held back)."""

    score: Fraction
    rank: int | None


@dataclass(frozen=True)
class Late:
    """One line of table L: a published period's presses that arrived late."""

    label: str
    published_on: str
    levels: Levels


def counted(raw: Raw, span: Span) -> list[Row]:
    """Return the period's presses that count."""
    return [r for r in raw.rows if span.start_ms <= r.at_ms < span.end_ms
            and r.mode == "live" and r.excluded is None]  # fmt: skip


def is_open(at_ms: int) -> bool:
    """Tell whether the office is open at an instant."""
    local = datetime.fromtimestamp(at_ms // 1000, ZONE).replace(microsecond=at_ms % 1000 * 1000)
    if local.date().isoformat() in HOLIDAYS:
        return False
    spans = OFFICE_HOURS if local.weekday() < SATURDAY else (
        SATURDAY_HOURS if local.weekday() == SATURDAY else ())  # fmt: skip
    clock = local.time()
    return any(time.fromisoformat(a) <= clock < time.fromisoformat(b) for a, b in spans)


def outside_hours(raw: Raw, span: Span) -> int:
    """Count the period's counted presses made while the office was closed."""
    return sum(1 for r in counted(raw, span) if not is_open(r.at_ms))


def bursts(raw: Raw, span: Span) -> int:
    """Count the period's counted presses that belong to a burst, wherever its other presses fall."""
    flagged = in_bursts(raw)
    return sum(1 for r in counted(raw, span) if (r.device, r.seq) in flagged)


def in_bursts(raw: Raw) -> set[tuple[str, int]]:
    """Return (device, seq) of every counted press in a burst, over the whole dataset."""
    width, flagged = BURST_WINDOW_S * 1000, set()
    by_device: dict[str, list[Row]] = {}
    for r in raw.rows:
        if r.mode == "live" and r.excluded is None:
            by_device.setdefault(r.device, []).append(r)
    for found in by_device.values():
        found.sort(key=lambda r: r.at_ms)
        for i, first in enumerate(found):
            inside = [r for r in found[i : i + BURST_MAX + 1] if r.at_ms - first.at_ms <= width]
            if len(inside) > BURST_MAX:
                flagged |= {(r.device, r.seq) for r in inside}
    return flagged


def ranking(officials: dict[str, Levels]) -> dict[str, Ranked]:
    """Return each credited official's shrunk score and competition rank."""
    total = sum(found.total for found in officials.values())
    if not total:
        return {}
    prior = Fraction(sum(_satisfied(f) for f in officials.values()), total)
    scores = {code: Fraction(_satisfied(f) + MIN_SAMPLE * prior, f.total + MIN_SAMPLE)
              for code, f in officials.items()}  # fmt: skip
    eligible = [code for code, f in officials.items() if f.total >= MIN_SAMPLE]
    return {code: Ranked(scores[code], 1 + sum(scores[o] > scores[code] for o in eligible)
                         if code in eligible else None) for code in officials}  # fmt: skip


def _satisfied(found: Levels) -> int:
    return found.counts[4] + found.counts[3]


def late(raw: Raw, span: Span) -> list[Late]:
    """Return table L of a period: earlier published periods with presses arriving during it."""
    lines = []
    for (label, convention), (kind, day, published_ms) in sorted(raw.published.items()):
        earlier = from_label(kind, label, convention)
        if (kind, convention) != (span.kind, span.convention) or earlier.last >= span.first:
            continue
        since = max(published_ms, span.start_ms)
        found = [r for r in counted(raw, earlier) if since <= r.received_ms < span.end_ms]
        if found:
            lines.append(Late(label, day, levels(found)))
    return lines


def published_day(text: str) -> str:
    """Return an ISO day as printed (dd/mm/yyyy)."""
    return date.fromisoformat(text).strftime("%d/%m/%Y")


def rate_points(now: Levels, before: Levels) -> str:
    """Return the change of the satisfaction rate in points as printed ("+1.2", "-0.5", "0.0")."""
    if not now.total or not before.total:
        return ""
    diff = Fraction(100 * _satisfied(now), now.total) - Fraction(
        100 * _satisfied(before), before.total
    )
    text = pct(abs(diff.numerator), 100 * diff.denominator)  # pct multiplies by 100 again
    return text if text == "0.0" else ("-" if diff < 0 else "+") + text
