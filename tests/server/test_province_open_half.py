"""The open half-month counted for every commune at once (rollup_batch.count_open), exactly.

The reports' clock is 20 March 2024 at noon: March's second half is open, so each commune's row
counts it from presses. The province page and the report upward count it in one grouped pass
for all the communes they read; after each change (a late press, a burst, a press of a site, a
correction, a kiosk moved between communes) every row must equal the commune's own report, and
the kept view one read from scratch.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from hailong.server.reference import offices, scope
from hailong.server.reporting import figures, marks, rollup, trend
from hailong.server.reporting.open_halves import Kept, read_open
from hailong.server.reporting.province import office_figures
from hailong.server.reporting.reading import read_report
from hailong.server.reporting.rollup_batch import MIXED, count_open, read_stored
from hailong.server.reporting.upward import communes, database_figures, homes
from hailong.server.storage import db
from hailong.server.storage.snapshot import snapshot
from hailong.server.web.province_cache import ProvinceCache
from tests.server.report_world import at, ms, press_row
from tests.server.test_province_database import MARCH, SETTINGS, seed_province

TODAY = date(2024, 3, 20)
NOW = ms(at("2024-03-20", "12:00"))


@pytest.fixture
def province(engine, monkeypatch):
    for module in (rollup, figures, trend):
        monkeypatch.setattr(module, "now_ms", lambda: NOW)
    seed_province(engine)
    with engine.begin() as conn:  # the open half: day and night presses of each kiosk
        conn.execute(insert(db.presses), [
            press_row("ka", 40, 4, at("2024-03-16", "09:00"), field="ho-tich"),
            press_row("ka", 41, 2, at("2024-03-16", "22:00"), field="ho-tich"),
            press_row("ks", 40, 3, at("2024-03-18", "10:00"), field="dat-dai"),
            press_row("kb", 40, 1, at("2024-03-19", "05:30"), field="dat-dai"),
            press_row("kb", 41, 4, at("2024-03-19", "14:00"), field="dat-dai"),
            press_row("kb", 39, 2, at("2024-03-06", "21:00"), field="dat-dai"),  # closed half
            press_row("ks", 39, 4, at("2024-03-02", "06:00"), field="ho-tich"),
        ])  # fmt: skip
    return engine


def own_rows(engine, settings=SETTINGS) -> dict:
    """Return each commune's row as its own whole report gives it (no grouped pass)."""
    found = {}
    for code in ("xa-a", "xa-b"):
        with engine.connect() as conn, scope.acting_for(conn, code):
            conn.rollback()
            office = offices.require(conn, code)
            data = read_report(engine, MARCH, offices.header_settings(settings, office, False),
                               TODAY)  # fmt: skip
        found[code] = office_figures(code, office.name, data)
    return found


def assert_exact(engine, cache: ProvinceCache, settings=SETTINGS):
    """Assert the kept rows equal each commune's own report and the view a fresh one."""
    view = cache.view(engine, MARCH, settings, TODAY)
    fresh = ProvinceCache().view(engine, MARCH, settings, TODAY)
    assert view.report == fresh.report
    assert view.trend == fresh.trend
    kept = {row.code: row for row in next(iter(cache.kept.values())).rows.values()}
    assert kept == own_rows(engine, settings)
    upward = database_figures(engine, MARCH, settings, TODAY)
    assert {row.code: row for row in upward} == kept
    return kept


