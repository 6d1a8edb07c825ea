from datetime import UTC, date, datetime, timedelta, timezone
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hailong.server.reporting.hours import weekday_hours
from hailong.server.reporting.metrics import (
    Rating,
    accepted_and_filtered,
    by_key,
    compare,
    coverage_by_field,
    fmt_pct,
    fmt_points,
    hour_weekday,
    level_counts,
)

HCM = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no daylight saving
MONDAY = datetime(2024, 3, 4, 9, 0, tzinfo=HCM)
OFFICE = weekday_hours([("07:30", "11:30"), ("13:30", "17:00")])
_seq = count(1)


def press(level: int, at: datetime = MONDAY, device: str = "kiosk-1", **kw) -> Rating:
    return Rating(device=device, seq=next(_seq), rating=level, reason=None, at=at, **kw)


def presses(levels, **kw) -> list[Rating]:
    return [press(level, **kw) for level in levels]


def screen(ratings, **kw):
    options = {
        "office_hours": OFFICE,
        "tz": "Asia/Ho_Chi_Minh",
        "burst_window_s": 10,
        "burst_max": 3,
    }
    options |= kw
    return accepted_and_filtered(ratings, **options)


def test_level_counts_by_hand():
    # 3 × level 4, 4 × level 3, 2 × level 2, 1 × level 1 = 10 ratings
    stats = level_counts(presses([4, 4, 4, 3, 3, 3, 3, 2, 2, 1]))
    assert stats.counts == {4: 3, 3: 4, 2: 2, 1: 1}
    assert stats.total == 10
    assert stats.shares == {4: 30.0, 3: 40.0, 2: 20.0, 1: 10.0}
    assert stats.rate == 70.0  # (3 + 4) ÷ 10 × 100
    assert stats.mean == pytest.approx(2.9)  # (12 + 12 + 4 + 1) ÷ 10
    assert stats.satisfied == 7


def test_level_counts_thirds():
    # 1 each of 4, 3, 1: shares 33.33…%, rate 2 ÷ 3 = 66.67%, mean 8 ÷ 3
    stats = level_counts(presses([4, 3, 1]))
    assert stats.shares[2] == 0.0
    assert stats.shares[4] == pytest.approx(100 / 3)
    assert fmt_pct(stats.rate) == "66,7%"
    assert stats.mean == pytest.approx(8 / 3)


def test_level_counts_of_nothing_is_none_not_zero_division():
    stats = level_counts([])
    assert stats.total == 0
    assert stats.counts == {1: 0, 2: 0, 3: 0, 4: 0}
    assert stats.shares == {1: None, 2: None, 3: None, 4: None}
    assert (stats.rate, stats.mean) == (None, None)


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (82.66, "vi", "82,7%"),
        (80.08, "vi", "80,1%"),
        (82.25, "vi", "82,3%"),  # half up, as by hand; "%.1f" would print 82.2
        (82.66, "en", "82.7%"),
        (0, "vi", "0,0%"),
        (100, "vi", "100,0%"),
        (None, "vi", "-"),
    ],
)
def test_fmt_pct(value, lang, text):
    assert fmt_pct(value, lang) == text


@pytest.mark.parametrize(
    ("value", "text"), [(1.25, "+1,3"), (-0.5, "-0,5"), (0.0, "0,0"), (-0.04, "0,0"), (None, "-")]
)
def test_fmt_points(value, text):
    assert fmt_points(value) == text


def test_rating_rejects_bad_values():
    with pytest.raises(ValueError, match="rating"):
        press(5)
    with pytest.raises(ValueError, match="timezone"):
        press(4, at=datetime(2024, 3, 4, 9, 0))
    with pytest.raises(ValueError, match="mode"):
        press(4, mode="demo")


def test_filtering_counts_raw_accepted_and_reasons():
    ratings = [
        *presses([4, 4, 3]),
        press(4, mode="test"),
        press(1, excluded="test press"),
        press(1, excluded="test press"),
        press(2, mode="test", excluded="test press"),  # test mode wins: never counted at all
    ]
    result = screen(ratings)
    # 7 raw = 3 accepted + 2 test + 2 excluded
    assert (result.raw, result.accepted) == (7, 3)
    assert result.filtered == {"test": 2, "excluded: test press": 2}
    assert [r.rating for r in result.accepted_ratings] == [4, 4, 3]


