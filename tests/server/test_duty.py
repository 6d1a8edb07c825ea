"""Who was on duty: the kiosk's Config and the report's attribution give the same answer."""

from __future__ import annotations

from sqlalchemy import insert

from hailong.server.epoch import from_ms
from hailong.server.reference.duty import official_at
from hailong.server.reporting import queries as q
from hailong.server.storage.db import duty, presses
from tests.server.report_world import at, ms, press_row

HANDOVER = ms(at("2024-03-16", "00:00"))  # cb-03's duty ends exactly when cb-02's begins
SHARED = ms(at("2024-03-20", "08:00"))  # two rows starting at once (old data): the later row


def roster(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(duty), [
            {"counter": "Q2", "official": "cb-03", "start_ms": ms(at("2024-01-01", "00:00")),
             "end_ms": HANDOVER},
            {"counter": "Q2", "official": "cb-02", "start_ms": HANDOVER, "end_ms": None},
            {"counter": "Q3", "official": "cb-04", "start_ms": SHARED, "end_ms": None},
            {"counter": "Q3", "official": "cb-05", "start_ms": SHARED, "end_ms": None},
        ])  # fmt: skip


def attributed(engine, counter: str, at_ms: int) -> str | None:
    """Store a press sent without an official; return whom the report credits with it."""
    row = press_row(f"k-{at_ms}", 1, 4, from_ms(at_ms), counter=counter)
    with engine.begin() as conn:
        conn.execute(insert(presses).values(row))
    with engine.connect() as conn:
        [(official, _rating)] = q.counts_by_duty(conn, at_ms, at_ms + 1)
    return official


def test_the_handover_instant_belongs_to_the_next_duty_everywhere(engine):
    roster(engine)
    for moment, expected in ((HANDOVER - 1, "cb-03"), (HANDOVER, "cb-02"), (HANDOVER + 1, "cb-02")):
        with engine.connect() as conn:
            assert official_at(conn, "Q2", moment) == expected
        assert attributed(engine, "Q2", moment) == expected


def test_rows_starting_at_once_resolve_to_the_later_row_everywhere(engine):
    roster(engine)
    with engine.connect() as conn:
        assert official_at(conn, "Q3", SHARED) == "cb-05"
    assert attributed(engine, "Q3", SHARED) == "cb-05"


def test_before_any_duty_nobody_is_credited(engine):
    roster(engine)
    before = ms(at("2023-12-31", "23:59"))
    with engine.connect() as conn:
        assert official_at(conn, "Q2", before) is None
    assert attributed(engine, "Q2", before) is None
