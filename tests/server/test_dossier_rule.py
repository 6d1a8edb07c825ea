"""One rating per dossier across kiosks: a later rating of a rated dossier is kept but excluded."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, insert, select

from hailong.server.epoch import to_ms
from hailong.server.reference.corrections import exclude as mark_test
from hailong.server.reference.dossier_rule import REASON, settle
from hailong.server.reporting import queries as q
from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import custom
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.batch import apply_anchor
from hailong.server.storage.db import audit, corrections, presses
from tests.server.batches import press, store


def excluded(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            select(corrections.c.device, corrections.c.seq, corrections.c.reason)
            .order_by(corrections.c.device, corrections.c.seq)
        ).all()  # fmt: skip


def test_a_second_rating_of_a_dossier_on_another_kiosk_is_excluded(engine):
    assert store(engine, [press("k1", 1, dossier="HS-1"), press("k1", 2)]).repeated_dossiers == 0
    out = store(engine, [press("k2", 1, dossier="HS-1"), press("k2", 2, dossier="HS-2")])
    assert out.stored == 2 and out.repeated_dossiers == 1
    assert excluded(engine) == [("k2", 1, REASON)]
    with engine.connect() as conn:
        assert len(conn.execute(select(presses.c.id)).all()) == 4, "nothing is deleted"
        row = conn.execute(select(audit.c.actor, audit.c.after).where(audit.c.key == "k2/1")).one()
    assert row.actor == "collector" and '"first": "k1/1"' in row.after


def test_repeats_in_one_batch_and_test_presses(engine):
    out = store(engine, [press("k1", 1, dossier="HS-9", mode="test"),
                         press("k1", 2, dossier="HS-9"), press("k2", 1, dossier="HS-9"),
                         press("k2", 2, dossier="HS-9")])  # fmt: skip
    assert out.repeated_dossiers == 2, "the test press does not count as the dossier's rating"
    assert [(d, s) for d, s, _ in excluded(engine)] == [("k2", 1), ("k2", 2)]
    assert store(engine, [press("k1", 2, dossier="HS-9")]).repeated_dossiers == 0, "a repeat"
    assert len(excluded(engine)) == 2


def test_the_report_filters_the_repeat_with_its_reason(engine):
    store(engine, [press("k1", 1, dossier="HS-1", rating=4)])
    store(engine, [press("k2", 1, dossier="HS-1", rating=1)])
    with engine.connect() as conn:
        data = build_report(conn, custom(date(2024, 3, 1), date(2024, 3, 31)), ReportSettings(time_zone="Asia/Ho_Chi_Minh"),
                            issued=date(2024, 3, 31), rollups="off")  # fmt: skip
    assert data.totals.total == 1 and data.totals.counts[4] == 1
    assert data.screening.filtered == {f"excluded: {REASON}": 1}


def verdicts(engine) -> list[tuple]:
    """Return every correction in the order appended: (device, seq, action)."""
    with engine.connect() as conn:
        query = select(corrections.c.device, corrections.c.seq, corrections.c.action)
        return conn.execute(query.order_by(corrections.c.id)).all()


def counted_in_march(engine) -> set[tuple[str, int]]:
    """Return the (device, seq) of the dossier's ratings the report counts."""
    with engine.connect() as conn:
        excluded = {(r.device, r.seq) for r in q.excluded_ratings(conn, 0, 2**62)}
        everything = set(conn.execute(select(presses.c.device, presses.c.seq)).all())
    return everything - excluded


