from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hailong.server.reporting.periods import (
    Period,
    custom,
    due_on,
    format_date_vi,
    format_dmy,
    named,
    parse_period,
    parse_user_date,
)

conventions = st.sampled_from(["calendar", "cutoff"])
years = st.integers(min_value=1990, max_value=2100)


def span(period: Period) -> tuple[date, date]:
    return period.start, period.end


@pytest.mark.parametrize(
    ("text", "convention", "start", "end"),
    [
        # The plan's own example.
        ("2026-Q1", "cutoff", date(2025, 12, 15), date(2026, 3, 14)),
        ("2026-Q1", "calendar", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-Q3", "cutoff", date(2024, 6, 15), date(2024, 9, 14)),
        ("2024-Q4", "calendar", date(2024, 10, 1), date(2024, 12, 31)),
        # January under cut-off starts in the previous year.
        ("2024-01", "cutoff", date(2023, 12, 15), date(2024, 1, 14)),
        ("2024-01", "calendar", date(2024, 1, 1), date(2024, 1, 31)),
        ("2024-02", "calendar", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-02", "calendar", date(2023, 2, 1), date(2023, 2, 28)),
        ("2024-03", "cutoff", date(2024, 2, 15), date(2024, 3, 14)),
        ("2024-12", "cutoff", date(2024, 11, 15), date(2024, 12, 14)),
        ("2024-H1", "calendar", date(2024, 1, 1), date(2024, 6, 30)),
        ("2024-H2", "calendar", date(2024, 7, 1), date(2024, 12, 31)),
        ("2024-H1", "cutoff", date(2023, 12, 15), date(2024, 6, 14)),
        ("2024-H2", "cutoff", date(2024, 6, 15), date(2024, 12, 14)),
        ("2024-9M", "calendar", date(2024, 1, 1), date(2024, 9, 30)),
        ("2024-9M", "cutoff", date(2023, 12, 15), date(2024, 9, 14)),
        ("2024", "calendar", date(2024, 1, 1), date(2024, 12, 31)),
        ("2024", "cutoff", date(2023, 12, 15), date(2024, 12, 14)),
    ],
)
def test_parse_period_boundaries(text, convention, start, end):
    period = parse_period(text, convention)
    assert span(period) == (start, end)
    assert period.convention == convention


@pytest.mark.parametrize(
    ("text", "convention", "days"),
    [
        ("2024-02", "calendar", 29),  # leap year
        ("2023-02", "calendar", 28),
        ("2024-03", "cutoff", 29),  # 15..29 Feb (15 days) + 1..14 Mar (14 days)
        ("2024", "calendar", 366),
        ("2024", "cutoff", 366),  # 15/12/2023..14/12/2024 contains 29/02/2024
        ("2025", "cutoff", 365),
    ],
)
def test_period_lengths(text, convention, days):
    assert parse_period(text, convention).days == days


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [
        ("2024-03", "month", "2024-03"),
        ("2024-3", "month", "2024-03"),
        (" 2024-q1 ", "quarter", "2024-Q1"),
        ("2024-h2", "half", "2024-H2"),
        ("2024-9m", "nine_months", "2024-9M"),
        ("2024", "year", "2024"),
        ("15/12/2025..14/03/2026", "custom", "2025-12-15..2026-03-14"),
        ("2025-12-15 .. 2026-03-14", "custom", "2025-12-15..2026-03-14"),
    ],
)
def test_parse_period_kinds_and_labels(text, kind, label):
    period = parse_period(text)
    assert (period.kind, period.label) == (kind, label)


@pytest.mark.parametrize(
    "text",
    ["", "March", "24-03", "2024-13", "2024-00", "2024-Q5", "2024-H3", "2024-6M", "2024-01-01"],
)
def test_parse_period_rejects_with_a_clear_message(text):
    with pytest.raises(ValueError, match=r"2024|1\.\.|period"):
        parse_period(text)


def test_parse_period_rejects_unknown_convention():
    with pytest.raises(ValueError, match="convention"):
        parse_period("2024-03", "fiscal")


def test_custom_range_and_its_title():
    period = custom(date(2025, 12, 15), date(2026, 3, 14))
    assert period.kind == "custom"
    assert period.days == 90  # 17 (15..31 Dec) + 31 + 28 + 14
    assert period.title_vi == "Từ ngày 15/12/2025 đến ngày 14/03/2026"


def test_custom_range_must_not_end_before_it_starts():
    with pytest.raises(ValueError, match="ends"):
        custom(date(2026, 3, 14), date(2026, 3, 1))


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("2024-03", "Tháng 03/2024"),
        ("2024-Q1", "Quý I/2024"),
        ("2024-Q2", "Quý II/2024"),
        ("2024-Q3", "Quý III/2024"),
        ("2024-Q4", "Quý IV/2024"),
        ("2024-H1", "6 tháng đầu năm 2024"),
        ("2024-H2", "6 tháng cuối năm 2024"),
        ("2024-9M", "9 tháng năm 2024"),
        ("2024", "Năm 2024"),
    ],
)
def test_title_vi(text, title):
    assert parse_period(text).title_vi == title
    assert parse_period(text, "cutoff").title_vi == title


