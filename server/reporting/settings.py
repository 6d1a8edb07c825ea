"""What a report needs beyond the data: the unit, its signer, office hours and targets.

Loaded from a TOML file (`hailong-collector report --settings report.toml`); every key is
optional but unit_name and place, without which no report is printed. The time zone is the
collector's own (its configuration's `time_zone`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hailong.protocol.tomlconf import invalid, load
from hailong.server.reporting.flags import FlagRules
from hailong.server.reporting.hours import OfficeHours, interval, weekday_hours


@dataclass(frozen=True)
class ProvinceFrame:
    """The consolidated report's frame: the body that sends it upward, its recipients and signer.

    A `[province]` table of the report settings file. Nothing here names a district: since
    1/7/2025 the province's Sở Nội vụ (or whoever the province names) consolidates its communes.
    """

    SECTION: ClassVar[str] = "province"  # where these keys sit in the settings file
    unit_name: str = ""  # e.g. "Sở Nội vụ"; required for a consolidated report
    parent_name: str = ""  # e.g. "Ủy ban nhân dân tỉnh An Giang"
    place: str = ""  # địa danh in "<place>, ngày … tháng … năm …"; required
    number: str = "Số:      /BC"
    recipients: tuple[str, ...] = ("Như trên", "Lưu: VT")
    signer_authority: str = ""  # TM./KT./TL.; "" for none
    signer_title: str = "GIÁM ĐỐC"
    signer_name: str = ""


@dataclass(frozen=True)
class ReportSettings:
    """What a report needs beyond the data: the unit, its signer, office hours and targets."""

    unit_name: str = ""  # required for a report (formats/frame.py refuses one without it)
    parent_name: str = ""  # the governing body printed above the unit, if any
    place: str = ""  # địa danh in "<place>, ngày … tháng … năm …"; required for a report
    number: str = "Số:      /BC-UBND"
    recipients: tuple[str, ...] = ("Như trên", "Lưu: VT")
    signer_authority: str = "TM. ỦY BAN NHÂN DÂN"  # TM./KT./TL.; "" for none
    signer_title: str = "CHỦ TỊCH"
    signer_name: str = ""
    office_hours: tuple[tuple[str, str], ...] = (("07:30", "11:30"), ("13:30", "17:00"))
    saturday_hours: tuple[tuple[str, str], ...] = ()
    holidays: tuple[str, ...] = ()  # ISO dates, e.g. the Tết days
    coverage_target: float = 0.80
    min_sample: int = 30
    # The collector's configured zone, set by report_settings, never from the report settings
    # file; None until then, so that no report silently assumes a zone.
    time_zone: str | None = field(default=None, metadata={"internal": True})
    burst_window_s: float = 10.0
    burst_max: int = 3
    flag_limit: int = 100_000  # most presses examined one by one per flag; beyond: "at least"
    province: ProvinceFrame = field(default_factory=ProvinceFrame)  # the report upward's frame

    def __post_init__(self) -> None:
        checks = (
            ("coverage_target", 0 < self.coverage_target <= 1, "must be a fraction in (0, 1]"),
            ("min_sample", self.min_sample >= 1, "must be at least 1"),
            ("burst_window_s", self.burst_window_s > 0, "must be more than 0"),
            ("burst_max", self.burst_max >= 1, "must be at least 1"),
            ("flag_limit", self.flag_limit >= 1, "must be at least 1"),
        )
        for key, ok, problem in checks:
            if not ok:
                raise invalid(key, f"{problem}, got {getattr(self, key)!r}")
        if self.time_zone is not None:
            _check("time_zone", lambda: ZoneInfo(self.time_zone))
        _check("office_hours", lambda: _check_hours(self.office_hours))
        _check("saturday_hours", lambda: _check_hours(self.saturday_hours))
        _check("holidays", lambda: self.holiday_dates)

    @property
    def zone(self) -> str:
        """Return the collector's time zone; refuse settings that were never given one."""
        if self.time_zone is None:
            raise ValueError(
                "report settings without a time zone: build them with "
                "report_settings(path, config.time_zone)"
            )
        return self.time_zone

    @property
    def hours(self) -> dict[int, list[tuple[str, str]]]:
        """Return office hours per weekday as metrics expects them."""
        return weekday_hours(self.office_hours, self.saturday_hours)

    @property
    def holiday_dates(self) -> tuple[date, ...]:
        """Return the public holidays as dates."""
        return tuple(date.fromisoformat(day) for day in self.holidays)

    @property
    def office(self) -> OfficeHours:
        """Return when the office is open, in the collector's time zone."""
        return OfficeHours(self.hours, frozenset(self.holiday_dates), self.zone)

    @property
    def flag_rules(self) -> FlagRules:
        """Return what the flag queries need to know."""
        return FlagRules(self.hours, self.holiday_dates, self.zone,
                           self.burst_window_s, self.burst_max)  # fmt: skip


def report_settings(path: Path | None, time_zone: str) -> ReportSettings:
    """Load report settings (defaults without a file) in the collector's configured zone."""
    return replace(load(ReportSettings, path) if path else ReportSettings(), time_zone=time_zone)


def _check(key: str, parse: Callable[[], object]) -> None:
    """Run a parse; turn its failure into a configuration error naming the key."""
    try:
        parse()
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        raise invalid(key, str(exc)) from None


def _check_hours(pairs: Sequence[tuple[str, str]]) -> None:
    """Refuse anything but (start, end) pairs of HH:MM times with the start first."""
    for pair in pairs:
        interval(pair)
