"""Which period a page shows: read from the query string, offered in a list, today's by default."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from hailong.server.reporting.periods import (
    CONVENTIONS,
    CUTOFF_DAY,
    Period,
    custom,
    named,
    parse_period,
    parse_user_date,
)
from hailong.server.web.i18n import gettext, period_title

MAX_CUSTOM_DAYS = 3 * 366  # a longer range is not a report anyone publishes


def chosen_period(args: Mapping[str, str], today: date, default_convention: str) -> Period:
    """Return the period the query asks for: ?period=…, ?from=…&to=…, else the current month.

    Raise ValueError with a message for the visitor when the query cannot be read.
    """
    convention = args.get("convention") or default_convention
    if convention not in CONVENTIONS:
        raise ValueError(gettext("Không rõ cách tính kỳ: {value}", value=convention[:40]))
    first, last = args.get("from", "").strip(), args.get("to", "").strip()
    if first or last:
        return _custom(first, last)
    label = args.get("period", "").strip()
    if not label:
        return current_month(today, convention)
    try:
        return parse_period(label[:40], convention)
    except ValueError:
        raise ValueError(gettext("Không đọc được kỳ báo cáo: {value}", value=label[:40])) from None


def current_month(today: date, convention: str) -> Period:
    """Return the month that holds today (under the cut-off, the 15th opens the next month)."""
    year, month = today.year, today.month
    if convention == "cutoff" and today.day > CUTOFF_DAY:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return named("month", year, month, convention)


def period_options(today: date, chosen: Period) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the periods offered in the chooser, grouped by year, newest first."""
    convention = chosen.convention
    groups = []
    years = sorted({today.year, today.year - 1, today.year - 2, chosen.start.year,
                    chosen.end.year}, reverse=True)  # fmt: skip
    for year in years:
        items = [named("year", year, 1, convention), named("nine_months", year, 1, convention)]
        items += [named("half", year, i, convention) for i in (2, 1)]
        items += [named("quarter", year, i, convention) for i in (4, 3, 2, 1)]
        items += [named("month", year, m, convention) for m in range(12, 0, -1)]
        shown = [(p.label, period_title(p)) for p in items if p.start <= today or p == chosen]
        groups.append((str(year), shown))
    return groups


def _custom(first: str, last: str) -> Period:
    try:
        start, end = parse_user_date(first[:20]), parse_user_date(last[:20])
    except ValueError:
        raise ValueError(gettext("Hãy nhập cả hai ngày, dạng dd/mm/yyyy.")) from None
    if end < start:
        raise ValueError(gettext("Ngày kết thúc trước ngày bắt đầu."))
    if (end - start).days > MAX_CUSTOM_DAYS:
        raise ValueError(gettext("Khoảng thời gian dài quá 3 năm."))
    return custom(start, end)
