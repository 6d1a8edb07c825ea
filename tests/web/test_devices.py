"""The fleet page's judgement: a kiosk silent during office hours stands out."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from hailong.server.storage import db
from hailong.server.web.devices import SILENT_AFTER_MS, fleet_health
from tests.web.conftest import SETTINGS

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=HCM).timestamp() * 1000)


@pytest.fixture
def engine(tmp_path):
    engine = db.open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    now = ms("2024-03-04T09:00")  # a Monday morning
    rows = [("k1", "online", now - 60_000), ("k2", "online", now - SILENT_AFTER_MS - 1),
            ("k3", "offline", now - 60_000), ("k4", None, None)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(db.devices), [
            {"device": d, "acked_upto": 3, "state": s, "last_seen_ms": seen, "state_since_ms": seen,
             "health": json.dumps({"last_seq": 5, "synced": True})} for d, s, seen in rows
        ])  # fmt: skip
    yield engine
    engine.dispose()


def test_silent_kiosks_during_office_hours_come_first(engine):
    with engine.connect() as conn:
        kiosks = fleet_health(conn, SETTINGS, ms("2024-03-04T09:00"))
    assert [(k.device, k.silent) for k in kiosks] == [
        ("k2", True),
        ("k3", True),
        ("k4", True),
        ("k1", False),
    ]
    assert kiosks[-1].unacked == 2


@pytest.mark.parametrize("moment", ["2024-03-04T12:00", "2024-03-09T09:00", "2024-03-04T18:00"])
def test_nobody_is_silent_while_the_office_is_closed(engine, moment):
    assert not SETTINGS.office.is_open_ms(ms(moment))
    with engine.connect() as conn:
        assert not any(k.silent for k in fleet_health(conn, SETTINGS, ms(moment)))


def test_holidays_close_the_office():
    tet = replace(SETTINGS, holidays=("2024-02-12",))
    assert SETTINGS.office.is_open_ms(ms("2024-02-12T09:00"))
    assert not tet.office.is_open_ms(ms("2024-02-12T09:00"))
