"""The fleet page's judgement: a kiosk silent during office hours stands out."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import event, insert, text
from sqlalchemy.exc import OperationalError

from hailong.server.epoch import now_ms
from hailong.server.ingest.state import record_commit, record_held
from hailong.server.storage import db
from hailong.server.web.devices import SILENT_AFTER_MS, fleet_health
from tests.web.conftest import SETTINGS, login

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


def healthz(served) -> tuple[int, dict]:
    """Return /healthz's status and JSON, as a monitor would read them."""
    try:
        with urllib.request.urlopen(served.path("/healthz"), timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_red_banner_and_a_failing_healthz_while_ingest_stores_nothing(page, serve):
    served = serve()  # k1 is online (tests/web/conftest.py add_fleet); ingest never committed
    login(page, served)
    page.goto(served.path("/devices"))
    expect(page.get_by_role("alert").filter(has_text="không lưu được lượt bấm")).to_be_visible()
    status, body = healthz(served)
    assert status == 503 and body["database"] == "ok" and body["ingest"]["stale"]
    with served.engine.begin() as conn:
        record_commit(conn, "hailong-collector", now_ms() - 10_000)
    page.reload()
    expect(page.get_by_text("không lưu được lượt bấm")).to_have_count(0)
    assert healthz(served)[0] == 200
    with served.engine.begin() as conn:  # stale again: nothing stored for longer than allowed
        record_commit(conn, "hailong-collector", now_ms() - 301_000)
    assert healthz(served)[0] == 503


def test_a_red_banner_while_ingest_holds_presses_for_lack_of_disk(page, serve):
    served = serve()
    with served.engine.begin() as conn:
        record_commit(conn, "hailong-collector", now_ms())
        record_held(conn, "hailong-collector", now_ms(), 300 * 1024 * 1024)
    login(page, served)
    page.goto(served.path("/devices"))
    expect(page.get_by_role("alert").filter(has_text="còn 300 MB")).to_be_visible()
    status, body = healthz(served)
    assert status == 503 and body["ingest"]["held_since_ms"] is not None


def test_healthz_fails_when_the_database_cannot_be_read(serve):
    served = serve()
    assert healthz(served)[0] == 503  # k1 online, nothing committed: see above
    with served.engine.begin() as conn:
        record_commit(conn, "hailong-collector", now_ms())
    assert healthz(served)[0] == 200
    with served.engine.begin() as conn:  # a damaged database: a table gone
        conn.execute(text("DROP TABLE ingest_state"))
    status, body = healthz(served)
    assert status == 503 and "ingest_state" in body["database"]


def test_read_pages_answer_on_a_full_disk(page, serve):
    """With no room left for one more page of the database, reading pages still works."""
    served = serve()
    engine = served.app.extensions["hailong"].engine

    @event.listens_for(engine, "connect")
    def full(dbapi_connection, _record):
        # SQLite's own "database or disk is full", as a full file system gives it.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()  # reconnect every pooled connection through the listener
    with engine.begin() as conn, pytest.raises(OperationalError, match="full"):
        conn.execute(insert(db.quarantine), [
            {"received_ms": 1, "topic": "t", "kind": "invalid", "reason": "r",
             "payload": bytes(8192)} for _ in range(64)
        ])  # fmt: skip
    for path in ("/board?period=2024-03", "/board/poster?period=2024-03", "/healthz"):
        status = page.goto(served.path(path)).status
        assert status in (200, 503) and (status == 200 or path == "/healthz"), path
    login(page, served)
    for path in ("/summary?period=2024-03", "/devices"):
        assert page.goto(served.path(path)).status == 200, path
