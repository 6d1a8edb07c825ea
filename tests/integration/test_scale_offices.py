"""Deployment 1 with offices: one province collector on PostgreSQL, three ingest instances sharing
the presses of a province's kiosks, one SIGKILLed mid-stream.

The tree: the province (with a kiosk of its own), Xã A with a site, Xã B, Xã C. Kiosk ka2 of
Xã A is not placed at a counter and its own file names Xã B's counter and official: its
presses are Xã A's and are never credited to Xã B. Every expected figure is recounted here
from the presses table and the kiosk → office plan below, never by the collector's code.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hailong.server.epoch import now_ms
from hailong.server.reference import catalogue, offices, scope
from hailong.server.reporting.figures import FigureCache
from hailong.server.reporting.periods import custom
from hailong.server.reporting.reading import read_report
from hailong.server.reporting.settings import ProvinceFrame, ReportSettings
from hailong.server.reporting.upward import consolidated
from hailong.server.storage.db import devices, presses
from tests.integration.fleet import Fleet
from tests.support import fresh_database, wait_for

ZONE = "Asia/Ho_Chi_Minh"
SETTINGS = ReportSettings(time_zone=ZONE, min_sample=5, unit_name="Cấu hình", place="Tỉnh",
                          province=ProvinceFrame(unit_name="Sở Nội vụ"))  # fmt: skip
PER_KIOSK = 350  # six kiosks: 2,100 presses
# kiosk -> (office, counter it is placed at, or None: unplaced, its own file's counter stands)
PLAN = {
    "kt1": ("tinh", "QT", None),
    "ka1": ("xa-a", "Q1", None),
    "ka2": ("xa-a", None, {"counter": "QB", "official": "cb-b"}),  # names Xã B's codes
    "ks1": ("xa-a-cs", "Q1", None),
    "kb1": ("xa-b", "QB", None),
    "kc1": ("xa-c", "Q1", None),
}
TREE = (("xa-a", "Xã An Bình", "commune", "tinh"), ("xa-a-cs", "Cơ sở 2", "site", "xa-a"),
        ("xa-b", "Xã Bình Mỹ", "commune", "tinh"), ("xa-c", "Xã Châu Phú", "commune", "tinh"))  # fmt: skip
# Whose figures each office's report adds up: itself and the offices under it.
SUBTREE = {"tinh": set(PLAN), "xa-a": {"ka1", "ka2", "ks1"}, "xa-a-cs": {"ks1"},
           "xa-b": {"kb1"}, "xa-c": {"kc1"}}  # fmt: skip
B_OFFICIAL = "Trần Thị Bích"


def build_province(engine) -> None:
    """Make the tree, each office's counter and roster, and register the kiosks in their offices."""
    hour_ago = now_ms() - 3_600_000
    with engine.begin() as conn:
        offices.set_office(conn, "don-vi", "lan", kind="province", new_code="tinh",
                           name="Sở Nội vụ tỉnh An Giang")  # fmt: skip
        for code, name, kind, parent in TREE:
            offices.add_office(conn, code, name, kind, parent, "lan")
        with scope.acting_for(conn, "tinh"):
            catalogue.add_field(conn, "ho-tich", "Hộ tịch", "lan")
        official = {"tinh": ("cb-t", "Lê Văn Tỉnh"), "xa-a": ("cb-a", "Nguyễn Văn Ánh"),
                    "xa-a-cs": ("cb-s", "Phạm Thị Sở"), "xa-b": ("cb-b", B_OFFICIAL),
                    "xa-c": ("cb-c", "Võ Văn Châu")}  # fmt: skip
        for office, (code, name) in official.items():
            counter = next(c for o, c, _own in PLAN.values() if o == office and c)
            with scope.acting_for(conn, office):
                catalogue.enable_field(conn, "ho-tich", "lan")
                catalogue.add_official(conn, code, name, "lan")
                catalogue.add_counter(conn, counter, f"Quầy {counter}", "lan", field="ho-tich")
                catalogue.assign(conn, counter, code, hour_ago, "lan", tz=ZONE)
        with scope.acting_for(conn, "xa-a"):  # the unplaced kiosk: registered, not placed
            conn.execute(devices.insert().values(device="ka2", acked_upto=0, **scope.owner()))
        for kiosk, (office, counter, _own) in PLAN.items():
            if counter:
                with scope.acting_for(conn, office):
                    catalogue.set_device_counter(conn, kiosk, counter, "lan", at_ms=hour_ago,
                                                 tz=ZONE)  # fmt: skip