def test_range_vi_of_a_cutoff_quarter():
    assert parse_period("2026-Q1", "cutoff").range_vi == "Từ ngày 15/12/2025 đến ngày 14/03/2026"


@pytest.mark.parametrize(
    ("text", "convention", "previous"),
    [
        ("2024-01", "calendar", "2023-12"),
        ("2024-03", "cutoff", "2024-02"),
        ("2024-Q1", "calendar", "2023-Q4"),
        ("2024-Q3", "cutoff", "2024-Q2"),
        ("2024-H1", "cutoff", "2023-H2"),
        ("2024-H2", "calendar", "2024-H1"),
        ("2024-9M", "calendar", "2023-9M"),
        ("2024", "cutoff", "2023"),
    ],
)
def test_previous_is_the_same_kind_before(text, convention, previous):
    assert parse_period(text, convention).previous() == parse_period(previous, convention)


def test_previous_cutoff_january_is_november_15_to_december_14():
    previous = parse_period("2024-01", "cutoff").previous()
    assert span(previous) == (date(2023, 11, 15), date(2023, 12, 14))


def test_previous_custom_is_the_same_length_just_before():
    previous = custom(date(2026, 3, 1), date(2026, 3, 10)).previous()
    assert span(previous) == (date(2026, 2, 19), date(2026, 2, 28))


def test_bounds_in_ho_chi_minh_are_utc_plus_7():
    start, end = parse_period("2024-03").bounds("Asia/Ho_Chi_Minh")
    # Local midnight at UTC+7 is 17:00 UTC the day before; the end is the next period's start.
    assert start == datetime(2024, 2, 29, 17, 0, tzinfo=UTC)
    assert end == datetime(2024, 3, 31, 17, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)


def test_bounds_of_the_plan_example_quarter():
    start, end = parse_period("2026-Q1", "cutoff").bounds("Asia/Ho_Chi_Minh")
    assert start == datetime(2025, 12, 14, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 14, 17, 0, tzinfo=UTC)


def test_bounds_in_another_time_zone():
    start, end = parse_period("2024").bounds("UTC")
    assert (start, end) == (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("day", "labels"),
    [
        (date(2026, 1, 28), ["2026-01"]),
        (date(2026, 2, 28), ["2026-02"]),
        (date(2026, 3, 28), ["2026-03", "2026-Q1"]),
        (date(2026, 4, 28), ["2026-04"]),
        (date(2026, 6, 28), ["2026-06", "2026-H1"]),
        (date(2026, 9, 28), ["2026-09", "2026-Q3", "2026-9M"]),
        (date(2026, 12, 28), ["2026-12", "2026"]),
    ],
)
def test_due_on_cutoff_publishes_what_closed_on_the_14th(day, labels):
    due = due_on(day, "cutoff")
    assert [p.label for p in due] == labels
    assert all(p.convention == "cutoff" and p.end == day.replace(day=14) for p in due)


def test_due_on_cutoff_quarter_one_is_the_plan_example():
    due = due_on(date(2026, 3, 28), "cutoff")
    assert span(due[1]) == (date(2025, 12, 15), date(2026, 3, 14))


@pytest.mark.parametrize(
    ("day", "labels"),
    [
        # Calendar periods end after the 28th, so each report waits for the next 28th.
        (date(2026, 3, 28), ["2026-02"]),
        (date(2026, 4, 28), ["2026-03", "2026-Q1"]),
        (date(2026, 7, 28), ["2026-06", "2026-H1"]),
        (date(2026, 10, 28), ["2026-09", "2026-Q3", "2026-9M"]),
        (date(2027, 1, 28), ["2026-12", "2026"]),
        (date(2026, 12, 28), ["2026-11"]),
    ],
)
def test_due_on_calendar_publishes_the_complete_periods(day, labels):
    assert [p.label for p in due_on(day, "calendar")] == labels


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 27), date(2026, 3, 29), date(2026, 3, 14), date(2026, 1, 1), date(2026, 12, 31)],
)
@pytest.mark.parametrize("convention", ["calendar", "cutoff"])
def test_due_on_an_ordinary_day_is_nothing(day, convention):
    assert due_on(day, convention) == []


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), conventions)
def test_due_reports_are_complete_and_published_on_the_first_28th_after(day, convention):
    for period in due_on(day, convention):
        assert period.end < day
        assert (day - period.end).days <= 31
        between = [period.end + timedelta(days=n) for n in range(1, (day - period.end).days)]
        assert all(d.day != 28 for d in between)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2024, 3, 5), "ngày 05 tháng 03 năm 2024"),
        (date(2025, 12, 28), "ngày 28 tháng 12 năm 2025"),
    ],
)
def test_format_date_vi(day, text):
    assert format_date_vi(day) == text