def test_office_hours_are_flagged_not_dropped():
    inside = [
        press(4, at=MONDAY.replace(hour=7, minute=30)),  # opening minute
        press(4, at=datetime(2024, 3, 4, 1, 0, tzinfo=UTC)),  # 08:00 local
        press(4, at=MONDAY.replace(hour=16, minute=59)),
    ]
    outside = [
        press(3, at=MONDAY.replace(hour=7, minute=29)),
        press(3, at=MONDAY.replace(hour=11, minute=30)),  # intervals end exclusive
        press(3, at=MONDAY.replace(hour=12, minute=0)),  # lunch break
        press(3, at=datetime(2024, 3, 9, 9, 0, tzinfo=HCM)),  # Saturday, closed by default
        press(3, at=datetime(2024, 3, 4, 11, 0, tzinfo=UTC)),  # 18:00 local
    ]
    result = screen(inside + outside)
    assert result.accepted == 8
    assert set(result.outside_hours) == set(outside)
    assert result.bursts == ()


def test_saturday_hours_and_holidays():
    saturday = press(4, at=datetime(2024, 3, 9, 9, 0, tzinfo=HCM))
    holiday = press(4, at=datetime(2024, 4, 30, 9, 0, tzinfo=HCM))  # a Tuesday, 30/4
    hours = weekday_hours([("07:30", "11:30")], saturday=[("07:30", "11:30")])
    result = screen([saturday, holiday], office_hours=hours, holidays={date(2024, 4, 30)})
    assert result.outside_hours == (holiday,)


def test_office_hours_must_end_after_they_start():
    with pytest.raises(ValueError, match="end before"):
        screen([press(4)], office_hours={0: [("11:30", "07:30")]})


def at_seconds(*offsets: float) -> list[datetime]:
    return [MONDAY + timedelta(seconds=s) for s in offsets]


def test_bursts_are_more_than_burst_max_within_the_window():
    burst = [press(4, at=t, device="d-burst") for t in at_seconds(0, 2, 4, 6)]  # 4 in 6 s
    edge = [press(4, at=t, device="d-edge") for t in at_seconds(0, 3, 7, 10)]  # 4 in exactly 10 s
    three = [press(4, at=t, device="d-three") for t in at_seconds(0, 1, 2)]  # only 3
    spread = [press(4, at=t, device="d-spread") for t in at_seconds(0, 5, 10, 16)]  # ≤3 per 10 s
    result = screen(burst + edge + three + spread)
    assert set(result.bursts) == set(burst + edge)
    assert result.accepted == 15  # flagged, still counted


def test_bursts_are_per_device_and_ignore_filtered_presses():
    # 4 presses in 3 s, but spread over two devices, or one of them a test press.
    mixed = [press(4, at=t, device=d) for t, d in zip(at_seconds(0, 1, 2, 3), "abab", strict=True)]
    with_test = [press(4, at=t, device="c") for t in at_seconds(0, 1, 2)]
    with_test.append(press(4, at=MONDAY + timedelta(seconds=3), device="c", mode="test"))
    assert screen(mixed + with_test).bursts == ()


def test_coverage_by_field_by_hand():
    ratings = {"Hộ tịch": 8, "Chứng thực": 45, "Đất đai": 0, "Khác": 3}
    dossiers = {"Hộ tịch": 10, "Chứng thực": 50, "Đất đai": 7, "Nuôi con nuôi": 0}
    rows = {row.field: row for row in coverage_by_field(ratings, dossiers)}
    assert list(rows) == ["Hộ tịch", "Chứng thực", "Đất đai", "Nuôi con nuôi", "Khác"]
    # 8 ÷ 10 = 80% is not "more than 80%": 9 ÷ 10 is, so one more.
    assert (rows["Hộ tịch"].ratio, rows["Hộ tịch"].meets_target, rows["Hộ tịch"].needed) == (
        0.8,
        False,
        1,
    )
    assert rows["Hộ tịch"].percent == pytest.approx(80.0)
    # 45 ÷ 50 = 90%
    assert (rows["Chứng thực"].meets_target, rows["Chứng thực"].needed) == (True, 0)
    # 5 ÷ 7 = 71.4%, 6 ÷ 7 = 85.7%: six needed
    assert (rows["Đất đai"].ratio, rows["Đất đai"].needed) == (0.0, 6)
    # nothing resolved: nothing to cover, no ratio
    assert (rows["Nuôi con nuôi"].ratio, rows["Nuôi con nuôi"].meets_target) == (None, None)
    assert rows["Nuôi con nuôi"].needed == 0
    # ratings but no dossier count entered: unknown
    khac = rows["Khác"]
    assert (khac.dossiers, khac.ratio, khac.meets_target, khac.needed) == (None, None, None, None)


