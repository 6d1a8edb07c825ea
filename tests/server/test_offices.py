"""Offices: the tree, codes per office, a kiosk's office deciding attribution, reports per office."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError

from hailong.server.errors import InputError
from hailong.server.reference import catalogue, offices, scope
from hailong.server.reference.audit import chain_breaks
from hailong.server.reporting.data import NO_FIELD, build_report
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage import db
from tests.server.report_world import at, ms, press_row

SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", min_sample=1)
TZ = "Asia/Ho_Chi_Minh"


def province(engine) -> dict[str, int]:
    """Make the one office the province 'tinh' with communes xa-a and xa-b; return code -> id."""
    with engine.begin() as conn:
        offices.set_office(conn, "don-vi", "lan", kind="province", new_code="tinh",
                           name="Sở Nội vụ tỉnh")  # fmt: skip
        offices.add_office(conn, "xa-a", "Xã A", "commune", "tinh", "lan")
        offices.add_office(conn, "xa-b", "Xã B", "commune", "tinh", "lan")
        return {o.code: o.id for o in offices.every_office(conn)}


def rosters(engine) -> None:
    """A: cb-a at Q1 from 01/03. B: cb-b1 at Q1 from 02/03 (a later start), cb-b2 at QB."""
    with engine.begin() as conn:
        with scope.acting_for(conn, "xa-a"):
            catalogue.add_official(conn, "cb-a", "Cán bộ A", "lan")
            catalogue.add_counter(conn, "Q1", "Quầy 1", "lan")
            catalogue.assign(conn, "Q1", "cb-a", at("2024-03-01", "07:00"), "lan", tz=TZ)
        with scope.acting_for(conn, "xa-b"):
            for code in ("cb-b1", "cb-b2"):
                catalogue.add_official(conn, code, f"Cán bộ {code}", "lan")
            catalogue.add_counter(conn, "Q1", "Quầy 1", "lan")
            catalogue.add_counter(conn, "QB", "Quầy B", "lan")
            catalogue.assign(conn, "Q1", "cb-b1", at("2024-03-02", "07:00"), "lan", tz=TZ)
            catalogue.assign(conn, "QB", "cb-b2", at("2024-03-02", "07:00"), "lan", tz=TZ)


def presses(engine, ids: dict[str, int]) -> None:
    """Kiosk ka (A, unplaced): 3 presses naming Q1, 2 naming B's QB. Kiosk kb (B): 4 at Q1."""
    with engine.begin() as conn:
        conn.execute(insert(db.devices), [{"device": "ka", "acked_upto": 0, "office_id": ids["xa-a"]},
                                          {"device": "kb", "acked_upto": 0, "office_id": ids["xa-b"]}])  # fmt: skip
        when = at("2024-03-04", "09:00")
        rows = [
            press_row("ka", s, 4, when, counter="Q1") | {"at_ms": ms(when) + s} for s in (1, 2, 3)
        ]
        rows += [
            press_row("ka", s, 1, when, counter="QB") | {"at_ms": ms(when) + s} for s in (4, 5)
        ]
        rows += [press_row("kb", s, 4, when, counter="Q1") | {"at_ms": ms(when) + s} for s in range(1, 5)]  # fmt: skip
        conn.execute(insert(db.presses), rows)


def march(engine, office: str):
    with engine.connect() as conn, scope.acting_for(conn, office):
        return build_report(conn, parse_period("2024-03"), SETTINGS, date(2024, 3, 31),
                            rollups="off")  # fmt: skip


def credited(data) -> dict[str, int]:
    return {row.code: row.result.sample for row in data.officials}


@pytest.fixture
def offices_world(engine):
    ids = province(engine)
    rosters(engine)
    presses(engine, ids)
    return engine


def test_the_tree_is_kept_in_order_and_each_kind_under_its_parent(engine):
    province(engine)
    with engine.begin() as conn:
        offices.add_office(conn, "xa-a-co-so-2", "Cơ sở 2", "site", "xa-a", "lan")
        every = offices.every_office(conn)
        assert [(o.code, offices.depth(every, o)) for o in every] == [
            ("tinh", 0), ("xa-a", 1), ("xa-a-co-so-2", 2), ("xa-b", 1)]  # fmt: skip
        a = offices.require(conn, "xa-a")
        assert offices.subtree(conn, a.id) == (a.id, offices.require(conn, "xa-a-co-so-2").id)
        for code, kind, parent, problem in (
            ("xa-c", "commune", "xa-a", "a commune belongs under a province"),
            ("tinh-2", "province", None, "tinh is the root already"),
            ("co-so", "site", "tinh", "a site belongs under a commune"),
            ("xa-a", "commune", "tinh", "already exists"),
            ("Xã C", "commune", "tinh", "office code"),
            ("xa-d", "commune", "nowhere", "unknown office 'nowhere'"),
        ):
            with pytest.raises(InputError, match=problem):
                offices.add_office(conn, code, "X", kind, parent, "lan")
        with pytest.raises(InputError, match="has a commune under it"):
            offices.set_office(conn, "tinh", "lan", kind="commune")


