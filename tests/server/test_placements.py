"""Placement over time: moving a kiosk never re-attributes the presses it took before."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from hailong.server.errors import InputError
from hailong.server.reference import catalogue, placements
from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage import db
from hailong.server.storage.schema import device_placements
from tests.server.report_world import at, ms, press_row
from tests.server.test_schema import load_release

SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", min_sample=1)
ZONE = "Asia/Ho_Chi_Minh"
PLACED = ms(at("2024-03-01", "08:00"))
MOVED = ms(at("2024-03-15", "12:00"))


def office(engine) -> None:
    """Store an office where cb-01 serves at Q1 and cb-02 at Q2 all March; k1 stands at Q1."""
    with engine.begin() as conn:
        conn.execute(insert(db.officials), [{"code": c, "name": c, "active": True}
                                            for c in ("cb-01", "cb-02")])  # fmt: skip
        conn.execute(insert(db.counters), [{"code": c, "name": c} for c in ("Q1", "Q2")])
        conn.execute(insert(db.duty), [{"counter": q, "official": o, "start_ms": 0, "end_ms": None}
                                       for q, o in (("Q1", "cb-01"), ("Q2", "cb-02"))])  # fmt: skip
        catalogue.set_device_counter(conn, "k1", "Q1", "lan", at_ms=PLACED, tz=ZONE)


def presses_at(engine, *moments: int, counter: str = "Q1") -> None:
    """Store k1's presses at these instants, naming no official and the given counter."""
    rows = [press_row("k1", seq, 4, at("2024-03-01", "09:00"), counter=counter) | {"at_ms": moment}
            for seq, moment in enumerate(moments, start=1)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(db.presses), rows)


def credited(engine) -> dict[str, int]:
    """Return each official's sample for March 2024."""
    with engine.connect() as conn:
        data = build_report(conn, parse_period("2024-03"), SETTINGS, date(2024, 3, 31),
                            rollups="off")  # fmt: skip
    return {row.code: row.result.sample for row in data.officials}


def test_a_kiosk_moved_mid_month_keeps_its_earlier_presses_on_the_old_roster(engine):
    office(engine)
    presses_at(engine, ms(at("2024-03-04", "09:00")), ms(at("2024-03-14", "16:00")),
               ms(at("2024-03-20", "10:00")))  # fmt: skip
    with engine.begin() as conn:
        catalogue.set_device_counter(conn, "k1", "Q2", "lan", at_ms=MOVED, tz=ZONE)
    assert credited(engine) == {"cb-01": 2, "cb-02": 1}


def test_at_the_moving_instant_the_new_counter_has_the_kiosk(engine):
    office(engine)
    presses_at(engine, MOVED - 1, MOVED)
    with engine.begin() as conn:
        catalogue.set_device_counter(conn, "k1", "Q2", "lan", at_ms=MOVED, tz=ZONE)
        assert placements.counter_at(conn, "k1", MOVED - 1) == "Q1"
        assert placements.counter_at(conn, "k1", MOVED) == "Q2"
        assert placements.counter_at(conn, "k1", PLACED - 1) is None
    assert credited(engine) == {"cb-01": 1, "cb-02": 1}


def test_moving_closes_the_old_placement_and_is_audited(engine):
    office(engine)
    with engine.begin() as conn:
        catalogue.set_device_counter(conn, "k1", "Q2", "lan", at_ms=MOVED, tz=ZONE)
        catalogue.set_device_counter(conn, "k1", "Q2", "lan", tz=ZONE)  # already there: no change
        history = placements.history(conn, "k1")
        logged = conn.execute(select(db.audit.c.action, db.audit.c.key)
                              .where(db.audit.c.entity == "device_placement")
                              .order_by(db.audit.c.id)).all()  # fmt: skip
        now = conn.execute(select(db.device_counters.c.counter)).scalar_one()
    assert [(p.counter, p.start_ms, p.end_ms) for p in history] == [
        ("Q1", PLACED, MOVED), ("Q2", MOVED, None)]  # fmt: skip
    first, second = (str(p.id) for p in history)
    assert logged == [("create", first), ("update", first), ("create", second)]
    assert now == "Q2", "the kiosk's Config is built from where it stands now"


def test_a_placement_before_the_current_one_or_in_the_future_is_refused(engine):
    office(engine)
    with engine.begin() as conn:
        with pytest.raises(InputError, match="stands at counter Q1 from"):
            catalogue.set_device_counter(conn, "k1", "Q2", "lan", at_ms=PLACED - 1, tz=ZONE)
        with pytest.raises(InputError, match="future"):
            catalogue.set_device_counter(conn, "k1", "Q2", "lan", at_ms=2**52, tz=ZONE)
        assert [p.counter for p in placements.history(conn, "k1")] == ["Q1"]


def test_a_kiosk_that_left_keeps_its_presses_on_its_last_counter(engine):
    # k1's own setting says Q2: it stands for k1 only after it left Q1.
    office(engine)
    presses_at(engine, ms(at("2024-03-04", "09:00")), ms(at("2024-03-20", "10:00")), counter="Q2")
    with engine.begin() as conn:
        placements.leave(conn, "k1", MOVED, "lan")
        assert conn.execute(select(db.device_counters)).first() is None
    assert credited(engine) == {"cb-01": 1, "cb-02": 1}


def test_an_upgraded_database_places_each_kiosk_where_it_stood(database_url):
    load_release(database_url)
    engine = db.open_database(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(device_placements.c.device, device_placements.c.counter,
                                   device_placements.c.start_ms, device_placements.c.end_ms)).all()  # fmt: skip
        placed = dict(conn.execute(select(db.device_counters)).all())
        assert placements.counter_at(conn, "k1", 0) == "Q1"
    engine.dispose()
    assert placed == {"k1": "Q1"}
    assert rows == [("k1", "Q1", 0, None)]
