"""The province page's kept view: only the communes that changed are read again, exactly.

After each change the kept view must equal a view read from scratch (every commune read again),
and a commune that did not change keeps the very row it had.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert

from hailong.server.storage import db
from hailong.server.storage.batch import apply_anchor
from hailong.server.web.province_cache import ProvinceCache
from tests.server.report_world import at, ms, press_row
from tests.server.test_province_database import MARCH, SETTINGS, seed_province

TODAY = date(2024, 4, 5)


@pytest.fixture
def province(engine):
    return seed_province(engine)


def held_rows(cache: ProvinceCache) -> dict:
    """Return the commune rows the cache holds for its one period."""
    return next(iter(cache.kept.values())).rows


def rows_of(view) -> dict:
    return {row.code: row for row in view.report.offices}


def assert_fresh(engine, view) -> None:
    """Assert the view equals one read from scratch."""
    fresh = ProvinceCache().view(engine, MARCH, SETTINGS, TODAY)
    assert view.report == fresh.report
    assert view.trend == fresh.trend


def test_a_late_press_reads_its_commune_again_and_keeps_the_other(province):
    cache = ProvinceCache()
    first = cache.view(province, MARCH, SETTINGS, TODAY)
    assert cache.view(province, MARCH, SETTINGS, TODAY) is first  # nothing changed
    kept_a = held_rows(cache)[_id(province, "xa-a")]
    with province.begin() as conn:  # old at_ms, new id, in xa-b
        conn.execute(insert(db.presses).values(
            press_row("kb", 99, 1, at("2024-03-06", "10:00"), field="dat-dai")))  # fmt: skip
    second = cache.view(province, MARCH, SETTINGS, TODAY)
    before, after = rows_of(first), rows_of(second)
    assert after["xa-b"].stats.counts[1] == before["xa-b"].stats.counts[1] + 1
    assert after["xa-a"].stats == before["xa-a"].stats
    assert held_rows(cache)[_id(province, "xa-a")] is kept_a  # not read again
    assert held_rows(cache)[_id(province, "xa-b")] is not kept_a
    march = [i for i, m in enumerate(second.months) if m.label == "2024-03"][0]
    assert second.trend["xa-b"][march][1] == first.trend["xa-b"][march][1] + 1
    assert second.trend["xa-a"] == first.trend["xa-a"]
    assert_fresh(province, second)


def test_a_correction_and_a_redating_are_seen(province):
    cache = ProvinceCache()
    first = cache.view(province, MARCH, SETTINGS, TODAY)
    with province.begin() as conn:
        conn.execute(insert(db.corrections).values(device="ka", seq=1, action="exclude",
                                                   reason="Thử máy", actor="lan", at_ms=0))  # fmt: skip
    second = cache.view(province, MARCH, SETTINGS, TODAY)
    assert rows_of(second)["xa-a"].stats.total == rows_of(first)["xa-a"].stats.total - 1
    assert_fresh(province, second)
    with province.begin() as conn:  # an unsynced press, then its boot's anchor moves it out
        conn.execute(insert(db.presses).values(
            press_row("ks", 60, 4, at("2024-03-08", "09:00"), field="ho-tich", synced=False,
                      boot="b-unsynced", mono=500.0)))  # fmt: skip
    third = cache.view(province, MARCH, SETTINGS, TODAY)
    assert rows_of(third)["xa-a"].stats.total == rows_of(second)["xa-a"].stats.total + 1
    with province.begin() as conn:
        assert apply_anchor(conn, "ks", "b-unsynced", 600.0, ms(at("2024-04-02", "09:00"))) == 1
    fourth = cache.view(province, MARCH, SETTINGS, TODAY)
    assert rows_of(fourth)["xa-a"].stats.total == rows_of(second)["xa-a"].stats.total
    assert_fresh(province, fourth)


def _id(engine, code: str) -> int:
    from hailong.server.reference import offices

    with engine.connect() as conn:
        return offices.require(conn, code).id


def test_the_trend_from_rollups_equals_the_trend_from_presses(province):
    from hailong.server.reference import offices
    from hailong.server.reporting.trend import monthly_counts, months_before, rolled_monthly_counts
    from hailong.server.reporting.upward import communes, homes
    from hailong.server.storage.snapshot import snapshot

    root, rows = communes(province)
    with province.connect() as conn:
        home = homes(offices.every_office(conn), rows)
    months = months_before(MARCH)
    of = {o.id: (o.code, tuple(k for k, v in home.items() if v.id == o.id)) for o in rows}

    def both():
        with snapshot(province) as read:
            rolled = rolled_monthly_counts(read, months, SETTINGS, of)
            plain = monthly_counts(
                read, months, SETTINGS.zone, {k: v.code for k, v in home.items()}
            )
        return rolled, plain

    rolled, plain = both()  # nothing stored: every month counted from presses
    assert rolled == plain
    cache = ProvinceCache()
    cache.view(province, MARCH, SETTINGS, TODAY)  # stores the months' rollups
    with province.begin() as conn:  # a late press in a stored half, an exclusion
        conn.execute(insert(db.presses).values(
            press_row("ks", 70, 1, at("2024-03-04", "10:00"), field="ho-tich")))  # fmt: skip
        conn.execute(insert(db.corrections).values(device="kb", seq=2, action="exclude",
                                                   reason="Thử", actor="lan", at_ms=0))  # fmt: skip
    rolled, plain = both()
    assert rolled == plain
    march = [i for i, m in enumerate(months) if m.label == "2024-03"][0]
    assert sum(rolled["xa-a"][march].values()) == sum(expected_total("xa-a")) + 1
    assert_fresh(province, cache.view(province, MARCH, SETTINGS, TODAY))


def expected_total(code: str) -> list[int]:
    from tests.server.test_province_database import expected

    return list(expected()[code].values())