@pytest.mark.parametrize("limit", [100_000, 2])
def test_every_change_in_the_open_half_keeps_each_row_exact(province, limit):
    settings = replace(SETTINGS, flag_limit=limit)
    cache = ProvinceCache()
    first = assert_exact(province, cache, settings)
    assert first["xa-a"].in_hours < sum(first["xa-a"].counts.values())  # its night press
    with province.begin() as conn:  # a late press: stored now, pressed on the 17th
        conn.execute(insert(db.presses).values(
            press_row("kb", 42, 3, at("2024-03-17", "10:00"), field="dat-dai")))  # fmt: skip
    late = assert_exact(province, cache, settings)
    assert late["xa-b"].counts[3] == first["xa-b"].counts[3] + 1
    burst = at("2024-03-19", "21:00")  # five presses in four seconds, at night
    with province.begin() as conn:
        conn.execute(insert(db.presses), [
            press_row("ka", 50 + i, 1, burst + timedelta(seconds=i), field="ho-tich")
            for i in range(5)])  # fmt: skip
    bursting = assert_exact(province, cache, settings)
    assert bursting["xa-a"].counts[1] == late["xa-a"].counts[1] + 5
    with province.begin() as conn:  # a press of xa-a's site, at night
        conn.execute(insert(db.presses).values(
            press_row("ks", 41, 2, at("2024-03-18", "23:00"), field="ho-tich")))  # fmt: skip
    site = assert_exact(province, cache, settings)
    assert sum(site["xa-a"].counts.values()) == sum(bursting["xa-a"].counts.values()) + 1
    with province.begin() as conn:  # a correction of a night press in the open half
        conn.execute(insert(db.corrections).values(device="kb", seq=40, action="exclude",
                                                   reason="Thử máy", actor="lan", at_ms=0))  # fmt: skip
    corrected = assert_exact(province, cache, settings)
    assert sum(corrected["xa-b"].counts.values()) == sum(site["xa-b"].counts.values()) - 1
    assert next(iter(cache.kept.values())).opened.last == "since"  # kept, the presses added


def test_a_kiosk_moved_between_communes_is_counted_alone(province):
    """A kiosk with presses of both communes in the open half: those rows are not grouped."""
    cache = ProvinceCache()
    assert_exact(province, cache)
    with province.connect() as conn:
        ids = {o.code: o.id for o in offices.every_office(conn)}
    with province.begin() as conn:  # kb's presses now go to xa-a (a night one among them)
        conn.execute(insert(db.presses), [
            press_row("kb", 60, 2, at("2024-03-19", "22:00"), field="ho-tich")
            | {"office_id": ids["xa-a"]},
            press_row("kb", 61, 4, at("2024-03-19", "15:00"), field="ho-tich")
            | {"office_id": ids["xa-a"]},
        ])  # fmt: skip
    moved = assert_exact(province, cache)
    assert next(iter(cache.kept.values())).opened.last == "since"
    assert moved["xa-a"].counts[2] >= 1
    _days, ranges = rollup.parts_of(MARCH.start, MARCH.end, SETTINGS.zone)
    assert ranges == [(ms(at("2024-03-15", "00:00")), ms(at("2024-04-01", "00:00")))]
    rows = _rows(province)
    with snapshot(province) as conn:
        parts, kiosks = count_open(conn, ranges, rows, SETTINGS.flag_rules)
        assert parts == {}
        assert kiosks[ranges[0]]["kb"] == MIXED
        alone, _kiosks = count_open(conn, ranges, {ids["xa-a"]: rows[ids["xa-a"]]},
                                    SETTINGS.flag_rules)  # fmt: skip
    assert set(alone) == {(ids["xa-a"], *ranges[0])}


def test_the_grouped_pass_counts_what_each_commune_counts_alone(province):
    _days, ranges = rollup.parts_of(MARCH.start, MARCH.end, SETTINGS.zone)
    rows = _rows(province)
    with snapshot(province) as conn:
        ahead, _kiosks = count_open(conn, ranges, rows, SETTINGS.flag_rules)
        for office, subtree in rows.items():
            with scope.acting_for(conn, office):
                alone = rollup._count(conn, *ranges[0], SETTINGS.flag_rules, True)
            assert ahead[(office, *ranges[0])] == alone
            assert alone.candidates and len(subtree) >= 1  # night presses: candidates to split


def _rows(engine) -> dict[int, tuple[int, ...]]:
    """Return each commune's subtree (the commune, its sites)."""
    _root, rows = communes(engine)
    with engine.connect() as conn:
        home = homes(offices.every_office(conn), rows)
    return {o.id: tuple(k for k, v in home.items() if v.id == o.id) for o in rows}


