"""One rating per dossier across kiosks: a later rating of a rated dossier is kept but excluded."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hailong.server.reference.dossier_rule import REASON
from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import custom
from hailong.server.reporting.settings import ReportSettings
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
