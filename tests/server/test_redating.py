"""Re-dating unsynced presses: one rule, whole milliseconds, whether a press came before its anchor."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import custom
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.batch import apply_anchor, redate
from hailong.server.storage.db import presses
from tests.server.batches import press, store

ANCHOR_MONO = 12345.678901  # a realistic time.monotonic(): sub-millisecond digits
ANCHOR_MS = 1_709_605_800_000  # 2024-03-05 09:30 in Hồ Chí Minh City
MONOS = (12300.123457, 12301.900002, 12303.700049, 12305.200731, 12307.999999)  # within 8 s
WRONG_CLOCK = "2000-01-01T07:00:00.000+07:00"  # what an unsynced kiosk believes


def unsynced(device: str) -> list:
    return [press(device, seq, synced=False, boot="b1", mono=mono, ts=WRONG_CLOCK)
            for seq, mono in enumerate(MONOS, start=1)]  # fmt: skip


def anchor(engine, device: str) -> int:
    with engine.begin() as conn:
        return apply_anchor(conn, device, "b1", ANCHOR_MONO, ANCHOR_MS)


def stored(engine, device: str) -> list:
    with engine.connect() as conn:
        query = select(presses.c.at_ms, presses.c.redated).where(presses.c.device == device)
        return conn.execute(query.order_by(presses.c.seq)).all()


def test_presses_before_and_after_the_anchor_get_the_same_whole_milliseconds(engine):
    store(engine, unsynced("k1"))  # stored first: the anchor re-dates them in the database
    assert anchor(engine, "k1") == len(MONOS)
    assert anchor(engine, "k2") == 0
    store(engine, unsynced("k2"))  # stored after: re-dated as they go in
    before, after = stored(engine, "k1"), stored(engine, "k2")
    expected = [redate((ANCHOR_MONO, ANCHOR_MS), mono) for mono in MONOS]
    assert [row.at_ms for row in before] == [row.at_ms for row in after] == expected
    assert all(type(row.at_ms) is int and row.redated for row in before + after)
    assert expected[0] == ANCHOR_MS - 45_555  # 45.555444 s before the anchor, to the nearest ms


def test_redated_presses_within_a_few_seconds_are_flagged_as_a_burst(engine):
    store(engine, unsynced("k1"))
    anchor(engine, "k1")
    settings = ReportSettings(time_zone="Asia/Ho_Chi_Minh")
    with engine.connect() as conn:
        data = build_report(conn, custom(date(2024, 3, 1), date(2024, 3, 31)), settings,
                            issued=date(2024, 4, 1), rollups="off")  # fmt: skip
    assert data.totals.total == len(MONOS)
    assert data.screening.bursts == len(MONOS)


def test_the_flags_go_in_as_each_database_keeps_its_booleans(engine):
    # The batch binds SQLite's flags as 0/1, PostgreSQL's as booleans: both read back as
    # booleans and are found by the filters apply_anchor and the reports use.
    store(engine, unsynced("k1")[:2])  # before the anchor: unsynced, not re-dated
    anchor(engine, "k2")
    store(engine, unsynced("k2")[:2] + [press("k2", 9)])  # re-dated as they go in; one synced
    flags = select(presses.c.device, presses.c.seq, presses.c.synced, presses.c.redated)
    with engine.connect() as conn:
        got = conn.execute(flags.order_by(presses.c.device, presses.c.seq)).all()
        assert [tuple(row) for row in got] == [
            ("k1", 1, False, False), ("k1", 2, False, False),
            ("k2", 1, False, True), ("k2", 2, False, True), ("k2", 9, True, False),
        ]  # fmt: skip
        assert all(type(row.synced) is bool and type(row.redated) is bool for row in got)
        found = select(presses.c.seq).where(
            presses.c.redated.is_(True), presses.c.synced.is_(False)
        )
        assert conn.execute(found.order_by(presses.c.seq)).scalars().all() == [1, 2]
        if engine.dialect.name == "sqlite":  # the same storage class SQLAlchemy writes
            kinds = "SELECT DISTINCT typeof(synced), typeof(redated) FROM presses"
            assert conn.exec_driver_sql(kinds).all() == [("integer", "integer")]
