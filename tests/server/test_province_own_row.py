"""Kiosks at the root office are a row of their own upward; a commune publishes with its sites.

The province of test_province_database (Xã A with its site, Xã B), plus a kiosk kt registered
at the province's own office and a dossier count entered there. Expected figures are counted
here from the presses inserted.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from hailong.server.reference import offices
from hailong.server.reporting.formats.province_docs import render_province
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.publish import publish_offices
from hailong.server.reporting.upward import consolidated
from hailong.server.storage import db
from tests.server.report_world import at, press_row
from tests.server.test_province_database import (
    MARCH,
    SETTINGS,
    csv_rows,
    expected,
    seed_province,
)

OWN = [4, 4, 4, 3, 3, 2, 1]  # kt's March ratings
MONTH_DIR = "2024-03-duong-lich"


@pytest.fixture
def province(engine):
    return seed_province(engine)


def root_kiosk(engine) -> None:
    """Register kt at the province's own office, with March presses and a dossier count."""
    with engine.begin() as conn:
        root = offices.require(conn, "tinh").id
        conn.execute(insert(db.devices).values(device="kt", acked_upto=0, office_id=root))
        conn.execute(insert(db.presses), [
            press_row("kt", s, r, at("2024-03-06", "10:00") + timedelta(minutes=s), field="ho-tich")
            for s, r in enumerate(OWN, start=1)
        ])  # fmt: skip
        conn.execute(insert(db.dossier_counts).values(office_id=root, field="ho-tich",
                                                      month="2024-03", resolved=70))  # fmt: skip


def levels(ratings) -> dict[int, int]:
    found = Counter(ratings)
    return {level: found[level] for level in (1, 2, 3, 4)}


def test_kiosks_at_the_root_office_are_its_own_row_counted_in_the_totals(province):
    root_kiosk(province)
    report = consolidated(province, MARCH, SETTINGS, date(2024, 4, 5))
    rows = {row.code: row for row in report.offices}
    assert set(rows) == {"tinh", "xa-a", "xa-b"}
    assert rows["tinh"].name == "Sở Nội vụ tỉnh An Giang (cấp tỉnh)"
    assert rows["tinh"].stats.counts == levels(OWN)  # its own kiosk only, not the communes'
    for code, counts in expected().items():
        assert rows[code].stats.counts == levels(counts.elements()), code
    every = sum((list(c.elements()) for c in expected().values()), OWN)
    assert report.totals.counts == levels(every)
    got = csv_rows(render_province(report, "csv"))
    assert got[("P1", "tinh", "ratings")] == "7"
    assert got[("P2", "tinh", "field:ho-tich")] == "10.0"  # 7 of its own 70 dossiers
    assert got[("P2", "xa-a", "field:ho-tich")] == f"{26 * 100 / 30:.1f}"  # as without kt
    assert got[("P1", "province", "ratings")] == str(len(every))


def test_the_root_office_with_no_kiosk_pressing_of_its_own_has_no_row(province):
    report = consolidated(province, MARCH, SETTINGS, date(2024, 4, 5))
    assert [row.code for row in report.offices] == ["xa-a", "xa-b"]
    with province.begin() as conn:  # a kiosk of the root retired in January: no empty row
        root = offices.require(conn, "tinh").id
        conn.execute(insert(db.devices).values(device="kt", acked_upto=0, office_id=root))
        conn.execute(insert(db.presses).values(press_row("kt", 1, 4, at("2024-01-31", "16:00"))))
    report = consolidated(province, MARCH, SETTINGS, date(2024, 4, 5))
    assert [row.code for row in report.offices] == ["xa-a", "xa-b"]
    february = consolidated(province, parse_period("2024-02", "calendar"), SETTINGS,
                            date(2024, 3, 5))  # fmt: skip
    assert {row.code: row.stats.total for row in february.offices}["tinh"] == 0  # January's


def test_publishing_the_province_writes_its_own_row_into_the_report_upward(province, tmp_path):
    root_kiosk(province)
    folder = tmp_path / "published"
    done = publish_offices(province, date(2024, 4, 28), folder, SETTINGS, "calendar")
    assert done.refused == []
    got = csv_rows((folder / "tinh" / MONTH_DIR / f"tong-hop-{MONTH_DIR}.csv").read_bytes())
    assert got[("P1", "tinh", "ratings")] == "7"
    # The root office's own report is of its subtree: every kiosk of the province.
    own = csv_rows_report(folder / "tinh" / MONTH_DIR / f"bao-cao-hai-long-{MONTH_DIR}.csv")
    assert own == 7 + sum(sum(c.values()) for c in expected().values())


def csv_rows_report(path) -> int:
    """Return an office report CSV's count of accepted ratings in the period."""
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        cells = line.split(",")
        if cells[1:3] == ["C2", "accepted"] and cells[-2] == "current":
            return int(cells[-1])
    raise AssertionError(f"no accepted count in {path}")


def test_publishing_a_commune_writes_its_report_over_its_sites_and_each_sites_own(
    province, tmp_path
):
    root_kiosk(province)
    folder = tmp_path / "published"
    done = publish_offices(province, date(2024, 4, 28), folder, SETTINGS, "calendar",
                           office="xa-a")  # fmt: skip
    assert done.refused == []
    assert sorted(p.name for p in folder.iterdir()) == ["xa-a", "xa-a-co-so"]  # no B, no upward
    commune = folder / "xa-a" / MONTH_DIR / f"bao-cao-hai-long-{MONTH_DIR}.csv"
    site = folder / "xa-a-co-so" / MONTH_DIR / f"bao-cao-hai-long-{MONTH_DIR}.csv"
    assert csv_rows_report(commune) == sum(expected()["xa-a"].values())  # ka's 17 and ks's 15
    assert csv_rows_report(site) == 15
    with province.connect() as conn:
        owners = set(conn.execute(select(db.published.c.office_id)).scalars())
        ids = {o.code: o.id for o in offices.every_office(conn)}
    assert owners == {ids["xa-a"], ids["xa-a-co-so"]}
    again = publish_offices(province, date(2024, 4, 28), folder, SETTINGS, "calendar",
                            office="xa-a")  # fmt: skip
    assert again.refused == [] and "xa-a-co-so/2024-03" in again.kept