def test_the_rows_read_nothing_office_by_office(province, monkeypatch):
    """Every row takes its open half and its stored half-months from the grouped reads."""
    database_figures(province, MARCH, SETTINGS, TODAY)  # stores the closed halves' rollups
    alone = []
    for name in ("_count", "_read"):
        original = getattr(rollup, name)
        monkeypatch.setattr(rollup, name, lambda *a, _f=original, _n=name, **k: (
            alone.append(_n), _f(*a, **k))[1])  # fmt: skip
    rows = {row.code: row for row in database_figures(province, MARCH, SETTINGS, TODAY)}
    assert alone == []
    monkeypatch.undo()
    for module in (rollup, figures, trend):
        monkeypatch.setattr(module, "now_ms", lambda: NOW)
    assert rows == own_rows(province)


def test_the_stored_halves_read_at_once_equal_each_communes_own(province):
    database_figures(province, MARCH, SETTINGS, TODAY)  # stores the closed halves' rollups
    days = ["2024-02-01", "2024-02-15", "2024-03-01"]
    rows = _rows(province)
    with snapshot(province) as conn:
        for flags in (True, False):
            ahead = read_stored(conn, SETTINGS.zone, list(rows), days, flags)
            for office in rows:
                with scope.acting_for(conn, office):
                    alone = rollup._read(conn, SETTINGS.zone, days, flags)
                assert ahead[(office, tuple(days), flags)] == alone
                assert alone.by_field and (alone.candidates or not flags)


def test_presses_the_snapshot_saw_beyond_the_mark_are_added_once(province):
    """On PostgreSQL a snapshot may see presses above the mark: counted now, never again."""
    rows, rules = _rows(province), SETTINGS.flag_rules
    _days, ranges = rollup.parts_of(MARCH.start, MARCH.end, SETTINGS.zone)
    kept = Kept()

    def read_at(behind: int):
        with province.connect() as conn:
            top = marks.read(conn)
        with snapshot(province) as conn:
            found = read_open(conn, kept, ranges, rows, rules, marks.Mark(top.press - behind,
                                                                          top.anchors))  # fmt: skip
            fresh, _kiosks = count_open(conn, ranges, rows, rules)
        assert found == fresh
        assert len(kept.halves.beyond) == behind

    read_at(2)  # two presses seen above the mark
    assert kept.last == "all"
    burst = at("2024-03-19", "10:00")  # in office hours: candidates only as a burst
    for step, behind in enumerate((1, 0, 3)):
        with province.begin() as conn:  # a burst grows, a night press of the site
            conn.execute(insert(db.presses), [
                press_row("ka", 70 + 3 * step + i, 1, burst + timedelta(seconds=3 * step + i),
                          field="ho-tich") for i in range(3)
            ] + [press_row("ks", 70 + step, 2, at("2024-03-18", "23:00") + timedelta(minutes=step))])  # fmt: skip
        read_at(behind)
        assert kept.last == "since"


def test_many_presses_since_the_kept_mark_count_every_row_again(province, monkeypatch):
    from hailong.server.reporting import open_halves

    monkeypatch.setattr(open_halves, "MOST_ADDED", 2)
    cache = ProvinceCache()
    assert_exact(province, cache)
    with province.begin() as conn:
        conn.execute(insert(db.presses), [
            press_row("kb", 80 + i, 4, at("2024-03-19", "10:00") + timedelta(minutes=i),
                      field="dat-dai") for i in range(3)])  # fmt: skip
    assert_exact(province, cache)
    assert next(iter(cache.kept.values())).opened.last == "all"
    with province.begin() as conn:
        conn.execute(insert(db.presses).values(
            press_row("kb", 90, 2, at("2024-03-19", "23:00"), field="dat-dai")))  # fmt: skip
    assert_exact(province, cache)
    assert next(iter(cache.kept.values())).opened.last == "since"
