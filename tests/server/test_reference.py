"""Reference data: fields, officials, counters, duty over time, kiosk configs, and their audit."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from hailong.protocol import Config, parse_config
from hailong.server.errors import InputError
from hailong.server.reference import catalogue as reference
from hailong.server.reference.audit import recent
from hailong.server.storage.db import audit, devices, duty, open_database

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T1 = int(datetime(2024, 3, 1, 7, 30, tzinfo=HCM).timestamp() * 1000)
T2 = int(datetime(2024, 3, 15, 7, 30, tzinfo=HCM).timestamp() * 1000)
T3 = int(datetime(2024, 4, 1, 7, 30, tzinfo=HCM).timestamp() * 1000)
NOW = int(datetime(2024, 6, 1, 12, 0, tzinfo=HCM).timestamp() * 1000)
ZONE = "Asia/Ho_Chi_Minh"


@pytest.fixture
def engine(database_url):
    """A fresh database with two fields, three officials and two counters."""
    engine = open_database(database_url)
    with engine.begin() as conn:
        reference.add_field(conn, "ho-tich", "Hộ tịch", "setup")
        reference.add_field(conn, "dat-dai", "Đất đai", "setup")
        for code, name in (("cb-01", "Nguyễn Văn An"), ("cb-02", "Trần Thị Bình"),
                           ("cb-03", "Lê Hữu Cường")):  # fmt: skip
            reference.add_official(conn, code, name, "setup")
        reference.add_counter(conn, "Q1", "Quầy 1", "setup", field="ho-tich")
        reference.add_counter(conn, "Q2", "Quầy 2", "setup")
    yield engine
    engine.dispose()


def audit_rows(conn, entity=None):
    return [e for e in reversed(recent(conn, 1000, entity)) if e.actor != "setup"]


def assign(conn, counter, official, start, actor="lan"):
    return reference.assign(conn, counter, official, start, actor, now=NOW, tz=ZONE)


def test_adding_a_field_is_audited_with_its_row(engine):
    with engine.begin() as conn:
        reference.add_field(conn, "  chung-thuc ", "Chứng   thực", "lan")
        [entry] = audit_rows(conn)
    assert (entry.actor, entry.action, entry.entity, entry.key) == (
        "lan",
        "create",
        "field",
        "chung-thuc",
    )
    assert entry.before is None
    assert entry.after == {"code": "chung-thuc", "name": "Chứng thực", "active": True}


def test_changes_record_before_and_after_and_a_no_op_records_nothing(engine):
    with engine.begin() as conn:
        assert reference.set_official(conn, "cb-01", "lan", name="Nguyễn Văn Anh")
        assert reference.set_field(conn, "dat-dai", "lan", active=False)
        assert not reference.set_field(conn, "dat-dai", "lan", active=False)
        rename, deactivate = audit_rows(conn)
    assert rename.before["name"] == "Nguyễn Văn An" and rename.after["name"] == "Nguyễn Văn Anh"
    assert (deactivate.before["active"], deactivate.after["active"]) == (True, False)
    assert deactivate.action == "update"


def test_counter_field_can_be_changed_and_cleared(engine):
    with engine.begin() as conn:
        reference.set_counter(conn, "Q2", "lan", field="dat-dai")
        reference.set_counter(conn, "Q2", "lan", field=None)
        rows = {r["code"]: r for r in reference.listing(conn, "counter")}
        changes = audit_rows(conn, "counter")
    assert rows["Q2"]["field"] is None and rows["Q1"]["field"] == "ho-tich"
    assert [(c.before["field"], c.after["field"]) for c in changes] == [
        (None, "dat-dai"),
        ("dat-dai", None),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: reference.add_field(c, "ho-tich", "Hộ tịch 2", "lan"), "already exists"),
        (lambda c: reference.add_field(c, "ho tich", "Hộ tịch", "lan"), "without spaces"),
        (lambda c: reference.add_field(c, "x" * 65, "X", "lan"), "1..64"),
        (lambda c: reference.add_official(c, "cb-09", "", "lan"), "name"),
        (lambda c: reference.add_official(c, "cb-09", "Đỗ Văn D", " "), "--actor"),
        (lambda c: reference.set_field(c, "nope", "lan", name="X"), "unknown field 'nope'"),
        (lambda c: reference.add_counter(c, "Q3", "Quầy 3", "lan", field="nope"), "unknown field"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(engine, call, message):
    with engine.begin() as conn, pytest.raises(InputError, match=message):
        call(conn)


def test_duty_attributes_presses_over_time(engine):
    with engine.begin() as conn:
        assign(conn, "Q1", "cb-01", T1)
        assign(conn, "Q1", "cb-02", T2)
        assign(conn, "Q2", "cb-03", T2)
        at = lambda ms: reference.official_at(conn, "Q1", ms)  # noqa: E731
        assert [at(T1 - 1), at(T1), at(T2 - 1), at(T2), at(NOW)] == [
            None,
            "cb-01",
            "cb-01",
            "cb-02",
            "cb-02",
        ]
        assert reference.official_at(conn, "Q2", T2 + 1) == "cb-03"
        history = reference.assignments(conn, "Q1")
    assert [(a.official, a.start_ms, a.end_ms) for a in history] == [
        ("cb-01", T1, T2),
        ("cb-02", T2, None),
    ]


def test_a_new_duty_closes_the_open_one_and_both_are_audited(engine):
    with engine.begin() as conn:
        first = assign(conn, "Q1", "cb-01", T1)
        second = assign(conn, "Q1", "cb-02", T2)
        closing, opening = audit_rows(conn, "duty")[1:]
    assert (closing.action, closing.key) == ("update", str(first.id))
    assert (closing.before["end_ms"], closing.after["end_ms"]) == (None, T2)
    assert (opening.action, opening.key, opening.before) == ("create", str(second.id), None)
    assert opening.after == {"id": second.id, "counter": "Q1", "official": "cb-02",
                             "start_ms": T2, "end_ms": None}  # fmt: skip


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (T2 - 1, "on duty from 15/03/2024 07:30; a new duty must start after that"),
        (T2, "must start after that"),
        (NOW + 60_000, "cannot start in the future"),
    ],
)
def test_backdated_or_future_duty_is_refused_and_changes_nothing(engine, start, message):
    with engine.begin() as conn:
        assign(conn, "Q1", "cb-01", T1)
        assign(conn, "Q1", "cb-02", T2)
        rows = conn.execute(select(duty)).all()
        with pytest.raises(InputError, match=message):
            assign(conn, "Q1", "cb-03", start)
        assert conn.execute(select(duty)).all() == rows


def test_a_duty_overlapping_an_ended_one_is_refused(engine):
    with engine.begin() as conn:
        assign(conn, "Q1", "cb-01", T1)
        reference.release(conn, "Q1", T3, "lan", now=NOW, tz=ZONE)
        assert reference.official_at(conn, "Q1", T3) is None
        with pytest.raises(
            InputError, match="on duty until 01/04/2024 07:30; a new duty cannot overlap"
        ):
            assign(conn, "Q1", "cb-02", T3 - 1)
        assign(conn, "Q1", "cb-02", T3 + 3_600_000)
        assert reference.official_at(conn, "Q1", T3 + 1) is None
        assert reference.official_at(conn, "Q1", T3 + 3_600_000) == "cb-02"


def test_the_same_official_twice_an_inactive_official_and_unknown_counter_are_refused(engine):
    with engine.begin() as conn:
        assign(conn, "Q1", "cb-01", T1)
        with pytest.raises(InputError, match="already on duty"):
            assign(conn, "Q1", "cb-01", T2)
        reference.set_official(conn, "cb-03", "lan", active=False)
        with pytest.raises(InputError, match="cb-03 is inactive"):
            assign(conn, "Q2", "cb-03", T2)
        with pytest.raises(InputError, match="unknown counter 'Q9'"):
            assign(conn, "Q9", "cb-02", T2)
        with pytest.raises(InputError, match="on duty at counter Q1"):
            reference.set_official(conn, "cb-01", "lan", active=False)


def test_a_placed_kiosk_gets_the_counter_official_and_field_in_its_config(engine):
    with engine.begin() as conn:
        assign(conn, "Q1", "cb-01", T1)
        config = reference.set_device_counter(conn, "quay-1", "Q1", "lan")
        stored = conn.execute(select(devices.c.config).where(devices.c.device == "quay-1")).scalar()
        [placed] = audit_rows(conn, "device_counter")
    assert config == Config(counter="Q1", official="cb-01", official_name="Nguyễn Văn An",
                            field="ho-tich", field_name="Hộ tịch")  # fmt: skip
    assert parse_config(stored.encode()) == config
    assert placed.after == {"device": "quay-1", "counter": "Q1"}


def test_duty_and_name_changes_rebuild_the_stored_config(engine):
    def stored(conn):
        text = conn.execute(select(devices.c.config).where(devices.c.device == "quay-1")).scalar()
        return json.loads(text)

    with engine.begin() as conn:
        reference.set_device_counter(conn, "quay-1", "Q1", "lan")
        assert stored(conn)["official"] is None
        assign(conn, "Q1", "cb-02", T1)
        assert stored(conn)["official_name"] == "Trần Thị Bình"
        reference.set_official(conn, "cb-02", "lan", name="Trần Thị Bích")
        assert stored(conn)["official_name"] == "Trần Thị Bích"
        reference.set_field(conn, "ho-tich", "lan", name="Hộ tịch - Chứng thực")
        assert stored(conn)["field_name"] == "Hộ tịch - Chứng thực"
        reference.release(conn, "Q1", T2, "lan", now=NOW, tz=ZONE)
        assert (stored(conn)["official"], stored(conn)["official_name"]) == (None, None)


def test_config_keeps_settings_it_does_not_own(engine):
    with engine.begin() as conn:
        conn.execute(devices.insert().values(device="quay-2", acked_upto=7,
                                             config='{"v":1,"question":"Ông/Bà có hài lòng?"}'))  # fmt: skip
        reference.set_device_counter(conn, "quay-2", "Q2", "lan")
        row = conn.execute(select(devices).where(devices.c.device == "quay-2")).one()
    assert row.acked_upto == 7
    assert json.loads(row.config) == {"v": 1, "question": "Ông/Bà có hài lòng?", "counter": "Q2",
                                      "official": None, "official_name": None, "field": None,
                                      "field_name": None}  # fmt: skip


def test_an_unplaced_kiosk_keeps_its_own_settings(engine):
    with engine.begin() as conn:
        assert reference.config_for_device(conn, "quay-9").present() == {}


def test_moving_a_kiosk_is_audited_and_bad_ids_refused(engine):
    with engine.begin() as conn:
        reference.set_device_counter(conn, "quay-1", "Q1", "lan")
        reference.set_device_counter(conn, "quay-1", "Q2", "lan")
        reference.set_device_counter(conn, "quay-1", "Q2", "lan")
        moves = audit_rows(conn, "device_counter")
        with pytest.raises(InputError, match="device 'Quay 1'"):
            reference.set_device_counter(conn, "Quay 1", "Q1", "lan")
        assert [r["counter"] for r in reference.list_devices(conn)] == ["Q2"]
    assert [(m.action, m.before, m.after["counter"]) for m in moves] == [
        ("create", None, "Q1"),
        ("update", {"device": "quay-1", "counter": "Q1"}, "Q2"),
    ]


def test_a_failed_command_rolls_back_with_its_audit_rows(engine):
    with pytest.raises(InputError), engine.begin() as conn:
        reference.add_field(conn, "van-hoa", "Văn hóa", "lan")
        reference.add_field(conn, "van-hoa", "Văn hóa", "lan")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit)).scalar() == 7  # setup only
