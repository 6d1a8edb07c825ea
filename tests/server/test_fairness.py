from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hailong.server.reporting.fairness import by_official
from hailong.server.reporting.metrics import Rating

HCM = timezone(timedelta(hours=7))
_seq = count(1)


def ratings_for(official: str | None, **levels: int) -> list[Rating]:
    """Build ratings for an official from counts per level, e.g. l4=200, l3=80."""
    at = datetime(2024, 3, 4, 9, 0, tzinfo=HCM)
    return [
        Rating("kiosk-1", next(_seq), int(name[1]), None, at, official=official)
        for name, n in levels.items()
        for _ in range(n)
    ]


@pytest.fixture
def office() -> list[Rating]:
    return [
        *ratings_for("An", l4=3),  # 3 of 3 satisfied
        *ratings_for("Bình", l4=200, l3=80, l2=15, l1=5),  # 280 of 300
        *ratings_for("Chi", l4=100, l3=100, l2=60, l1=40),  # 200 of 300
        *ratings_for(None, l1=10),  # unattributed: left out
    ]


# Office average p0 = (3 + 280 + 200) ÷ 603 = 161 ÷ 201 ≈ 0.80100; with m = 30, m·p0 ≈ 24.02985.
AN = (3 + 24.02985) / 33 * 100  # ≈ 81.909
BINH = (280 + 24.02985) / 330 * 100  # ≈ 92.130
CHI = (200 + 24.02985) / 330 * 100  # ≈ 67.888


def test_defaults_hold_back_small_samples(office):
    rows = by_official(office)
    assert [r.official for r in rows] == ["Bình", "Chi", "An"]
    binh, chi, an = rows
    assert (binh.rank, binh.sample, binh.rate_shown) == (1, 300, pytest.approx(93.333, abs=1e-3))
    assert (chi.rank, chi.rate_shown) == (2, pytest.approx(66.667, abs=1e-3))
    assert (an.rank, an.rate_shown, an.held_back) == (None, None, True)
    assert an.rate == 100.0  # the raw rate stays available, it is just not shown
    assert an.score == pytest.approx(AN, abs=1e-3)
    assert binh.score == pytest.approx(BINH, abs=1e-3)
    assert chi.score == pytest.approx(CHI, abs=1e-3)
    assert binh.stats.counts == {4: 200, 3: 80, 2: 15, 1: 5}


def test_three_of_three_ranks_below_280_of_300_even_when_ranked(office):
    rows = {r.official: r for r in by_official(office, min_sample=1, prior_strength=30)}
    assert rows["An"].rate > rows["Bình"].rate  # 100% raw against 93.3%
    assert (rows["Bình"].rank, rows["An"].rank, rows["Chi"].rank) == (1, 2, 3)


def test_without_shrinkage_three_ratings_would_win(office):
    rows = {r.official: r for r in by_official(office, min_sample=1, prior_strength=0)}
    assert rows["An"].rank == 1


def test_equal_records_share_a_rank():
    ratings = [
        *ratings_for("An", l4=30),
        *ratings_for("Bình", l4=30),
        *ratings_for("Chi", l4=20, l1=10),
    ]
    ranks = {r.official: r.rank for r in by_official(ratings)}
    assert ranks == {"An": 1, "Bình": 1, "Chi": 3}


def test_no_ratings_no_rows():
    assert by_official([]) == []
    assert by_official(ratings_for(None, l4=5)) == []


@given(st.lists(st.tuples(st.sampled_from("ABCDE"), st.integers(1, 4)), max_size=200))
def test_ranks_go_only_to_full_samples_and_scores_stay_in_range(rows):
    ratings = [
        Rating("k", i, level, None, datetime(2024, 3, 4, tzinfo=HCM), official=who)
        for i, (who, level) in enumerate(rows)
    ]
    for row in by_official(ratings, min_sample=10):
        assert (row.rank is not None) == (row.sample >= 10)
        assert 0 <= row.score <= 100


def test_groups_with_no_rating_at_all_are_listed_unranked():
    """Offices of a quiet period (every count zero) are rows with no rank, not a crash."""
    from hailong.server.reporting.fairness import rank_officials
    from hailong.server.reporting.metrics import stats_from_counts

    empty = stats_from_counts({1: 0, 2: 0, 3: 0, 4: 0})
    rows = rank_officials({"xa-a": empty, "xa-b": empty}, min_sample=5)
    assert [(r.official, r.sample, r.rank, r.rate_shown) for r in rows] == [
        ("xa-a", 0, None, None),
        ("xa-b", 0, None, None),
    ]
