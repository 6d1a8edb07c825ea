"""Office hours: one rule, and the flag query's SQL narrowing agrees with it at every border."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from hailong.server.reporting.flags import flag_candidates
from hailong.server.reporting.hours import OfficeHours, weekday_hours
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.db import presses
from tests.server.report_world import ms, press_row

HCM = timezone(timedelta(hours=7))
TET = date(2024, 2, 12)  # a Monday
SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", holidays=(TET.isoformat(),),
                          saturday_hours=(("07:30", "11:30"),))  # fmt: skip
MOMENTS = [  # the borders of each span, lunch, evening, Saturday, Sunday, a holiday
    datetime(2024, 3, 4, h, m, s, tzinfo=HCM)
    for h, m, s in [(7, 29, 59), (7, 30, 0), (11, 29, 59), (11, 30, 0), (12, 0, 0),
                    (13, 29, 59), (13, 30, 0), (16, 59, 59), (17, 0, 0), (23, 59, 59)]
] + [datetime(2024, 3, 9, 7, 30, tzinfo=HCM), datetime(2024, 3, 9, 11, 30, tzinfo=HCM),
     datetime(2024, 3, 10, 9, 0, tzinfo=HCM), datetime(2024, 2, 12, 9, 0, tzinfo=HCM)]  # fmt: skip


def test_is_open_at_the_borders():
    office = SETTINGS.office
    opened = [office.is_open(moment) for moment in MOMENTS]
    assert opened == [False, True, True, False, False, False, True, True, False, False,
                      True, False, False, False]  # fmt: skip
    assert office.is_open_ms(ms(MOMENTS[1])) and not office.is_open_ms(ms(MOMENTS[3]))


def test_a_span_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="end before"):
        OfficeHours({0: [("11:30", "07:30")]}, (), "Asia/Ho_Chi_Minh")
    assert weekday_hours([("07:30", "11:30")]).keys() == {0, 1, 2, 3, 4}


def test_the_flag_query_picks_exactly_the_presses_is_open_refuses(engine):
    rows = [press_row("k1", seq, 4, moment) for seq, moment in enumerate(MOMENTS, start=1)]
    with engine.begin() as conn:
        conn.execute(insert(presses), rows)
    start, end = ms(datetime(2024, 2, 1, tzinfo=HCM)), ms(datetime(2024, 4, 1, tzinfo=HCM))
    with engine.connect() as conn:
        found = flag_candidates(conn, start, end, SETTINGS.flag_rules)
    closed = {
        seq for seq, moment in enumerate(MOMENTS, start=1) if not SETTINGS.office.is_open(moment)
    }
    assert {seq for _device, seq in found} == closed


def test_the_integer_judge_agrees_with_is_open_at_every_border_and_at_random():
    office = OfficeHours({**SETTINGS.hours, 2: [("07:30:15", "11:29:30.5")]},
                         frozenset(SETTINGS.holiday_dates), "Asia/Ho_Chi_Minh")  # fmt: skip
    start, end = ms(datetime(2024, 1, 1, tzinfo=HCM)), ms(datetime(2025, 1, 1, tzinfo=HCM))
    judge = office.judge_ms(start, end)
    assert judge != office.is_open_ms  # one offset all year: the integer path
    moments = [ms(m) + d for m in MOMENTS for d in (-1, 0, 1)]
    moments += [ms(datetime(2024, 3, 6, 7, 30, 15, tzinfo=HCM)) + d for d in (-1, 0, 1)]
    moments += [ms(datetime(2024, 3, 6, 11, 29, 30, tzinfo=HCM)) + d for d in (499, 500, 501)]
    rng = random.Random(15)
    moments += [rng.randrange(start, end) for _ in range(20_000)]
    assert [judge(m) for m in moments] == [office.is_open_ms(m) for m in moments]


def test_a_zone_that_changes_offset_is_judged_by_is_open():
    office = OfficeHours(SETTINGS.hours, frozenset(), "Europe/Berlin")
    start = ms(datetime(2024, 3, 1, tzinfo=UTC))
    end = ms(datetime(2024, 4, 30, tzinfo=UTC))
    assert office.judge_ms(start, end) == office.is_open_ms  # summer time starts in the range
