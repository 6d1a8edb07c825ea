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
from hailong.server.reporting.metrics import fmt_pct
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage import db
from tests.reference import calc, rows
from tests.reference.bounds import every_period
from tests.reference.dataset import build_dataset
from tests.reference.expect import MIN_SAMPLE, ZONE, levels_of, reference_levels
from tests.support import BACKENDS, fresh_database

PERIODS = every_period(2025)
SETTINGS = ReportSettings(
    time_zone=ZONE, min_sample=MIN_SAMPLE, unit_name="Ủy ban nhân dân xã An Bình", place="An Bình"
)


@pytest.fixture(scope="module", params=BACKENDS)
def office(request, tmp_path_factory):
    """Return (engine, raw tables as the reference read them) of the generated office."""
    engine = db.open_database(
        fresh_database(request, request.param, tmp_path_factory.mktemp("ref"))
    )
    build_dataset(engine)
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
