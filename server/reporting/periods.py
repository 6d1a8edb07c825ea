"""Reporting periods: calendar and cut-off boundaries, Vietnamese titles, publication days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hailong.protocol.i18n import N_
from hailong.server.epoch import from_ms, now_ms, to_ms
from hailong.server.errors import InputError

CONVENTIONS = ("calendar", "cutoff")
KINDS = ("month", "quarter", "half", "nine_months", "year", "custom")
PUBLICATION_DAY = 28
# The cut-off regime (chốt số liệu) closes a month on the 14th; the next one opens on the 15th.
CUTOFF_DAY = 14
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
NO_SUCH_DATE = N_("Không có ngày “{text}”")
UNREADABLE_DATE = N_("Không đọc được ngày “{text}”: hãy viết dd/mm/yyyy, ví dụ 05/03/2024")

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# kind -> (months per period, how many periods a year); nine_months is the one period Jan–Sep.
_SPAN = {
    "month": (1, 12),
    "quarter": (3, 4),
    "half": (6, 2),
    "nine_months": (9, 1),
    "year": (12, 1),
}
_SUFFIX = {"quarter": "Q", "half": "H"}
_LABEL = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|Q([1-4])|H([12])|(9M)))?$")
_CUSTOM_LABEL = re.compile(r"^(.+?)\s*\.\.\s*(.+)$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A closed range of local dates that a report covers."""

    kind: str
    start: date
    end: date  # inclusive
    label: str
    convention: str = "calendar"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}; expected one of {KINDS}")
        if self.convention not in CONVENTIONS:
            raise ValueError(
                f"unknown convention {self.convention!r}; expected one of {CONVENTIONS}"
            )
        if self.end < self.start:
            raise ValueError(
                f"period {self.label!r} ends ({self.end}) before it starts ({self.start})"
            )

    @property
    def days(self) -> int:
        """Return the number of days covered, both ends included."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """Return the period of the same kind just before this one."""
        if self.kind == "custom":
            end = self.start - timedelta(days=1)
            return custom(end - (self.end - self.start), end)
        year, index = _year_index(self.label)
        if index == 1:
            return named(self.kind, year - 1, _SPAN[self.kind][1], self.convention)
        return named(self.kind, year, index - 1, self.convention)

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """Return (start, end exclusive) as aware UTC datetimes for local midnights in `tz`."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.start, time(0), tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def bounds_ms(self, tz: str) -> tuple[int, int]:
        """Return (start, end exclusive) as UTC epoch milliseconds, as the database keeps times."""
        start, end = self.bounds(tz)
        return to_ms(start), to_ms(end)

    def contains(self, day: date) -> bool:
        """Tell whether a local date falls inside the period."""
        return self.start <= day <= self.end

    @property
    def range_vi(self) -> str:
        """Return "Từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy", as printed under a report title."""
        return f"Từ ngày {format_dmy(self.start)} đến ngày {format_dmy(self.end)}"

    @property
    def title_vi(self) -> str:
        """Return the Vietnamese name of the period, e.g. "Quý I/2024"."""
        if self.kind == "custom":
            return self.range_vi
        year, index = _year_index(self.label)
        return {
            "month": f"Tháng {index:02d}/{year}",
            "quarter": f"Quý {_ROMAN.get(index)}/{year}",  # the dict is built whole: any index
            "half": f"6 tháng {'đầu' if index == 1 else 'cuối'} năm {year}",
            "nine_months": f"9 tháng năm {year}",
            "year": f"Năm {year}",
        }[self.kind]


def named(kind: str, year: int, index: int = 1, convention: str = "calendar") -> Period:
    """Build the `index`-th period of `kind` in `year` (month 1..12, quarter 1..4, half 1..2)."""
    if kind not in _SPAN:
        raise ValueError(f"{kind!r} is not a named period kind; use custom() for date ranges")
    length, count = _SPAN[kind]
    if not 1 <= index <= count:
        raise ValueError(f"{kind} number must be 1..{count}, got {index}")
    last_month = index * length
    first_month = last_month - length + 1
    start, end = _month_span(year, first_month, last_month, convention)
    return Period(kind, start, end, _label(kind, year, index), convention)


def custom(start: date, end: date) -> Period:
    """Build a custom range ("Từ ngày … đến ngày …"), both ends included."""
    return Period("custom", start, end, f"{start.isoformat()}..{end.isoformat()}")


def parse_period(text: str, convention: str = "calendar") -> Period:
    """Parse "2024-03", "2024-Q1", "2024-H1", "2024-H2", "2024-9M", "2024" or "<date>..<date>"."""
    cleaned = text.strip().upper()
    match = _LABEL.match(cleaned)
    if match is None:
        ranged = _CUSTOM_LABEL.match(text.strip())
        if ranged:
            return custom(parse_user_date(ranged[1]), parse_user_date(ranged[2]))
        raise ValueError(
            f"cannot read period {text!r}: expected 2024-03, 2024-Q1, 2024-H1, 2024-H2, 2024-9M, "
            "2024 or a range like 15/12/2025..14/03/2026"
        )
    year_text, month, quarter, half, nine = match.groups()
    year = int(year_text)
    if month is not None:
        return named("month", year, int(month), convention)
    if quarter is not None:
        return named("quarter", year, int(quarter), convention)
    if half is not None:
        return named("half", year, int(half), convention)
    return named("nine_months" if nine else "year", year, 1, convention)


