"""The summary page shows the attribution flags: presses naming another official, dossier collisions."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import insert

from hailong.server.storage import db
from hailong.server.storage.schema import device_placements
from tests.server.report_world import at, press_row
from tests.web.conftest import login


def test_official_mismatch_is_flagged_and_counted_for_the_roster(page, served):
    # k5 stands at Q2, where cb-02 is on duty from 16/03, but its presses name cb-01.
    with served.engine.begin() as conn:
        conn.execute(insert(db.device_counters).values(device="k5", counter="Q2"))
        conn.execute(insert(device_placements).values(device="k5", counter="Q2", start_ms=0))
        conn.execute(insert(db.presses), [
            press_row("k5", s, 4, at("2024-03-20", f"09:0{s}"), counter="Q1", official="cb-01")
            for s in (1, 2)
        ])  # fmt: skip
    login(page, served)
    page.goto(served.path("/summary?period=2024-03"))
    expect(page.locator("#flag-official-mismatch dd")).to_have_text("2")
    expect(page.locator("#flag-dossier-collision dd")).to_have_text("0")
    # cb-02 had 5 ratings in March (report_world); the two presses are counted for cb-02.
    expect(page.get_by_role("row", name="Trần Thị Bích")).to_contain_text("7")
