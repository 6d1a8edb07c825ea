"""UTC epoch milliseconds, the one way the collector's database keeps a moment.

Every conversion between an aware datetime and epoch milliseconds goes through here, so that
all of the collector rounds the same way (to the nearest millisecond, in exact integers).
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as clock_time
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def now_ms() -> int:
    """Return the wall clock in UTC epoch milliseconds."""
    return time.time_ns() // 1_000_000


def to_ms(moment: datetime) -> int:
    """Return an aware datetime as UTC epoch milliseconds, rounded to the nearest one."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a moment must be timezone-aware, got {moment!r}")
    # Integer microseconds: a float timestamp × 1000 can land a hair below a whole millisecond.
    return ((moment - EPOCH) // _MICROSECOND + 500) // 1000


def ts_ms(ts: str) -> int:
    """Return a press's checked RFC 3339 ts (milliseconds and an offset) as UTC epoch ms.

    The same integer as to_ms(datetime.fromisoformat(ts)), for the one shape a Press holds
    (protocol's RFC3339_MS, already a real date): ingest dates every press, and parsing each
    into an aware datetime to subtract it cost twice this. The minute and offset are looked
    up (a kiosk's presses share a few), the seconds and milliseconds added as digits.
    """
    return _minute_ms(ts[:16], ts[23:]) + int(ts[17:19] + ts[20:23])


@functools.lru_cache(maxsize=4096)
def _minute_ms(minute: str, offset: str) -> int:
    return to_ms(datetime.fromisoformat(minute + ":00.000" + offset))


def from_ms(ms: int, zone: tzinfo = UTC) -> datetime:
    """Return UTC epoch milliseconds as an aware datetime in `zone` (UTC unless told)."""
    return (EPOCH + timedelta(milliseconds=ms)).astimezone(zone)


def midnight_ms(day: date, tz: str) -> int:
    """Return the local midnight starting `day` in the zone `tz` as UTC epoch milliseconds."""
    return to_ms(datetime.combine(day, clock_time(0), ZoneInfo(tz)))


def local_text(ms: int, tz: str) -> str:
    """Format UTC epoch ms as local "dd/mm/yyyy HH:MM", as staff read and type times."""
    return from_ms(ms, ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")