def due_on(day: date, convention: str = "calendar") -> list[Period]:
    """Return the reports due for publication on `day`, shortest period first.

    The plan publishes on the 28th: every month; Quarter I on 28/3; 6 months on 28/6;
    Quarter III and 9 months on 28/9; the year on 28/12. Those dates presume the cut-off
    regime, whose periods close on the 14th. A report must show complete data, never a
    provisional count, so the one rule for both conventions is: a period is published on the
    first 28th after it has ended.
    - cutoff: periods close on the 14th, so the 28th publishes the periods that closed on the
      14th of the same month (28/3/2026: month 03 = 15/02–14/03 and Q1 = 15/12/2025–14/03/2026).
    - calendar: periods close on the last day of a month, after the 28th, so each report
      appears one month later than the plan's date (28/4: March and Quarter I; 28/7: June and
      6 months; 28/10: September, Quarter III and 9 months; 28/1: December and the year before).
    Quarters II and IV and the second half are not published on their own (the 6-month and
    year reports cover them), as in the plan.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; expected one of {CONVENTIONS}")
    if day.day != PUBLICATION_DAY:
        return []
    year, month = day.year, day.month
    if convention == "calendar":
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    schedule = {
        3: [("quarter", 1)],
        6: [("half", 1)],
        9: [("quarter", 3), ("nine_months", 1)],
        12: [("year", 1)],
    }
    due = [("month", month), *schedule.get(month, [])]
    return [named(kind, year, index, convention) for kind, index in due]


def format_date_vi(day: date) -> str:
    """Format a date as in administrative documents: "ngày 05 tháng 03 năm 2024"."""
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def format_dmy(day: date) -> str:
    """Format a date for screens and tables: "05/03/2024"."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def parse_user_date(text: str) -> date:
    """Parse a date typed by staff as dd/mm/yyyy or ISO yyyy-mm-dd."""
    cleaned = text.strip()
    dmy, iso = _DMY.match(cleaned), _ISO.match(cleaned)
    if dmy:
        day, month, year = (int(part) for part in dmy.groups())
    elif iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise ValueError(
            f"cannot read date {text!r}: expected dd/mm/yyyy (e.g. 05/03/2024) or yyyy-mm-dd"
        )
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"no such date {text!r}: {exc}") from None


def _month_span(year: int, first: int, last: int, convention: str) -> tuple[date, date]:
    """Return the first and last day of the months first..last of `year` under `convention`."""
    if convention == "calendar":
        return date(year, first, 1), _month_end(year, last)
    if convention == "cutoff":
        before_year, before_month = (year - 1, 12) if first == 1 else (year, first - 1)
        return date(before_year, before_month, CUTOFF_DAY + 1), date(year, last, CUTOFF_DAY)
    raise ValueError(f"unknown convention {convention!r}; expected one of {CONVENTIONS}")


def _month_end(year: int, month: int) -> date:
    """Return the last day of a calendar month."""
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def _label(kind: str, year: int, index: int) -> str:
    """Return the machine label parse_period reads back, e.g. "2024-Q1"."""
    if kind == "month":
        return f"{year}-{index:02d}"
    if kind in _SUFFIX:
        return f"{year}-{_SUFFIX[kind]}{index}"
    return f"{year}-9M" if kind == "nine_months" else str(year)


def _year_index(label: str) -> tuple[int, int]:
    """Return (year, index) from a named period's label."""
    match = _LABEL.match(label)
    if match is None:
        raise ValueError(f"not a named period label: {label!r}")
    year_text, month, quarter, half, _nine = match.groups()
    return int(year_text), int(month or quarter or half or 1)


def parse_local_time(text: str | None, tz: str) -> datetime:
    """Read "dd/mm/yyyy HH:MM" (or a date alone: midnight) in the office's zone; None is now."""
    zone = ZoneInfo(tz)
    if text is None:
        # The clock's whole millisecond: datetime.now() rounded by to_ms could lie half a
        # millisecond ahead of a now_ms() read just after, and "start in the future" refuse it.
        return from_ms(now_ms(), zone)
    day_text, _, clock = text.strip().partition(" ")
    try:
        day = parse_user_date(day_text)
    except ValueError:
        shaped = _DMY.match(day_text.strip()) or _ISO.match(day_text.strip())
        raise InputError(NO_SUCH_DATE if shaped else UNREADABLE_DATE, text=day_text) from None
    match = _TIME.fullmatch(clock.strip()) if clock.strip() else None
    if clock.strip() and (match is None or int(match[1]) > 23 or int(match[2]) > 59):
        raise InputError(
            "Không đọc được giờ “{text}”: hãy viết HH:MM, ví dụ 07:30", text=clock.strip()
        )
    hour, minute = (int(match[1]), int(match[2])) if match else (0, 0)
    return datetime.combine(day, time(hour, minute), zone)