def recount(engine) -> dict[str, Counter]:
    """Count each kiosk's live presses per rating, straight from the presses table."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(presses.c.device, presses.c.rating, func.count())
            .where(presses.c.mode == "live")
            .group_by(presses.c.device, presses.c.rating)
        ).all()
    found: dict[str, Counter] = {kiosk: Counter() for kiosk in PLAN}
    for kiosk, rating, n in rows:
        found[kiosk][rating] += n
    return found


def added(per_kiosk: dict[str, Counter], kiosks) -> dict[int, int]:
    """Add the kiosks' counts per level (every level named)."""
    total = Counter()
    for kiosk in kiosks:
        total.update(per_kiosk[kiosk])
    return {level: total[level] for level in (1, 2, 3, 4)}


def test_one_province_collector_with_three_instances_keeps_every_office_apart(
    request, tmp_path, broker, procs
):
    url = fresh_database(request, "postgresql", tmp_path)
    options = {"batch_size": 50, "batch_ms": 20, "share_group": "hailong"}
    fleet = Fleet(tmp_path, broker, procs, names=tuple(PLAN), ingest_options=options,
                  database_url=url, mqtt_options={"session_expiry_s": 2},
                  kiosk_own={k: own for k, (_o, _c, own) in PLAN.items() if own})  # fmt: skip
    request.addfinalizer(fleet.engine.dispose)
    build_province(fleet.engine)
    fleet.start_instances("a", "b", "c")
    for name in fleet.names:
        fleet.start_kiosk(name, 150, PER_KIOSK)
    wait_for(lambda: fleet.stored() >= 400, 30, "some presses stored")
    fleet.kill_instance("b")
    assert fleet.stored() < len(PLAN) * PER_KIOSK, "the kill must land mid-stream"
    fleet.wait_generated(dict.fromkeys(fleet.names, PER_KIOSK))
    fleet.wait_delivered()
    assert fleet.assert_exact() == dict.fromkeys(fleet.names, PER_KIOSK)

    with fleet.engine.connect() as conn:  # a press's office is its kiosk's registration's
        ids = {o.code: o.id for o in offices.every_office(conn)}
        registered = dict(conn.execute(select(devices.c.device, devices.c.office_id)).all())
        named = conn.execute(select(presses.c.counter, presses.c.official)
                             .where(presses.c.device == "ka2").distinct()).all()  # fmt: skip
    assert [tuple(r) for r in named] == [("QB", "cb-b")]  # the rogue kiosk did name B's codes
    assert registered == {k: ids[office] for k, (office, _c, _own) in PLAN.items()}

    per_kiosk = recount(fleet.engine)
    assert sum(sum(c.values()) for c in per_kiosk.values()) == len(PLAN) * PER_KIOSK
    today = datetime.now(ZoneInfo(ZONE)).date()
    period = custom(today - timedelta(days=1), today + timedelta(days=1))
    cache = FigureCache()
    for office, kiosks in SUBTREE.items():
        want = added(per_kiosk, kiosks)
        with fleet.engine.connect() as conn, scope.acting_for(conn, office):
            conn.rollback()  # the scope is set; the report reads on its own connections
            report = read_report(fleet.engine, period, SETTINGS, issued=today)
            page = cache.figures(fleet.engine, period, SETTINGS, today)
        assert report.totals.counts == want, office
        assert page.data.totals.counts == want, office
        assert sum(row.stats.total for row in page.counters) == sum(want.values()), office
        if office == "xa-b":  # B's counter and official: kb1's presses only, never ka2's
            # (the page's counter table groups by the counter a press sent: kb1's first presses,
            # before its Config arrived, sent none)
            assert {r.code for r in page.counters} <= {"QB", ""}
            assert {r.code: r.result.stats.counts for r in report.officials} == {"cb-b": want}
        if office == "xa-a":  # ka2's presses stay Xã A's, named by code, never as B's official
            assert B_OFFICIAL not in {r.name for r in report.officials}
            assert report.officials and "QB" in {r.code for r in page.counters}

    upward = consolidated(fleet.engine, period, SETTINGS, date.today())
    rows = {row.code: row.stats.counts for row in upward.offices}
    for office in ("xa-a", "xa-b", "xa-c"):
        assert rows[office] == added(per_kiosk, SUBTREE[office]), office
    assert rows["tinh"] == added(per_kiosk, {"kt1"})  # the province's own kiosk: a row of its own
    assert upward.totals.counts == added(per_kiosk, PLAN)
    for name in ("a", "c"):
        assert procs.stop(fleet.instances[name]) == 0
    assert all("Traceback" not in procs.log(f"ingest-{n}") for n in ("a", "c"))
