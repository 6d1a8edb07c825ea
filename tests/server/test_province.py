"""The report upward's core: sums, coverage verdicts, fair ranking and flags (issue 15).

Each office is given as its presses, (field, rating) pairs, and dossier counts; the expected
figures are worked out here from those presses, never from the code's own sums.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from fractions import Fraction

import pytest

from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.province import (
    BELOW_TARGET,
    NO_DOSSIERS,
    SILENT,
    FieldFigures,
    OfficeFigures,
    consolidate,
)
from hailong.server.reporting.settings import ReportSettings

PERIOD = parse_period("2024-03")
SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", min_sample=30)
ISSUED = date(2024, 3, 28)
NAMES = {"ho-tich": "Hộ tịch", "chung-thuc": "Chứng thực", "dat-dai": "Đất đai", "": "—"}


def office(code, presses, dossiers=None, previous=(), in_hours=None, missing=()):
    """Return an office's figures from its presses [(field, rating)] and {field: dossiers}."""
    dossiers = dossiers or {}
    by_field = {}
    for field, rating in presses:
        by_field.setdefault(field, Counter())[rating] += 1
    codes = sorted(set(by_field) | set(dossiers))
    fields = tuple(FieldFigures(c, NAMES[c], _levels(by_field.get(c, {})), dossiers.get(c))
                   for c in codes)  # fmt: skip
    total = _levels(Counter(r for _f, r in presses))
    return OfficeFigures(code, f"Xã {code.upper()}", "2024-03", total,
                         _levels(Counter(previous)), fields,
                         len(presses) if in_hours is None else in_hours, tuple(missing))  # fmt: skip


def _levels(counts) -> dict[int, int]:
    return {level: counts.get(level, 0) for level in (1, 2, 3, 4)}


def ratings(field, *levels_and_counts):
    """Return presses in one field: ratings("ho-tich", (4, 3), (1, 2)) = three 4s and two 1s."""
    return [(field, level) for level, n in levels_and_counts for _ in range(n)]


def rate(presses) -> float:
    """Satisfaction rate from presses, worked out here: (4s + 3s) × 100 ÷ all."""
    return sum(1 for _f, r in presses if r >= 3) * 100 / len(presses)


def test_totals_are_sums_of_the_offices_presses_and_the_rate_is_recomputed_from_them():
    a = ratings("ho-tich", (4, 90), (3, 5), (1, 5))  # 95 % of 100
    b = ratings("ho-tich", (4, 10), (2, 30)) + ratings("", (3, 10))  # 40 % of 50
    report = consolidate(PERIOD, [office("a", a), office("b", b)], SETTINGS, ISSUED)
    everything = a + b
    assert report.totals.total == 150
    assert report.totals.counts == {
        lvl: sum(1 for _f, r in everything if r == lvl) for lvl in (1, 2, 3, 4)
    }
    assert report.totals.rate == pytest.approx(rate(everything))  # 115 of 150: 76,7 %
    assert report.totals.rate != pytest.approx((rate(a) + rate(b)) / 2)  # never a mean of rates
    assert report.totals.shares[4] == pytest.approx(100 * 100 / 150)
    rows = {row.code: row for row in report.offices}
    assert rows["a"].stats.rate == pytest.approx(95.0) and rows["b"].stats.rate == pytest.approx(
        40.0
    )


def test_every_office_failing_a_field_fails_it_in_sum_and_k_of_n_is_counted_per_office():
    # Hộ tịch: 7 of 10 and 8 of 10 (exactly 80 % is not more than 80 %) -> 15 of 20 fails.
    # Chứng thực: 10 of 10 and 7 of 10: one office fails, the sum 17 of 20 = 85 % meets.
    a = ratings("ho-tich", (4, 7)) + ratings("chung-thuc", (4, 10))
    b = ratings("ho-tich", (3, 8)) + ratings("chung-thuc", (4, 7))
    counts = {"ho-tich": 10, "chung-thuc": 10}
    report = consolidate(PERIOD, [office("a", a, counts), office("b", b, counts)], SETTINGS, ISSUED)
    fields = {f.code: f for f in report.fields}
    assert (fields["ho-tich"].coverage.ratings, fields["ho-tich"].coverage.dossiers) == (15, 20)
    assert fields["ho-tich"].coverage.meets_target is False
    assert (fields["ho-tich"].offices_met, fields["ho-tich"].offices_measured) == (0, 2)
    assert fields["ho-tich"].coverage.needed == 2  # 17 of 20 is the least above 80 %
    assert fields["chung-thuc"].coverage.meets_target is True  # met only in sum
    assert (fields["chung-thuc"].offices_met, fields["chung-thuc"].offices_measured) == (1, 2)
    rows = {row.code: row for row in report.offices}
    assert rows["a"].field_total.met_text == "1/2 lĩnh vực đạt"
    assert rows["b"].field_total.met_text == "0/2 lĩnh vực đạt"
    assert rows["a"].coverage["ho-tich"].meets_target is False  # 7 of 10
    assert rows["b"].coverage["ho-tich"].meets_target is False  # 8 of 10: exactly 80 %
    assert all(BELOW_TARGET in row.flags for row in report.offices)
    # The province: 1 of 2 fields met, measured over 32 ratings and 40 dossiers.
    total = report.field_total
    assert (total.met, total.fields, total.ratings, total.dossiers) == (1, 2, 32, 40)
    assert total.meets_target is False and total.needed == 2


