"""Stored rollups are validated by change marks: a late, re-dated or other office's press.

A half-month's rollup keeps the mark it was counted (or last found valid) at; it holds while no
press stored since falls in it and no anchor was added. Every figure is checked against counts
made here from the presses inserted, and against the same report with rollups off.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from hailong.server.reference import scope
from hailong.server.reporting import marks
from hailong.server.reporting.office_counts import office_row
from hailong.server.reporting.upward import consolidated
from hailong.server.storage import db
from hailong.server.storage.batch import apply_anchor
from hailong.server.storage.schema import report_halves
from tests.server.report_world import at, ms, press_row
from tests.server.test_province_database import MARCH, SETTINGS, expected, seed_province

ISSUED = date(2024, 4, 5)


@pytest.fixture
def province(engine):
    return seed_province(engine)


def counts(report) -> dict[str, Counter]:
    """Return each row's ratings per level."""
    return {row.code: Counter({k: v for k, v in row.stats.counts.items() if v})
            for row in report.offices}  # fmt: skip


def halves_of(engine, code: str) -> dict[str, tuple]:
    """Return first day -> (press_mark, anchor_mark, built_ms) of an office's March rollups."""
    with engine.connect() as conn:
        office = conn.execute(text("SELECT id FROM offices WHERE code = :c"), {"c": code})
        t = report_halves.c
        rows = conn.execute(
            select(t.first_day, t.press_mark, t.anchor_mark, t.built_ms).where(
                t.office_id == office.scalar_one(), t.first_day.like("2024-03-%")
            )
        )
        return {r.first_day: (r.press_mark, r.anchor_mark, r.built_ms) for r in rows}


def without_rollups(engine, code: str) -> Counter:
    """Count an office's March straight from presses (rollups off), as a second opinion."""
    from hailong.server.reporting import data

    with engine.connect() as conn, scope.acting_for(conn, code):
        original = data._rollup_mode
        data._rollup_mode = lambda _conn: "off"
        try:
            row = office_row(conn, code, code, MARCH, SETTINGS)
        finally:
            data._rollup_mode = original
    return Counter({k: v for k, v in row.counts.items() if v})


def test_a_late_press_is_counted_once_and_only_its_office_recounts(province):
    first = consolidated(province, MARCH, SETTINGS, ISSUED)
    assert counts(first) == expected()
    kept_a, kept_b = halves_of(province, "xa-a"), halves_of(province, "xa-b")
    assert set(kept_a) == {"2024-03-01", "2024-03-15"}
    assert all(mark is not None for mark, _a, _b in kept_a.values())
    with province.begin() as conn:  # old at_ms (a closed half-month), new id
        conn.execute(insert(db.presses).values(
            press_row("kb", 99, 1, at("2024-03-06", "10:00"), field="dat-dai")))  # fmt: skip
    again = consolidated(province, MARCH, SETTINGS, ISSUED)
    want = expected()
    want["xa-b"][1] += 1
    assert counts(again) == want
    assert counts(consolidated(province, MARCH, SETTINGS, ISSUED)) == want  # stored, not twice
    assert without_rollups(province, "xa-b") == want["xa-b"]
    now_a, now_b = halves_of(province, "xa-a"), halves_of(province, "xa-b")
    # xa-a's rollups were not counted again, only given the newer mark.
    assert {d: v[2] for d, v in now_a.items()} == {d: v[2] for d, v in kept_a.items()}
    assert all(now_a[d][0] > kept_a[d][0] for d in now_a)
    assert now_b["2024-03-01"][2] >= kept_b["2024-03-01"][2]
    assert now_b["2024-03-01"][0] > kept_b["2024-03-01"][0]


def test_a_redated_press_leaves_the_half_month_it_was_counted_in(province):
    with province.begin() as conn:  # unsynced: dated by the kiosk's clock until an anchor
        conn.execute(insert(db.presses).values(
            press_row("ka", 50, 4, at("2024-03-07", "09:00"), field="ho-tich", synced=False,
                      boot="b-unsynced", mono=500.0)))  # fmt: skip
    want = expected()
    want["xa-a"][4] += 1
    assert counts(consolidated(province, MARCH, SETTINGS, ISSUED)) == want
    with province.begin() as conn:  # the boot's first synced reading: the press is in April
        moved = apply_anchor(conn, "ka", "b-unsynced", 600.0, ms(at("2024-04-02", "09:00")))
    assert moved == 1
    want["xa-a"][4] -= 1
    assert counts(consolidated(province, MARCH, SETTINGS, ISSUED)) == want
    assert without_rollups(province, "xa-a") == want["xa-a"]
    # Found valid by fingerprint after the anchor: the rollups take the new anchors' count.
    assert counts(consolidated(province, MARCH, SETTINGS, ISSUED)) == want
    with province.connect() as conn:
        anchors = conn.execute(select(func.count()).select_from(db.anchors)).scalar_one()
    assert {v[1] for v in halves_of(province, "xa-a").values()} == {anchors}