def stored_presses(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(select(presses).order_by(presses.c.id)).all()


def test_a_late_delivering_kiosk_keeps_the_rating_pressed_first(engine):
    # k2's press of 09:30 arrives first; k1 pressed at 09:00 but was offline until 10:00.
    store(engine, [press("k2", 1, dossier="HS-7", ts="2024-03-05T09:30:00.000+07:00")])
    assert counted_in_march(engine) == {("k2", 1)}
    before = stored_presses(engine)
    out = store(engine, [press("k1", 1, dossier="HS-7", ts="2024-03-05T09:00:00.000+07:00")])
    assert out.repeated_dossiers == 1
    assert counted_in_march(engine) == {("k1", 1)}, (
        "the earlier press counts, not the first to arrive"
    )
    assert excluded(engine) == [("k2", 1, REASON)]
    assert stored_presses(engine)[:1] == before, "the counted press is excluded by a correction"


def test_ties_in_time_go_to_the_device_then_the_seq(engine):
    same = "2024-03-05T09:00:00.000+07:00"
    store(engine, [press("k2", 1, dossier="HS-8", ts=same)])
    store(
        engine, [press("k1", 5, dossier="HS-8", ts=same), press("k1", 4, dossier="HS-8", ts=same)]
    )
    assert counted_in_march(engine) == {("k1", 4)}


def test_an_exclusion_made_earlier_is_undone_by_an_appended_correction(engine):
    # k1's clock was not synced: its press says 08:00 but was made at 10:00 (re-dated below).
    store(engine, [press("k1", 1, dossier="HS-9", synced=False, boot="b1", mono=1000.0,
                         ts="2024-03-05T08:00:00.000+07:00")])  # fmt: skip
    store(engine, [press("k2", 1, dossier="HS-9", ts="2024-03-05T09:30:00.000+07:00")])
    assert excluded(engine) == [("k2", 1, REASON)]
    anchor = to_ms(datetime.fromisoformat("2024-03-05T10:00:00+07:00"))
    with engine.begin() as conn:
        assert apply_anchor(conn, "k1", "b1", 1000.0, anchor) == 1
    assert counted_in_march(engine) == {("k2", 1)}
    assert verdicts(engine) == [("k2", 1, "exclude"), ("k1", 1, "exclude"), ("k2", 1, "include")]
    with engine.connect() as conn:
        actions = conn.execute(select(audit.c.action).where(audit.c.key == "k2/1")).scalars().all()
    assert actions == ["exclude", "include"]


def test_an_exclusion_by_arrival_order_is_corrected_when_the_dossier_is_settled(engine):
    # As the rule used to decide: k2 (09:30) arrived first and k1 (09:00) was excluded.
    store(engine, [press("k2", 1, dossier="HS-3", ts="2024-03-05T09:30:00.000+07:00"),
                   press("k1", 1, dossier="HS-3", ts="2024-03-05T09:00:00.000+07:00")])  # fmt: skip
    with engine.begin() as conn:
        conn.execute(delete(corrections))  # start from the old verdict, written by hand
        conn.execute(insert(corrections).values(device="k1", seq=1, action="exclude",
                                                reason=REASON, actor="collector", at_ms=1))  # fmt: skip
        assert settle(conn, {"HS-3"}) == 1
    assert counted_in_march(engine) == {("k1", 1)}
    assert verdicts(engine) == [("k1", 1, "exclude"), ("k2", 1, "exclude"), ("k1", 1, "include")]


def test_a_press_staff_excluded_is_not_the_dossiers_rating(engine):
    store(engine, [press("k1", 1, dossier="HS-4", ts="2024-03-05T09:00:00.000+07:00")])
    with engine.begin() as conn:
        conn.execute(insert(corrections).values(device="k1", seq=1, action="exclude",
                                                reason="bấm thử", actor="vp-thongke", at_ms=1))  # fmt: skip
    store(engine, [press("k2", 1, dossier="HS-4", ts="2024-03-05T09:30:00.000+07:00")])
    assert counted_in_march(engine) == {("k2", 1)}


def test_marking_the_dossiers_rating_as_test_lets_the_next_one_count(engine):
    store(engine, [press("k1", 1, dossier="HS-6", ts="2024-03-05T09:00:00.000+07:00"),
                   press("k2", 1, dossier="HS-6", ts="2024-03-05T09:30:00.000+07:00")])  # fmt: skip
    assert counted_in_march(engine) == {("k1", 1)}
    with engine.begin() as conn:
        assert mark_test(conn, "k1", range(1, 2), "Kỹ thuật viên bấm thử", "vp-thongke") == 1
    assert counted_in_march(engine) == {("k2", 1)}
    assert verdicts(engine) == [("k2", 1, "exclude"), ("k1", 1, "exclude"), ("k2", 1, "include")]
    with engine.begin() as conn:  # the restored press is not "already excluded" for staff
        assert mark_test(conn, "k2", range(1, 2), "Kỹ thuật viên bấm thử", "vp-thongke") == 1
    assert counted_in_march(engine) == set()