def test_several_offices_need_one_named_and_a_write_without_one_is_refused(engine):
    province(engine)
    with engine.begin() as conn:
        with pytest.raises(InputError, match="several offices: name one with --office"):
            offices.resolve(conn, None)
        with pytest.raises(StatementError, match="several offices") as refused:
            catalogue.add_counter(conn, "Q9", "Quầy 9", "lan")  # no office acted for
        assert isinstance(refused.value.orig, InputError)
    with engine.connect() as conn:
        assert conn.execute(select(db.counters)).all() == []


def test_codes_are_per_office_and_lookups_stay_in_the_office(offices_world):
    with offices_world.begin() as conn:
        with scope.acting_for(conn, "xa-a"):
            assert [r["code"] for r in catalogue.listing(conn, "counter")] == ["Q1"]
            with pytest.raises(InputError, match="unknown counter 'QB'"):
                catalogue.set_counter(conn, "QB", "lan", name="stolen")
            with pytest.raises(InputError, match="unknown official 'cb-b1'"):
                catalogue.assign(conn, "Q1", "cb-b1", at("2024-03-05", "07:00"), "lan", tz=TZ)
        with scope.acting_for(conn, "tinh"):  # the province lists its subtree's
            assert sorted(r["code"] for r in catalogue.listing(conn, "counter")) == [
                "Q1", "Q1", "QB"]  # fmt: skip


def test_a_kiosk_belongs_to_its_office_for_life(offices_world):
    with offices_world.begin() as conn, scope.acting_for(conn, "xa-b"):
        with pytest.raises(InputError, match="kiosk ka belongs to another office"):
            catalogue.set_device_counter(conn, "ka", "Q1", "lan", tz=TZ)
        assert [d["device"] for d in catalogue.list_devices(conn)] == ["kb"]


def test_a_kiosk_naming_another_offices_counter_is_not_credited_to_it(offices_world):
    a, b, everyone = (march(offices_world, code) for code in ("xa-a", "xa-b", "tinh"))
    # ka's Q1 is A's (cb-a), never B's Q1 whose later duty start would win across offices;
    # ka's two presses naming B's QB find no QB in A: credited to nobody, least of all cb-b2.
    assert credited(a) == {"cb-a": 3}
    assert credited(b) == {"cb-b1": 4}
    assert credited(everyone) == {"cb-a": 3, "cb-b1": 4}


def test_an_offices_report_counts_only_its_kiosks_presses(offices_world):
    a, b, everyone = (march(offices_world, code) for code in ("xa-a", "xa-b", "tinh"))
    assert (a.totals.total, b.totals.total, everyone.totals.total) == (5, 4, 9)
    assert (a.totals.counts[1], b.totals.counts[1], everyone.totals.counts[1]) == (2, 0, 2)
    assert a.unattributed.total == 2  # the two naming B's QB


def test_moving_an_audit_row_to_another_office_breaks_the_chain(offices_world):
    with offices_world.connect() as conn:
        assert chain_breaks(conn)[1] == []
        rows = conn.execute(select(db.audit.c.id, db.audit.c.office_id)
                            .order_by(db.audit.c.id)).all()  # fmt: skip
    first = rows[0].office_id  # the province: the office of every row before offices existed
    commune = next(r for r in rows if r.office_id != first)
    # A commune's row moved to the first office, and the first office's row to a commune.
    for row_id, moved_to in ((commune.id, first), (rows[0].id, commune.office_id)):
        with offices_world.begin() as conn:
            before = conn.execute(select(db.audit.c.office_id).where(db.audit.c.id == row_id))
            kept = before.scalar_one()
            conn.execute(db.audit.update().where(db.audit.c.id == row_id)
                         .values(office_id=moved_to))  # fmt: skip
        with offices_world.connect() as conn:
            assert chain_breaks(conn)[1] == [
                f"audit row {row_id}: content does not match its hash"], row_id  # fmt: skip
        with offices_world.begin() as conn:
            conn.execute(db.audit.update().where(db.audit.c.id == row_id).values(office_id=kept))


def test_a_report_lists_the_fields_its_office_serves_and_the_ones_rated_there(offices_world):
    with offices_world.begin() as conn:
        with scope.acting_for(conn, "tinh"):  # the province's catalogue: three fields
            for code, name in (("ho-tich", "Hộ tịch"), ("dat-dai", "Đất đai"), ("khac", "Khác")):
                catalogue.add_field(conn, code, name, "lan")
        with scope.acting_for(conn, "xa-a"):
            catalogue.enable_field(conn, "ho-tich", "lan")
        conn.execute(insert(db.presses).values(
            press_row("kb", 9, 3, at("2024-03-05", "09:00"), field="dat-dai")))  # fmt: skip
    listed = {code: {row.code for row in march(offices_world, code).fields if row.code != NO_FIELD}
              for code in ("xa-a", "xa-b", "tinh")}  # fmt: skip
    assert listed["xa-a"] == {"ho-tich"}  # served, not rated: still listed
    assert listed["xa-b"] == {"dat-dai"}  # not served, but rated there: listed
    assert listed["tinh"] == {"ho-tich", "dat-dai", "khac"}