def test_a_press_in_another_office_is_never_counted_here(province):
    consolidated(province, MARCH, SETTINGS, ISSUED)
    with province.begin() as conn:
        conn.execute(insert(db.presses).values(
            press_row("ks", 77, 2, at("2024-03-20", "10:00"), field="ho-tich")))  # fmt: skip
    want = expected()
    want["xa-a"][2] += 1  # ks is xa-a's site: counted with it, not with xa-b
    assert counts(consolidated(province, MARCH, SETTINGS, ISSUED)) == want
    with province.connect() as conn:
        office = conn.execute(select(db.presses.c.office_id).where(
            db.presses.c.device == "ks", db.presses.c.seq == 77)).scalar_one()  # fmt: skip
        site = conn.execute(text("SELECT id FROM offices WHERE code = 'xa-a-co-so'"))
        assert office == site.scalar_one()  # the press carries its kiosk's office


def test_a_mark_waits_for_presses_being_written(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its ids commit in order")
    with engine.begin() as conn:
        conn.execute(insert(db.devices).values(device="k1", acked_upto=0))
    writer = engine.connect()
    writer.begin()
    writer.execute(insert(db.presses).values(press_row("k1", 1, 4, at("2024-03-05", "09:00"))))
    written = writer.execute(select(db.presses.c.id)).scalar_one()
    found: list = []
    taker = threading.Thread(target=lambda: found.append(_take(engine)))
    taker.start()
    watcher = create_engine(engine.url)
    try:
        waiting = False
        for _ in range(200):  # bounded: the mark's lock shows as waiting within seconds
            with watcher.connect() as conn:
                waiting = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
                    " AND query LIKE '%pg_advisory_xact_lock(%'")).scalar_one() > 0  # fmt: skip
            if waiting:
                break
            taker.join(0.05)
        assert waiting and found == []  # no mark while a press is being written
        writer.commit()
        taker.join(30)
        assert found and found[0].press == written  # every id up to the mark is committed
    finally:
        writer.close()
        watcher.dispose()


def _take(engine):
    with engine.connect() as conn:
        return marks.take(conn)


def test_arrivals_answer_only_for_marks_they_cover():
    seen = marks.Arrivals(10, 0, {1: [(100, 11), (200, 12)], 2: [(150, 13)]})
    assert seen.touch([1], 0, 150, 10) and not seen.touch([1], 0, 150, 11)
    assert not seen.touch([2], 0, 150, 10) and seen.touch(None, 150, 151, 10)
    assert seen.offices() == {1, 2} and seen.offices(12) == {2}
    with pytest.raises(ValueError, match="since 10"):
        seen.touch([1], 0, 10, 9)


def test_a_press_inserted_without_an_office_takes_its_kiosks(province):
    with province.begin() as conn:
        conn.execute(insert(db.presses).values(
            press_row("unknown-kiosk", 1, 4, at("2024-03-05", "09:00"))))  # fmt: skip
        found = conn.execute(select(db.presses.c.office_id).where(
            db.presses.c.device == "unknown-kiosk")).scalar_one()  # fmt: skip
        root = conn.execute(text("SELECT id FROM offices WHERE parent_id IS NULL")).scalar_one()
    assert found == root  # never registered: the root office's, as before offices had presses


def stored_rows(engine) -> dict:
    """Return every stored rollup row but the marks and times, per table, in a stable order."""
    found = {}
    with engine.connect() as conn:
        for table in ("report_halves", "report_half_counts", "report_half_flags"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()
            skip = {"built_ms", "press_mark", "anchor_mark"}
            found[table] = sorted(
                (tuple(sorted((k, v) for k, v in r.items() if k not in skip)) for r in rows),
                key=repr,
            )
    return found


def test_the_grouped_pass_stores_what_each_office_would_store(province):
    from hailong.server.reporting.reading import prepare

    with province.begin() as conn:  # a burst across the middle of March, night presses
        burst = [press_row("kb", 60 + i, 1, at("2024-03-14", "23:59") + timedelta(seconds=57 + i),
                           field="dat-dai") for i in range(5)]  # fmt: skip
        night = [press_row("ks", 60, 2, at("2024-03-20", "22:00"), official="cb-9"),
                 press_row("ka", 60, 4, at("2024-03-02", "06:00"), field="ho-tich")]  # fmt: skip
        conn.execute(insert(db.presses), burst + night)
    consolidated(province, MARCH, SETTINGS, ISSUED)  # every rollup counted in grouped passes
    grouped = stored_rows(province)
    assert grouped["report_half_flags"]  # the burst and the night presses are candidates
    with province.begin() as conn:
        for table in ("report_half_flags", "report_half_counts", "report_halves"):
            conn.execute(text(f"DELETE FROM {table}"))
    for code in ("xa-a", "xa-b"):  # one office at a time, as a commune's own report stores them
        with province.connect() as conn, scope.acting_for(conn, code):
            conn.rollback()
            prepare(province, MARCH, SETTINGS)
    assert stored_rows(province) == grouped
    for code in ("xa-a", "xa-b"):
        assert without_rollups(province, code) == counts(
            consolidated(province, MARCH, SETTINGS, ISSUED))[code]  # fmt: skip