@pytest.mark.parametrize(
    ("ratings", "dossiers", "target", "needed"),
    [
        (4, 5, 0.80, 1),  # 80% exactly → 5 ÷ 5
        (0, 1, 0.80, 1),  # 1 ÷ 1 = 100%
        (98, 123, 0.80, 1),  # 98 ÷ 123 = 79.7%, 99 ÷ 123 = 80.5%
        (80, 100, 0.80, 1),
        (81, 100, 0.80, 0),
        (9, 10, 0.9, 1),  # 90% exactly, target 90%
        (12, 10, 0.80, 0),  # more ratings than dossiers
        (0, 1000, 0.80, 801),
    ],
)
def test_coverage_needed_edges(ratings, dossiers, target, needed):
    [row] = coverage_by_field({"f": ratings}, {"f": dossiers}, target)
    assert row.needed == needed
    assert row.meets_target == (needed == 0)


@given(st.integers(0, 5000), st.integers(1, 5000), st.sampled_from([0.5, 0.8, 0.85, 0.9]))
def test_coverage_needed_is_the_least_that_exceeds_the_target(ratings, dossiers, target):
    [row] = coverage_by_field({"f": ratings}, {"f": dossiers}, target)
    goal = round(target * 100)
    assert (ratings + row.needed) * 100 > goal * dossiers
    if row.needed:
        assert (ratings + row.needed - 1) * 100 <= goal * dossiers


def test_by_key_groups_with_unattributed_last():
    ratings = [
        *presses([4, 3], counter="Quầy 2"),
        *presses([1], counter="Quầy 1"),
        *presses([4], counter=None),
    ]
    groups = by_key(ratings, "counter")
    assert list(groups) == ["Quầy 1", "Quầy 2", None]
    assert groups["Quầy 2"].rate == 100.0
    assert groups["Quầy 1"].rate == 0.0
    assert groups[None].total == 1


def test_by_key_rejects_unknown_keys():
    with pytest.raises(ValueError, match="group by"):
        by_key([], "mood")


def test_hour_weekday_uses_local_time():
    ratings = [
        press(4, at=datetime(2024, 3, 4, 1, 0, tzinfo=UTC)),  # Mon 08:00 local
        press(4, at=datetime(2024, 3, 4, 1, 59, tzinfo=UTC)),  # Mon 08:59 local
        press(4, at=datetime(2024, 3, 9, 16, 30, tzinfo=UTC)),  # Sat 23:30 local
        press(4, at=datetime(2024, 3, 10, 17, 30, tzinfo=UTC)),  # Sun in UTC, Mon 00:30 local
    ]
    matrix = hour_weekday(ratings, "Asia/Ho_Chi_Minh")
    assert len(matrix) == 7 and all(len(row) == 24 for row in matrix)
    assert (matrix[0][8], matrix[5][23], matrix[0][0]) == (2, 1, 1)
    assert sum(map(sum, matrix)) == 4


def test_compare_by_hand():
    current = level_counts(presses([4, 4, 4, 3, 3, 3, 3, 2, 2, 1]))  # 10, rate 70%
    # 2 × 4, 3 × 3, 1 × 2, 2 × 1 = 8: shares 25, 37.5, 12.5, 25; rate 5 ÷ 8 = 62.5%
    previous = level_counts(presses([4, 4, 3, 3, 3, 2, 1, 1]))
    trend = compare(current, previous)
    assert trend.total_diff == 2
    assert trend.total_change_pct == 25.0  # 2 ÷ 8
    assert trend.rate_diff == 7.5  # 70 − 62.5 points
    assert trend.share_diffs == {4: 5.0, 3: 2.5, 2: 7.5, 1: -15.0}


def test_compare_with_an_empty_previous_period():
    trend = compare(level_counts(presses([4])), level_counts([]))
    assert (trend.total_diff, trend.total_change_pct, trend.rate_diff) == (1, None, None)
    assert trend.share_diffs == {1: None, 2: None, 3: None, 4: None}


levels = st.lists(st.integers(1, 4), min_size=1, max_size=500)


@given(levels)
def test_shares_sum_to_100_and_rate_is_a_percentage(values):
    stats = level_counts(presses(values))
    assert sum(stats.shares.values()) == pytest.approx(100.0)
    # Each printed share is off by at most 0.05, so the printed four by at most 0.2.
    printed = sum(float(fmt_pct(s, "en")[:-1]) for s in stats.shares.values())
    assert abs(printed - 100) <= 0.2 + 1e-9
    assert 0 <= stats.rate <= 100
    assert 1 <= stats.mean <= 4
    assert stats.total == len(values)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 4), st.sampled_from(["live", "test"]), st.sampled_from([None, "x"])
        ),
        max_size=60,
    )
)
def test_raw_is_accepted_plus_filtered(rows):
    ratings = [press(level, mode=mode, excluded=why) for level, mode, why in rows]
    result = screen(ratings)
    assert result.raw == result.accepted + sum(result.filtered.values()) == len(rows)
    assert set(result.bursts) <= set(result.accepted_ratings)
