"""ReportData against the small office of report_world.py, every number worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import insert, select, update

from hailong.server.reporting.data import ReportSettings, build_report, dossier_months, vi_sort_key
from hailong.server.reporting.periods import custom, parse_period
from hailong.server.reporting.rollup import halves, report_halves
from hailong.server.reporting.settings import report_settings
from hailong.server.storage import db
from tests.server.report_world import (
    REMARKS,
    at,
    ms,
    press_row,
    world_engine,  # noqa: F401 - the `engine` fixture
)

SETTINGS = ReportSettings(
    time_zone="Asia/Ho_Chi_Minh",
    unit_name="Ủy ban nhân dân xã An Bình",
    place="An Bình",
    min_sample=10,
)
ISSUED = date(2024, 4, 5)


def report(engine, label="2024-03", settings=SETTINGS, convention="calendar"):
    with engine.connect() as conn:
        return build_report(conn, parse_period(label, convention), settings, ISSUED)


def test_screening_counts_raw_filtered_and_flagged(engine):
    s = report(engine).screening
    # 22 presses from k1, 5 from k3, 10 from k2; 3 test and 2 excluded are filtered out.
    assert s.raw == 37
    assert s.filtered == {"test": 3, "excluded: Kỹ thuật viên bấm thử": 1,
                          "excluded: Trẻ em bấm nghịch": 1}  # fmt: skip
    assert s.accepted == 32
    assert s.outside_hours == 3  # A (Fri 00:30), C (lunch), E (Saturday)
    assert s.bursts == 4  # G: five presses in 8 s, the first excluded: four left, still > 3
    assert s.quarantined == 1
    assert s.complete


def test_level_totals_and_shares(engine):
    totals = report(engine).totals
    assert totals.counts == {4: 17, 3: 10, 2: 2, 1: 3}
    assert totals.total == 32
    assert totals.shares == {4: 53.125, 3: 31.25, 2: 6.25, 1: 9.375}
    assert totals.rate == 84.375  # 27 ÷ 32


def test_fields_with_coverage(engine):
    data = report(engine)
    rows = {row.code: row for row in data.fields}
    # Sorted as Vietnamese reads: Chứng thực, Đất đai, Hộ tịch, Khác; no field last; Văn hóa
    # is inactive and has no data.
    assert [row.name for row in data.fields] == [
        "Chứng thực",
        "Đất đai",
        "Hộ tịch",
        "Khác",
        "Không ghi lĩnh vực",
    ]
    assert rows["ho-tich"].stats.counts == {4: 8, 3: 5, 2: 2, 1: 1}
    assert rows["chung-thuc"].stats.counts == {4: 7, 3: 2, 2: 0, 1: 0}
    assert rows["dat-dai"].stats.counts == {4: 2, 3: 2, 2: 0, 1: 2}
    assert rows[""].stats.counts == {4: 0, 3: 1, 2: 0, 1: 0}
    assert rows["khac"].stats.total == 0
    ho_tich, chung_thuc, dat_dai = (
        rows["ho-tich"].coverage,
        rows["chung-thuc"].coverage,
        rows["dat-dai"].coverage,
    )
    assert (ho_tich.ratings, ho_tich.dossiers, ho_tich.percent) == (16, 20, 80.0)
    assert (ho_tich.meets_target, ho_tich.needed) == (False, 1)  # 80% is not "more than 80%"
    assert (chung_thuc.percent, chung_thuc.meets_target, chung_thuc.needed) == (90.0, True, 0)
    assert (dat_dai.percent, dat_dai.meets_target, dat_dai.needed) == (75.0, False, 1)
    assert rows["khac"].coverage.dossiers is None and rows["khac"].coverage.ratio is None
    total = data.field_total
    # Measured over the fields with dossiers only: the unfielded rating stays outside the ratio,
    # and two fields short of the target make the total short by their summed shortfall.
    assert (total.ratings, total.dossiers, total.meets_target, total.needed) == (31, 38, False, 2)
    assert (total.fields, total.met, total.met_text, total.outside) == (3, 1, "1/3 lĩnh vực đạt", 1)
    assert total.percent == pytest.approx(31 / 38 * 100)
    assert data.dossier_months == ("2024-03",)


def test_officials_attributed_by_sent_code_or_duty(engine):
    data = report(engine)
    rows = {row.code: row for row in data.officials}
    assert [row.code for row in data.officials] == ["cb-01", "cb-02", "cb-03"]
    assert rows["cb-01"].name == "Nguyễn Văn An"
    assert rows["cb-01"].result.stats.counts == {4: 14, 3: 6, 2: 1, 1: 1}
    assert rows["cb-02"].result.stats.counts == {4: 2, 3: 2, 2: 1, 1: 0}  # on duty from 16/03
    assert rows["cb-03"].result.stats.counts == {4: 1, 3: 2, 2: 0, 1: 2}  # on duty until 16/03
    first = rows["cb-01"].result
    assert (first.sample, first.rank) == (22, 1)
    assert first.rate_shown == pytest.approx(20 / 22 * 100)
    # Shrunk toward the office's 27/32 with a prior as strong as min_sample (10).
    assert first.score == pytest.approx((20 + 10 * 27 / 32) / (22 + 10) * 100)
    assert rows["cb-02"].result.held_back and rows["cb-03"].result.held_back
    assert data.unattributed.total == 0


def test_totals_against_the_previous_month(engine):
    data = report(engine)
    trend = data.trend
    assert data.previous.label == "2024-02"
    assert trend.previous.counts == {4: 2, 3: 3, 2: 1, 1: 2}
    assert (trend.total_diff, trend.total_change_pct) == (24, 300.0)
    assert trend.rate_diff == pytest.approx(84.375 - 62.5)
    assert trend.share_diffs[1] == pytest.approx(9.375 - 25)
    assert (data.previous_screening.raw, data.previous_screening.accepted) == (8, 8)
    assert data.remarks == REMARKS


def test_holidays_count_as_outside_office_hours(engine):
    settings = replace(SETTINGS, holidays=("2024-03-05",))
    assert (
        report(engine, settings=settings).screening.outside_hours == 3 + 5
    )  # D, less the excluded


def test_cutoff_month_takes_15_feb_to_14_mar_and_the_dossiers_of_march(engine):
    data = report(engine, convention="cutoff")
    assert (data.period.start, data.period.end) == (date(2024, 2, 15), date(2024, 3, 14))
    assert data.totals.total == 32 - 5  # I and J are on 18/03
    ho_tich = next(row for row in data.fields if row.code == "ho-tich")
    assert (ho_tich.coverage.ratings, ho_tich.coverage.dossiers) == (12, 20)


def test_dossier_months_for_each_kind_of_period():
    assert dossier_months(parse_period("2024-Q1")) == ("2024-01", "2024-02", "2024-03")
    assert dossier_months(parse_period("2024-Q1", "cutoff")) == ("2024-01", "2024-02", "2024-03")
    assert dossier_months(parse_period("2024", "cutoff")) == tuple(
        f"2024-{m:02d}" for m in range(1, 13)
    )
    assert dossier_months(parse_period("2024-01", "cutoff")) == (
        "2024-01",
    )  # 15/12/2023–14/01/2024
    assert dossier_months(custom(date(2024, 3, 10), date(2024, 4, 20))) == ("2024-03", "2024-04")


def test_a_custom_range_counts_its_days_only(engine):
    with engine.connect() as conn:
        data = build_report(conn, custom(date(2024, 3, 4), date(2024, 3, 6)), SETTINGS, ISSUED)
    # B, C (04/03), D less the excluded (05/03), H (06/03).
    assert data.totals.total == 10 + 1 + 5 + 5


def test_rollups_give_the_same_report_as_counting_presses(engine):
    with engine.begin() as conn:  # inside a transaction, with no rollup tables yet: presses only
        counted = build_report(conn, parse_period("2024-Q1"), SETTINGS, ISSUED)
    stored = report(engine, "2024-Q1")  # counts and stores the half-months
    again = report(engine, "2024-Q1")  # reads them back
    assert counted == stored == again
    with engine.connect() as conn:
        kept = conn.execute(select(report_halves.c.first_day)).scalars().all()
    assert len(kept) == 12  # six half-months of Q1 2024, six of Q4 2023 (the previous quarter)


def test_rollups_follow_late_presses_redating_corrections_and_duty(engine):
    report(engine)  # store March's half-months
    with engine.begin() as conn:
        late = press_row("k2", 11, 1, at("2024-03-19", "10:00"), counter="Q2", field="dat-dai")
        conn.execute(insert(db.presses).values(**late))
        conn.execute(insert(db.corrections).values(device="k1", seq=9, action="exclude",
                                                   reason="Lỗi", actor="x", at_ms=0))  # fmt: skip
        conn.execute(update(db.duty).where(db.duty.c.official == "cb-02").values(official="cb-03"))
        moved = db.presses.c.device == "k2"
        conn.execute(update(db.presses).where(moved, db.presses.c.seq == 1)
                     .values(at_ms=ms(at("2024-04-02", "09:00"))))  # fmt: skip
        # A press is re-dated only with its boot's anchor (storage/batch.apply_anchor).
        conn.execute(insert(db.anchors).values(device="k2", boot="b-late", mono=1.0,
                                               at_ms=ms(at("2024-04-02", "09:00"))))  # fmt: skip
    data = report(engine)
    assert data.totals.total == 32 + 1 - 1 - 1  # late press in; A excluded; H's first moved out
    assert {row.code for row in data.officials} == {"cb-01", "cb-03"}
    assert data.screening.outside_hours == 2  # A is excluded now


def test_half_months_split_every_period():
    assert list(halves(date(2024, 2, 15), date(2024, 3, 14))) == [
        (date(2024, 2, 15), date(2024, 2, 29), True),
        (date(2024, 3, 1), date(2024, 3, 14), True),
    ]
    assert list(halves(date(2024, 3, 10), date(2024, 3, 20))) == [
        (date(2024, 3, 10), date(2024, 3, 14), False),
        (date(2024, 3, 15), date(2024, 3, 20), False),
    ]


def test_vietnamese_sort_puts_d_stroke_after_d():
    names = ["Hộ tịch", "Đất đai", "Dân tộc", "Chứng thực", "Khác"]
    assert sorted(names, key=vi_sort_key) == ["Chứng thực", "Dân tộc", "Đất đai", "Hộ tịch", "Khác"]


def test_settings_refuse_bad_values():
    with pytest.raises(Exception, match="office_hours"):
        ReportSettings(office_hours=(("11:30", "07:30"),))
    with pytest.raises(Exception, match="coverage_target"):
        ReportSettings(coverage_target=80)


def test_a_report_takes_the_zone_from_the_configuration_never_a_default(engine, tmp_path):
    with engine.connect() as conn, pytest.raises(ValueError, match="time zone"):
        build_report(conn, parse_period("2024-03"), ReportSettings(), ISSUED)
    path = tmp_path / "report.toml"
    path.write_text('place = "An Bình"\n')
    loaded = report_settings(path, "Asia/Bangkok")
    assert (loaded.place, loaded.zone, loaded.office.tz) == (
        "An Bình",
        "Asia/Bangkok",
        "Asia/Bangkok",
    )
    assert report_settings(None, "UTC").flag_rules.tz == "UTC"
