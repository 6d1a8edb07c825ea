"""Issue 12's proof: ReportData agrees with an independent recomputation in every period.

A generated office year (tests/reference) is stored through the real batch writer; the
reference recomputes every figure in plain Python from the raw tables, for the 12 months, 4
quarters, 2 halves, 9 months and the year of 2025 in both conventions, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from hailong.server.reporting.data import build_report
from hailong.server.reporting.metrics import fmt_pct, fmt_points
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from tests.reference import calc, judged, rows
from tests.reference.bounds import every_period, previous
from tests.reference.dataset import build_dataset
from tests.reference.expect import levels_of, reference_levels
from tests.reference.office import report_settings
from tests.support import BACKENDS, fresh_database

PERIODS = every_period(2025)
SETTINGS = report_settings()


@pytest.fixture(scope="module", params=BACKENDS)
def office(request, tmp_path_factory):
    """Return (engine, raw tables as the reference read them) of the generated office."""
    folder = tmp_path_factory.mktemp("ref")
    engine = db.open_database(fresh_database(request, request.param, folder))
    build_dataset(engine, folder / "published")
    with engine.connect() as conn:
        raw = rows.read(conn)
    yield engine, raw
    engine.dispose()


def test_the_writer_stores_the_effective_time_the_reference_computes(office):
    _engine, raw = office
    assert all(type(r.stored_ms) is int for r in raw.rows)
    assert [(r.device, r.seq) for r in raw.rows if r.stored_ms != r.at_ms] == []


def test_the_dataset_holds_every_case(office):
    _engine, raw = office
    found = Counter(r.excluded for r in raw.rows if r.excluded)
    assert found["Kỹ thuật viên bấm thử"] == 4 and found["Trẻ em bấm nghịch"] == 1
    assert found["hồ sơ đã được đánh giá trước đó"] > 50
    assert sum(r.collision for r in raw.rows) == 1
    late = {(r.device, r.excluded) for r in raw.rows if r.dossier == "HS-LATE"}
    assert late == {("k4", None), ("k1", "hồ sơ đã được đánh giá trước đó")}
    assert sum(r.mode == "test" for r in raw.rows) > 50
    assert len(raw.rows) > 2500


def _report(engine, span):
    period = parse_period(span.label, span.convention)
    assert (period.start, period.end) == (span.first, span.last), "the bounds differ"
    with engine.connect() as conn:
        return build_report(conn, period, SETTINGS, date(2026, 2, 1))


@pytest.mark.parametrize("span", PERIODS, ids=lambda s: f"{s.convention}-{s.label}")
def test_report_data_agrees_with_the_reference(office, span):
    engine, raw = office
    data, expected = _report(engine, span), calc.figures(raw, span)
    assert levels_of(data.totals) == reference_levels(expected.totals)
    assert {r.code: levels_of(r.stats) for r in data.fields} == {
        code: reference_levels(f.levels) for code, f in expected.fields.items()
    }
    assert {r.code: _coverage(r.coverage) for r in data.fields} == {
        code: (f.dossiers, f.coverage, f.meets, f.needed) for code, f in expected.fields.items()
    }
    assert _total(data.field_total) == expected.measured
    assert {r.code: levels_of(r.result.stats) for r in data.officials} == {
        code: reference_levels(found) for code, found in expected.officials.items()
    }
    assert levels_of(data.unattributed) == reference_levels(expected.unattributed)
    screening = data.screening
    assert {k: getattr(screening, k) for k in expected.screening} == expected.screening


@pytest.mark.parametrize("span", PERIODS, ids=lambda s: f"{s.convention}-{s.label}")
def test_flags_ranks_trend_and_late_agree_with_the_reference(office, span):
    engine, raw = office
    data, expected = _report(engine, span), calc.figures(raw, span)
    flags = (data.screening.outside_hours, data.screening.bursts, data.screening.complete)
    assert flags == (judged.outside_hours(raw, span), judged.bursts(raw, span), True)
    ranked = judged.ranking(expected.officials)
    assert {r.code: (_pct(r.result.score), r.result.rank) for r in data.officials} == {
        code: (calc.pct(f.score.numerator, f.score.denominator), f.rank)
        for code, f in ranked.items()
    }
    before = calc.figures(raw, previous(span)).totals
    assert data.previous.label == previous(span).label
    assert levels_of(data.trend.previous) == reference_levels(before)
    assert data.trend.total_diff == expected.totals.total - before.total
    assert _points(data.trend.rate_diff) == judged.rate_points(expected.totals, before)
    assert [
        (r.period.label, r.published_on.isoformat(), levels_of(r.stats)) for r in data.late
    ] == [
        (line.label, line.published_on, reference_levels(line.levels))
        for line in judged.late(raw, span)
    ]


def test_the_dataset_holds_every_flag_and_late_case(office):
    _engine, raw = office
    every = [judged.late(raw, span) for span in PERIODS]
    lines = {(s.convention, s.label): [(x.label, x.levels.total) for x in found]
             for s, found in zip(PERIODS, every, strict=True) if found}  # fmt: skip
    assert lines == {("cutoff", "2025-08"): [("2025-07", 5)],
                     ("calendar", "2025-09"): [("2025-07", 3)],
                     ("cutoff", "2025-10"): [("2025-07", 2)],
                     ("calendar", "2025-10"): [("2025-07", 2)]}  # fmt: skip
    may = next(s for s in PERIODS if (s.convention, s.label) == ("calendar", "2025-05"))
    assert judged.bursts(raw, may) >= 8  # the 10.000 s four and the border four


def _points(value) -> str:
    return "" if value is None else fmt_points(value, "en")


def _pct(value) -> str:
    return "" if value is None else fmt_pct(value, "en").removesuffix("%")


def _coverage(cov) -> tuple:
    return cov.dossiers, _pct(cov.percent), cov.meets_target, cov.needed


def _total(total) -> dict:
    return {"fields": total.fields, "met": total.met, "ratings": total.ratings,
            "dossiers": total.dossiers, "coverage": _pct(total.percent),
            "meets": total.meets_target, "needed": total.needed, "outside": total.outside,
            "missing": list(total.missing_months)}  # fmt: skip


def test_a_share_of_exactly_half_a_tenth_prints_half_up():
    """Found by the reference: 41 of 80 is 51.25%, printed 51,2% when ÷ came before × 100."""
    from hailong.server.reporting.coverage import coverage_total
    from hailong.server.reporting.metrics import coverage_by_field, stats_from_counts

    stats = stats_from_counts({4: 41, 2: 39})
    assert fmt_pct(stats.shares[4]) == fmt_pct(stats.rate) == "51,3%"
    fields = coverage_by_field({"ho-tich": 41}, {"ho-tich": 80})
    assert fmt_pct(fields[0].percent) == fmt_pct(coverage_total(fields).percent) == "51,3%"