def test_a_field_counted_by_one_office_only_is_measured_over_that_office():
    a = ratings("dat-dai", (4, 9))  # 9 of 10: met
    b = ratings("dat-dai", (4, 50)) + ratings("", (1, 5))  # no dossier count for Đất đai
    report = consolidate(
        PERIOD, [office("a", a, {"dat-dai": 10}), office("b", b)], SETTINGS, ISSUED
    )
    dat = next(f for f in report.fields if f.code == "dat-dai")
    assert (dat.coverage.ratings, dat.coverage.dossiers, dat.outside) == (9, 10, 50)
    assert dat.coverage.meets_target is True and dat.stats.total == 59
    assert report.field_total.outside == 50 + 5  # b's Đất đai and the ratings with no field
    assert report.fields[-1].code == ""  # ratings without a field come last
    rows = {row.code: row for row in report.offices}
    assert NO_DOSSIERS in rows["b"].flags and BELOW_TARGET not in rows["b"].flags
    assert rows["b"].field_total.outside == 55


def test_a_small_office_is_listed_but_not_ranked_and_equal_offices_share_a_rank():
    big = ratings("ho-tich", (4, 90), (1, 10))  # 90 % of 100
    twin = ratings("ho-tich", (4, 30), (1, 10))  # 75 % of 40, twice
    small = ratings("ho-tich", (4, 5))  # 100 % of 5: below the minimum sample of 30
    offices = [office("s", small), office("t1", twin), office("big", big), office("t2", twin)]
    report = consolidate(PERIOD, offices, SETTINGS, ISSUED)
    ranks = {row.code: row.ranking.rank for row in report.offices}
    assert ranks == {"big": 1, "t1": 2, "t2": 2, "s": None}
    assert [row.code for row in report.offices][-1] == "s"  # listed after the ranked ones
    held = report.offices[-1].ranking
    assert held.held_back and held.rate_shown is None and held.sample == 5
    # Shrinkage toward the province's mean p0 = satisfied ÷ ratings of all offices, m = 30.
    everyone = big + twin + twin + small
    p0 = Fraction(sum(1 for _f, r in everyone if r >= 3), len(everyone))
    for row in report.offices:
        presses = {"big": big, "t1": twin, "t2": twin, "s": small}[row.code]
        sat = sum(1 for _f, r in presses if r >= 3)
        expected = (sat + 30 * p0) / (len(presses) + 30)
        assert row.ranking.score == pytest.approx(float(expected) * 100)


def test_shrinkage_keeps_a_few_perfect_ratings_below_hundreds_of_good_ones():
    few = ratings("ho-tich", (4, 30))  # 100 % of 30: just enough to rank
    many = ratings("ho-tich", (4, 290), (1, 10))  # 96,7 % of 300
    poor = ratings("ho-tich", (4, 40), (1, 60))  # 40 % of 100: pulls the mean down
    report = consolidate(PERIOD, [office("few", few), office("many", many), office("poor", poor)],
                         SETTINGS, ISSUED)  # fmt: skip
    assert [row.code for row in report.offices] == ["many", "few", "poor"]


def test_previous_period_per_office_and_for_the_province_from_summed_counts():
    a = office("a", ratings("ho-tich", (4, 40)), previous=[4] * 30 + [1] * 10)  # 75 % before
    b = office("b", ratings("ho-tich", (3, 20), (1, 20)), previous=[])  # nothing before
    report = consolidate(PERIOD, [a, b], SETTINGS, ISSUED)
    rows = {row.code: row for row in report.offices}
    assert rows["a"].trend.previous.rate == pytest.approx(75.0)
    assert rows["a"].trend.rate_diff == pytest.approx(25.0)
    assert rows["b"].trend.previous.rate is None and rows["b"].trend.rate_diff is None
    assert report.previous.label == "2024-02"
    assert report.trend.previous.total == 40 and report.trend.previous.rate == pytest.approx(75.0)
    assert report.trend.rate_diff == pytest.approx(60 * 100 / 80 - 75.0)


def test_an_office_silent_in_office_hours_is_flagged():
    quiet = office("q", ratings("ho-tich", (4, 3)), in_hours=0)  # three presses at night
    empty = office("e", [])
    loud = office("l", ratings("ho-tich", (4, 3)))
    report = consolidate(PERIOD, [quiet, empty, loud], SETTINGS, ISSUED)
    flags = {row.code: row.flags for row in report.offices}
    assert SILENT in flags["q"] and SILENT in flags["e"] and SILENT not in flags["l"]


def test_bad_figures_and_mixed_periods_are_refused_with_the_office_named():
    good = office("a", ratings("ho-tich", (4, 3)))
    with pytest.raises(ValueError, match="given twice: a"):
        consolidate(PERIOD, [good, good], SETTINGS, ISSUED)
    other = OfficeFigures("b", "Xã B", "2024-02", good.counts, good.previous, good.fields, 3)
    with pytest.raises(ValueError, match="not figures of 2024-03: b"):
        consolidate(PERIOD, [good, other], SETTINGS, ISSUED)
    with pytest.raises(ValueError, match="do not add up"):
        OfficeFigures(
            "c", "Xã C", "2024-03", {1: 0, 2: 0, 3: 0, 4: 4}, good.previous, good.fields, 3
        )
    with pytest.raises(ValueError, match="whole numbers"):
        OfficeFigures("c", "Xã C", "2024-03", {1: 0, 2: 0, 3: 0, 4: -3}, good.previous, (), 0)
    with pytest.raises(ValueError, match="office hours"):
        OfficeFigures("c", "Xã C", "2024-03", good.counts, good.previous, good.fields, 4)
