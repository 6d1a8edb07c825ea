"""The collector's numbers: level counts, satisfaction rate, screening, coverage, breakdowns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from hailong.protocol import LEVELS as PROTOCOL_LEVELS
from hailong.server.reporting.hours import OfficeHours

# The level names, best first, are the wire contract's; every table, page and command reads them here.
LEVEL_NAMES = PROTOCOL_LEVELS
LEVELS = tuple(sorted(LEVEL_NAMES))  # 1 Không hài lòng .. 4 Rất hài lòng
BEST_FIRST = tuple(LEVEL_NAMES)  # 4 .. 1, as on the kiosk and in every table
SATISFIED = (3, 4)
MODES = ("live", "test")
BREAKDOWN_KEYS = ("counter", "device", "field", "official")


@dataclass(frozen=True)
class Rating:
    """One citizen's press as stored, with its attribution and any exclusion."""

    device: str
    seq: int
    rating: int
    reason: int | None
    at: datetime
    official: str | None = None
    counter: str | None = None
    field: str | None = None
    mode: str = "live"
    excluded: str | None = None  # why a correction excluded it, e.g. "test press"

    def __post_init__(self) -> None:
        if self.rating not in LEVELS:
            raise ValueError(f"rating must be one of {LEVELS}, got {self.rating!r}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"rating time must be timezone-aware, got {self.at!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")


@dataclass(frozen=True)
class LevelStats:
    """Counts and shares per level, satisfaction rate and mean score of a set of ratings."""

    counts: dict[int, int]
    total: int
    shares: dict[int, float | None]  # percent of total; None when there are no ratings
    rate: float | None  # (level 4 + level 3) ÷ total × 100
    mean: float | None  # mean level, 1..4

    @property
    def satisfied(self) -> int:
        """Return the number of Rất hài lòng and Hài lòng ratings."""
        return sum(self.counts[level] for level in SATISFIED)


@dataclass(frozen=True)
class Filtering:
    """What a report counts: raw, accepted and filtered presses, plus flags on the accepted."""

    raw: int
    accepted: int
    filtered: dict[str, int]  # reason -> count: "test", "excluded: <reason>"
    accepted_ratings: tuple[Rating, ...]
    outside_hours: tuple[Rating, ...]  # flagged, still counted
    bursts: tuple[Rating, ...]  # flagged, still counted


@dataclass(frozen=True)
class Coverage:
    """Ratings against resolved dossiers in one field, and the ratings still needed."""

    field: str
    ratings: int
    dossiers: int | None  # None when no dossier count was entered
    ratio: float | None  # ratings ÷ dossiers, a fraction (0.8 = 80%)
    meets_target: bool | None  # None when there is nothing to measure against
    needed: int | None  # extra ratings to get strictly above the target

    @property
    def percent(self) -> float | None:
        """Return the coverage ratio in percent (× 100 before ÷, so that 41 of 80 prints 51,3)."""
        return None if self.ratio is None else self.ratings * 100 / self.dossiers


@dataclass(frozen=True)
class Trend:
    """A period's totals against the previous period's."""

    current: LevelStats
    previous: LevelStats
    total_diff: int
    total_change_pct: float | None  # relative change in the number of ratings
    rate_diff: float | None  # percentage points
    share_diffs: dict[int, float | None]  # percentage points per level


def level_counts(ratings: Iterable[Rating]) -> LevelStats:
    """Count ratings per level and derive shares, satisfaction rate and mean."""
    counts = dict.fromkeys(LEVELS, 0)
    for rating in ratings:
        counts[rating.rating] += 1
    return stats_from_counts(counts)


def stats_from_counts(counts: dict[int, int]) -> LevelStats:
    """Derive shares, satisfaction rate and mean from counts per level (e.g. a GROUP BY)."""
    counts = {level: int(counts.get(level, 0)) for level in LEVELS}
    total = sum(counts.values())
    if total == 0:
        return LevelStats(counts, 0, dict.fromkeys(LEVELS), None, None)
    # × 100 before ÷: 41 of 80 is 51.25 exactly, where 41 / 80 * 100 is 51.24999… and prints 51,2.
    shares = {level: counts[level] * 100 / total for level in LEVELS}
    rate = sum(counts[level] for level in SATISFIED) * 100 / total
    mean = sum(level * counts[level] for level in LEVELS) / total
    return LevelStats(counts, total, shares, rate, mean)


def fmt_pct(value: float | None, lang: str = "vi", digits: int = 1) -> str:
    """Format a percentage with one decimal: "82,7%" in Vietnamese, "82.7%" in English."""
    if value is None:
        return "-"
    return f"{_round_half_up(value, digits, lang)}%"


def fmt_points(value: float | None, lang: str = "vi", digits: int = 1) -> str:
    """Format a signed difference in percentage points: "+1,2", "-0,5", "0,0"."""
    if value is None:
        return "-"
    text = _round_half_up(value, digits, lang)
    return text if text.startswith("-") or set(text) <= set("0.,") else f"+{text}"


def accepted_and_filtered(
    ratings: Iterable[Rating],
    *,
    office_hours: Mapping[int, Sequence[tuple[str, str]]],
    tz: str,
    holidays: Iterable[date] = (),
    burst_window_s: float = 10.0,
    burst_max: int = 3,
) -> Filtering:
    """Split presses into accepted and filtered, and flag odd hours and bursts among the accepted.

    `office_hours` maps a weekday (0 = Monday) to its open intervals [start, end) as "HH:MM";
    a weekday left out is closed. A burst is more than `burst_max` presses on one device within
    `burst_window_s` seconds (inclusive); every press in it is flagged.
    """
    everything = list(ratings)
    accepted = [rating for rating in everything if _filter_reason(rating) is None]
    filtered = filtered_reasons(everything)
    office = OfficeHours(office_hours, frozenset(holidays), tz)
    odd = tuple(r for r in accepted if not office.is_open(r.at))
    burst_keys = _burst_keys(accepted, burst_window_s, burst_max)
    bursts = tuple(r for r in accepted if (r.device, r.seq) in burst_keys)
    return Filtering(len(everything), len(accepted), filtered, tuple(accepted), odd, bursts)


def filtered_reasons(ratings: Iterable[Rating]) -> dict[str, int]:
    """Count the presses not counted, per reason: "test", "excluded: <why>"."""
    filtered: dict[str, int] = {}
    for rating in ratings:
        reason = _filter_reason(rating)
        if reason is not None:
            filtered[reason] = filtered.get(reason, 0) + 1
    return filtered


def coverage_by_field(
    ratings_by_field: Mapping[str, int], dossiers_by_field: Mapping[str, int], target: float = 0.80
) -> list[Coverage]:
    """Compare ratings with resolved dossiers per field against a "more than target" rule.

    Fields come in the order of the dossier counts (the office's field list), then fields
    that only have ratings.
    """
    # Exact fractions: 8 ratings for 10 dossiers is exactly 80%, which is not "more than 80%".
    goal = Fraction(str(target))
    fields = list(dossiers_by_field) + [f for f in ratings_by_field if f not in dossiers_by_field]
    return [
        _coverage(field, ratings_by_field.get(field, 0), dossiers_by_field.get(field), goal)
        for field in fields
    ]


def by_key(ratings: Iterable[Rating], key: str) -> dict[str | None, LevelStats]:
    """Group ratings by counter, device, field or official; unattributed ones under None, last."""
    if key not in BREAKDOWN_KEYS:
        raise ValueError(f"cannot group by {key!r}; expected one of {BREAKDOWN_KEYS}")
    groups: dict[str | None, list[Rating]] = {}
    for rating in ratings:
        groups.setdefault(getattr(rating, key), []).append(rating)
    order = sorted(groups, key=lambda value: (value is None, value or ""))
    return {value: level_counts(groups[value]) for value in order}


def hour_weekday(ratings: Iterable[Rating], tz: str) -> list[list[int]]:
    """Count ratings by local weekday (rows, Monday first) and hour (columns 0..23)."""
    zone = ZoneInfo(tz)
    matrix = [[0] * 24 for _ in range(7)]
    for rating in ratings:
        local = rating.at.astimezone(zone)
        matrix[local.weekday()][local.hour] += 1
    return matrix


def compare(current: LevelStats, previous: LevelStats) -> Trend:
    """Compare a period's stats with the previous period's, in counts and percentage points."""
    change = None
    if previous.total:
        change = (current.total - previous.total) / previous.total * 100
    shares = {level: _diff(current.shares[level], previous.shares[level]) for level in LEVELS}
    rate = _diff(current.rate, previous.rate)
    return Trend(current, previous, current.total - previous.total, change, rate, shares)


def _round_half_up(value: float, digits: int, lang: str) -> str:
    """Round as people do by hand (82,65 -> 82,7), not to the nearest binary float."""
    quantum = Decimal(1).scaleb(-digits)
    text = str(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]  # -0.0 reads as a change; show 0.0
    return text.replace(".", ",") if lang == "vi" else text


def _filter_reason(rating: Rating) -> str | None:
    """Return why a press is not counted, or None when it is accepted."""
    if rating.mode == "test":
        return "test"
    if rating.excluded is not None:
        return f"excluded: {rating.excluded}"
    return None


def _burst_keys(ratings: Sequence[Rating], window_s: float, most: int) -> set[tuple[str, int]]:
    """Return (device, seq) of presses in any window holding more than `most` on one device."""
    by_device: dict[str, list[Rating]] = {}
    for rating in ratings:
        by_device.setdefault(rating.device, []).append(rating)
    keys: set[tuple[str, int]] = set()
    for presses in by_device.values():
        presses.sort(key=lambda r: r.at)
        first = unflagged = 0
        for last, press in enumerate(presses):
            while (press.at - presses[first].at).total_seconds() > window_s:
                first += 1
            if last - first + 1 > most:
                # Windows overlap; start past what is already flagged to stay linear.
                keys.update((r.device, r.seq) for r in presses[max(first, unflagged) : last + 1])
                unflagged = last + 1
    return keys


def _coverage(field: str, ratings: int, dossiers: int | None, goal: Fraction) -> Coverage:
    """Measure one field's coverage; `needed` is the least k with (ratings + k) ÷ dossiers > goal."""
    if dossiers is None:
        return Coverage(field, ratings, None, None, None, None)
    if dossiers == 0:
        return Coverage(field, ratings, 0, None, None, 0)
    meets = Fraction(ratings, dossiers) > goal
    # floor(goal × dossiers) + 1 is the smallest count strictly above the goal.
    needed = max(0, int(goal * dossiers) + 1 - ratings)
    return Coverage(field, ratings, dossiers, ratings / dossiers, meets, needed)


def _diff(current: float | None, previous: float | None) -> float | None:
    """Subtract when both sides exist."""
    return None if current is None or previous is None else current - previous
