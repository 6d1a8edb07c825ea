"""Period bounds written from the domain rules alone (domain.md), not from reporting/periods.py.

calendar: the months themselves. cut-off (chốt số liệu): a month runs from the 15th of the
month before to the 14th; a quarter, half, 9 months or year from the 15th of the month before
its first month to the 14th of its last (the year: 15/12 of the year before to 14/12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# kind -> (months in one, label of the index-th): what parse_period reads back
KINDS = {
    "month": (1, lambda y, i: f"{y}-{i:02d}"),
    "quarter": (3, lambda y, i: f"{y}-Q{i}"),
    "half": (6, lambda y, i: f"{y}-H{i}"),
    "nine_months": (9, lambda y, i: f"{y}-9M"),
    "year": (12, lambda y, i: str(y)),
}


@dataclass(frozen=True)
class Span:
    """A period as the reference sees it: its label, local days and UTC milliseconds."""

    kind: str
    label: str
    convention: str
    first: date
    last: date  # inclusive
    months: tuple[str, ...]  # the YYYY-MM months whose dossier counts it takes

    @property
    def start_ms(self) -> int:
        """Return local midnight starting the first day, in UTC epoch ms."""
        return _ms(self.first)

    @property
    def end_ms(self) -> int:
        """Return local midnight after the last day, in UTC epoch ms (exclusive)."""
        return _ms(self.last + timedelta(days=1))


def span(kind: str, year: int, index: int, convention: str) -> Span:
    """Return the index-th period of a kind in a year under a convention."""
    length, label = KINDS[kind]
    last_month = index * length
    first_month = last_month - length + 1
    named = tuple(f"{year}-{m:02d}" for m in range(first_month, last_month + 1))
    if convention == "calendar":
        first = date(year, first_month, 1)
        last = _next_month(year, last_month) - timedelta(days=1)
    else:
        before = _next_month(year, first_month - 2) if first_month > 1 else date(year - 1, 12, 1)
        first, last = before.replace(day=15), date(year, last_month, 14)
    return Span(kind, label(year, index), convention, first, last, named)


def previous(period: Span) -> Span:
    """Return the period of the same kind and convention just before one (table C's)."""
    year, last_month = (int(part) for part in period.months[-1].split("-"))
    index = last_month // KINDS[period.kind][0]
    if index > 1:
        return span(period.kind, year, index - 1, period.convention)
    return span(period.kind, year - 1, 12 // KINDS[period.kind][0], period.convention)


def from_label(kind: str, label: str, convention: str) -> Span:
    """Return the period a label names ("2025-07", "2025-Q3", "2025-H1", "2025-9M", "2025")."""
    year = int(label[:4])
    index = (
        int(label[5:]) if kind == "month" else int(label[-1]) if kind in ("quarter", "half") else 1
    )
    return span(kind, year, index, convention)


def every_period(year: int) -> list[Span]:
    """Return the year's 12 months, 4 quarters, 2 halves, 9 months and year in both conventions."""
    counts = {"month": 12, "quarter": 4, "half": 2, "nine_months": 1, "year": 1}
    return [span(kind, year, i, convention) for convention in ("calendar", "cutoff")
            for kind, n in counts.items() for i in range(1, n + 1)]  # fmt: skip


def _next_month(year: int, month: int) -> date:
    """Return the first day of the month after `month` (0 is December of the year before)."""
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def _ms(day: date) -> int:
    """Return local midnight of a day as UTC epoch milliseconds."""
    return int(datetime.combine(day, time(0), ZONE).timestamp()) * 1000
