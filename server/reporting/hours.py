"""Office hours: the one rule of "is the office open" (hours per weekday, lunch, holidays, zone).

The report flags presses outside them, the fleet page only calls a silent kiosk a problem
inside them, and the flag query narrows its candidates in SQL with the same spans (spans_ms).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hailong.server.epoch import EPOCH, from_ms

WORKING_DAYS = (0, 1, 2, 3, 4)  # Monday..Friday
DAY_MS = 86_400_000
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


@dataclass(frozen=True)
class OfficeHours:
    """When the office is open: [start, end) "HH:MM" spans per weekday (0 = Monday; a day left
    out is closed), public holidays (closed all day), in the office's time zone."""

    week: Mapping[int, Sequence[tuple[str, str]]]
    holidays: Collection[date]
    tz: str

    def __post_init__(self) -> None:
        for pairs in self.week.values():
            for pair in pairs:
                interval(pair)

    def is_open(self, moment: datetime) -> bool:
        """Tell whether an aware moment falls in an open span of a working, non-holiday day."""
        local = moment.astimezone(ZoneInfo(self.tz))
        if local.date() in self.holidays:
            return False
        clock = local.time().replace(tzinfo=None)
        return any(start <= clock < end for start, end in self._spans(local.weekday()))

    def is_open_ms(self, at_ms: int) -> bool:
        """Tell whether the office is open at a moment given in UTC epoch milliseconds."""
        return self.is_open(from_ms(at_ms))

    def judge_ms(self, start_ms: int, end_ms: int) -> Callable[[int], bool]:
        """Return is_open_ms for moments in [start_ms, end_ms), fast where the offset holds.

        Where the zone keeps one UTC offset through the range (read at each local midnight and
        at both ends), a moment's local day and clock are integer arithmetic, exactly what
        is_open computes from the datetime; otherwise each moment goes through is_open.
        """
        zone, offsets = ZoneInfo(self.tz), set()
        for moment in (*range(start_ms, end_ms, DAY_MS), end_ms):
            offsets.add(from_ms(moment, zone).utcoffset())
        if len(offsets) != 1:
            return self.is_open_ms
        offset = int(next(iter(offsets)).total_seconds() * 1000)
        closed = set(self.holiday_numbers())
        spans = {day: [(_us(a), _us(b)) for a, b in self._spans(day)] for day in range(7)}

        def is_open(at_ms: int) -> bool:
            day, clock = divmod(at_ms + offset, DAY_MS)
            if day in closed:
                return False
            clock *= 1000  # µs, as a time compares
            return any(a <= clock < b for a, b in spans[(day + EPOCH_WEEKDAY) % 7])

        return is_open

    def spans_ms(self) -> dict[int, list[tuple[int, int]]]:
        """Return weekday -> open spans in milliseconds since local midnight (for SQL)."""
        return {day: [(_ms(a), _ms(b)) for a, b in self._spans(day)] for day in self.week}

    def holiday_numbers(self) -> list[int]:
        """Return the holidays as days since 1970-01-01 (local dates, for SQL)."""
        return sorted((day - EPOCH.date()).days for day in self.holidays)

    def _spans(self, weekday: int) -> list[tuple[time, time]]:
        return [interval(pair) for pair in self.week.get(weekday, ())]


def weekday_hours(
    pairs: Sequence[tuple[str, str]], saturday: Sequence[tuple[str, str]] = ()
) -> dict[int, list[tuple[str, str]]]:
    """Build office hours: the same spans Monday to Friday, optionally some on Saturday."""
    hours = {day: list(pairs) for day in WORKING_DAYS}
    if saturday:
        hours[5] = list(saturday)
    return hours


def interval(pair: Sequence[str]) -> tuple[time, time]:
    """Read a ("07:30", "11:30") pair of local clock times; refuse one that ends first."""
    if len(pair) != 2:
        raise ValueError(f"{pair!r} is not a (start, end) pair of HH:MM times, start first")
    start, end = (time.fromisoformat(part) for part in pair)
    if end <= start:
        raise ValueError(f"office hours {tuple(pair)!r} end before they start")
    return start, end


def _us(moment: time) -> int:
    """Return microseconds since midnight of a clock time."""
    return _ms(moment) * 1000 + moment.microsecond


def _ms(moment: time) -> int:
    """Return milliseconds since midnight of a clock time."""
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1000