def test_format_dmy():
    assert format_dmy(date(2024, 3, 5)) == "05/03/2024"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("05/03/2024", date(2024, 3, 5)),
        ("5/3/2024", date(2024, 3, 5)),
        (" 29/02/2024 ", date(2024, 2, 29)),
        ("2024-03-05", date(2024, 3, 5)),
    ],
)
def test_parse_user_date(text, day):
    assert parse_user_date(text) == day


@pytest.mark.parametrize("text", ["2024/03/05", "05-03-2024", "5 tháng 3", "", "05/03/24"])
def test_parse_user_date_rejects_other_forms(text):
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        parse_user_date(text)


@pytest.mark.parametrize("text", ["31/02/2024", "29/02/2023", "2024-13-01"])
def test_parse_user_date_rejects_impossible_dates(text):
    with pytest.raises(ValueError, match="no such date"):
        parse_user_date(text)


@given(years, conventions)
def test_months_tile_the_year_without_gaps_or_overlaps(year, convention):
    months = [named("month", year, m, convention) for m in range(1, 13)]
    whole = named("year", year, 1, convention)
    assert months[0].start == whole.start and months[-1].end == whole.end
    for before, after in zip(months, months[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    assert sum(m.days for m in months) == whole.days
    following = named("month", year + 1, 1, convention)
    assert following.start == months[-1].end + timedelta(days=1)


@given(years, conventions, st.sampled_from([("quarter", 4), ("half", 2)]))
def test_quarters_and_halves_tile_the_year(year, convention, kind_count):
    kind, count = kind_count
    parts = [named(kind, year, i, convention) for i in range(1, count + 1)]
    whole = named("year", year, 1, convention)
    assert (parts[0].start, parts[-1].end) == (whole.start, whole.end)
    for before, after in zip(parts, parts[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)


@given(years, conventions, st.sampled_from(["month", "quarter", "half", "year"]), st.data())
def test_previous_ends_the_day_before(year, convention, kind, data):
    index = data.draw(st.integers(1, {"month": 12, "quarter": 4, "half": 2, "year": 1}[kind]))
    period = named(kind, year, index, convention)
    assert period.previous().end == period.start - timedelta(days=1)


@given(years, conventions, st.sampled_from(["month", "quarter", "half", "nine_months", "year"]))
def test_labels_read_back_to_the_same_period(year, convention, kind):
    period = named(kind, year, 1, convention)
    assert parse_period(period.label, convention) == period


@given(st.dates(), st.integers(min_value=0, max_value=400))
def test_custom_previous_is_adjacent_and_as_long(start, length):
    end = (
        start + timedelta(days=length)
        if start.toordinal() + length <= date.max.toordinal()
        else start
    )
    period = custom(start, end)
    if period.start.toordinal() - period.days < 1:
        return  # would run before year 1
    previous = period.previous()
    assert previous.end == period.start - timedelta(days=1)
    assert previous.days == period.days
    assert parse_period(period.label) == period


def test_every_month_and_quarter_has_a_title():
    # The title table is built whole: a month past April once raised KeyError for the quarter.
    assert [named("month", 2024, m).title_vi for m in (5, 12)] == ["Tháng 05/2024", "Tháng 12/2024"]
    assert named("quarter", 2024, 4).title_vi == "Quý IV/2024"


def test_bounds_ms_are_local_midnights_as_utc_milliseconds():
    first, end = custom(date(2024, 3, 1), date(2024, 3, 31)).bounds_ms("Asia/Ho_Chi_Minh")
    # 01/03/2024 00:00 +07:00 = 29/02/2024 17:00 UTC; the end is 01/04 00:00 +07:00.
    assert first == int(datetime(2024, 2, 29, 17, tzinfo=UTC).timestamp() * 1000)
    assert end == int(datetime(2024, 3, 31, 17, tzinfo=UTC).timestamp() * 1000)


def test_now_typed_as_nothing_is_never_ahead_of_the_clock():
    """An empty "from" is now: a whole millisecond, never after a now_ms() read just after it.

    A duty started "now" was once refused as starting in the future: datetime.now() rounded up.
    """
    from hailong.server.epoch import now_ms, to_ms
    from hailong.server.reporting.periods import parse_local_time

    for _ in range(200):
        moment = parse_local_time(None, "Asia/Ho_Chi_Minh")
        assert moment.microsecond % 1000 == 0
        assert to_ms(moment) <= now_ms()
