"""Attribution a kiosk cannot game: the roster at the kiosk's own counter decides whom a press counts for."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert

from hailong.server.reference.dossier_rule import REASON
from hailong.server.reporting.data import build_report
from hailong.server.reporting.formats.tables import screening_table
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage import db
from hailong.server.storage.schema import device_placements
from tests.server.batches import press, store
from tests.server.report_world import at, ms, press_row

SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", min_sample=1)


def office(engine, presses: list[dict]) -> None:
    """Store presses in an office where cb-03 is on duty at Q2 all March, nobody at Q1."""
    with engine.begin() as conn:
        conn.execute(insert(db.officials), [{"code": c, "name": c, "active": True}
                                            for c in ("cb-01", "cb-03")])  # fmt: skip
        conn.execute(insert(db.counters), [{"code": c, "name": c} for c in ("Q1", "Q2", "Q3")])
        conn.execute(insert(db.duty).values(counter="Q2", official="cb-03", end_ms=None,
                                            start_ms=ms(at("2024-03-01", "00:00"))))  # fmt: skip
        conn.execute(insert(db.device_counters).values(device="k5", counter="Q2"))
        conn.execute(insert(device_placements).values(device="k5", counter="Q2", start_ms=0))
        if presses:
            conn.execute(insert(db.presses), presses)


def march(engine):
    with engine.connect() as conn:
        return build_report(
            conn, parse_period("2024-03"), SETTINGS, date(2024, 3, 31), rollups="off"
        )


def officials(data) -> dict[str, int]:
    return {row.code: row.result.sample for row in data.officials}


def series(device: str, n: int, **fields) -> list[dict]:
    """Return n presses of a device on Monday 04/03 from 09:00, a minute apart."""
    start = ms(at("2024-03-04", "09:00"))
    return [press_row(device, s, 4, at("2024-03-04", "09:00"), **fields) | {"at_ms": start + 60_000 * s}
            for s in range(1, n + 1)]  # fmt: skip


def test_a_placed_kiosk_naming_another_official_counts_for_the_roster(engine):
    # k5 stands at Q2 (cb-03 on duty) but claims counter Q1 and official cb-01.
    office(engine, series("k5", 3, counter="Q1", official="cb-01"))
    data = march(engine)
    assert officials(data) == {"cb-03": 3}, "cb-01 gets nothing from another counter's kiosk"
    assert data.screening.official_mismatch == 3
    table = screening_table(data)
    row = table.rows[table.keys.index("flag: official mismatch")]
    assert row[1] == 3


def test_an_unplaced_kiosk_is_judged_by_the_counter_it_sends(engine):
    office(engine, series("k6", 2, counter="Q2", official="cb-01"))
    data = march(engine)
    assert officials(data) == {"cb-03": 2} and data.screening.official_mismatch == 2


def test_without_a_roster_the_sent_official_counts_unflagged(engine):
    office(
        engine, series("k7", 2, counter="Q1", official="cb-01") + series("k5", 1, official="cb-03")
    )
    data = march(engine)
    assert officials(data) == {"cb-01": 2, "cb-03": 1}
    assert data.screening.official_mismatch == 0


def test_an_excluded_mismatch_is_not_flagged(engine):
    office(engine, series("k5", 2, official="cb-01"))
    with engine.begin() as conn:
        conn.execute(insert(db.corrections).values(device="k5", seq=1, action="exclude",
                                                   reason="bấm thử", actor="vp", at_ms=1))  # fmt: skip
    assert march(engine).screening.official_mismatch == 1


def test_a_dossier_first_seen_on_another_counter_within_the_minute_is_flagged(engine):
    office(engine, [])
    # Q3's kiosk sends the receipt code 30 s before the real rating at Q1; a repeat at Q1 later.
    store(
        engine, [press("k3", 1, counter="Q3", dossier="HS-5", ts="2024-03-04T10:00:10.000+07:00")]
    )
    out = store(engine, [press("k1", 1, counter="Q1", dossier="HS-5", ts="2024-03-04T10:00:40.000+07:00"),
                         press("k1", 2, counter="Q1", dossier="HS-5", ts="2024-03-04T10:05:00.000+07:00")])  # fmt: skip
    assert out.repeated_dossiers == 1, "only the repeat a minute later is excluded"
    data = march(engine)
    assert data.totals.total == 2 and data.screening.filtered == {f"excluded: {REASON}": 1}
    assert data.screening.dossier_collisions == 1
