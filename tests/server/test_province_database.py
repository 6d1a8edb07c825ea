"""The report upward from the collector's own database: two communes (one with a site), published once.

Xã A has kiosk ka and its site's kiosk ks (counted with it), Xã B kiosk kb. The expected figures
are counted here from the presses inserted, never by the collector's code.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from hailong.server.reference import offices
from hailong.server.reporting.formats.province_docs import render_province
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.publish import publish_offices
from hailong.server.reporting.settings import ProvinceFrame, ReportSettings
from hailong.server.reporting.upward import consolidated
from hailong.server.storage import db
from tests.server.report_world import at, press_row
from tests.server.test_province_formats import pdf_text

MARCH = parse_period("2024-03", "calendar")
SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", min_sample=5, unit_name="Cấu hình",
                          place="Tỉnh", province=ProvinceFrame(unit_name="Sở Nội vụ"))  # fmt: skip
# (kiosk, field, ratings) in March, 5 minutes apart from 09:00 on the 5th; ka also on a night.
PRESSES = {
    "ka": [("ho-tich", [4] * 12 + [3] * 3 + [1] * 2)],
    "ks": [("ho-tich", [4] * 5 + [2] * 4), ("dat-dai", [3] * 6)],
    "kb": [("dat-dai", [4] * 3 + [3] * 2 + [2] * 6 + [1] * 4)],
}
OFFICE_OF = {"ka": "xa-a", "ks": "xa-a-co-so", "kb": "xa-b"}
ROW_OF = {"ka": "xa-a", "ks": "xa-a", "kb": "xa-b"}  # a site counts with its commune


def expected() -> dict[str, Counter]:
    """Count each commune's March ratings per level from PRESSES."""
    found: dict[str, Counter] = {"xa-a": Counter(), "xa-b": Counter()}
    for kiosk, batches in PRESSES.items():
        for _field, ratings in batches:
            found[ROW_OF[kiosk]].update(ratings)
    return found


@pytest.fixture
def province(engine):
    return seed_province(engine)


def seed_province(engine):
    """Fill an empty database with the province, its communes, their kiosks and presses."""
    with engine.begin() as conn:
        offices.set_office(conn, "don-vi", "lan", kind="province", new_code="tinh",
                           name="Sở Nội vụ tỉnh An Giang")  # fmt: skip
        offices.add_office(conn, "xa-a", "Xã An Bình", "commune", "tinh", "lan")
        offices.add_office(conn, "xa-a-co-so", "Cơ sở 2", "site", "xa-a", "lan")
        offices.add_office(conn, "xa-b", "Xã Bình Mỹ", "commune", "tinh", "lan")
        offices.set_office(conn, "tinh", "lan", signer_name="Trần Văn Tâm",
                           recipients="Ủy ban nhân dân tỉnh\nLưu: VT")  # fmt: skip
        ids = {o.code: o.id for o in offices.every_office(conn)}
        conn.execute(insert(db.fields), [{"code": "ho-tich", "name": "Hộ tịch", "active": True},
                                         {"code": "dat-dai", "name": "Đất đai", "active": True}])  # fmt: skip
        conn.execute(insert(db.devices), [{"device": k, "acked_upto": 0, "office_id": ids[o]}
                                          for k, o in OFFICE_OF.items()])  # fmt: skip
        rows = []
        for kiosk, batches in PRESSES.items():
            seq = 0
            for field, ratings in batches:
                for rating in ratings:
                    seq += 1
                    when = at("2024-03-05", "09:00") + timedelta(minutes=5 * seq)
                    rows.append(press_row(kiosk, seq, rating, when, field=field))
        conn.execute(insert(db.presses), rows)
        conn.execute(insert(db.dossier_counts), [
            {"office_id": ids["xa-a"], "field": "ho-tich", "month": "2024-03", "resolved": 30},
            {"office_id": ids["xa-b"], "field": "dat-dai", "month": "2024-03", "resolved": 14},
        ])  # fmt: skip
    return engine


def csv_rows(data: bytes) -> dict[tuple[str, str, str], str]:
    found = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return {(r["table"], r["row_key"], r["column"]): r["value"] for r in found}


def test_every_format_shows_each_communes_own_counts(province, tmp_path):
    report = consolidated(province, MARCH, SETTINGS, date(2024, 4, 5))
    want = expected()
    assert [row.code for row in report.offices] == ["xa-a", "xa-b"]  # the site is in xa-a
    got = csv_rows(render_province(report, "csv"))
    for code, counts in want.items():
        assert got[("P1", code, "ratings")] == str(sum(counts.values())), code
        for level in (1, 2, 3, 4):
            assert got[("P1", code, f"level_{level}")] == str(counts[level]), (code, level)
    assert got[("P1", "province", "ratings")] == str(sum(sum(c.values()) for c in want.values()))
    assert got[("P2", "xa-a", "field:ho-tich")] == f"{26 * 100 / 30:.1f}"  # ka's 17 + ks's 9
    assert got[("meta", "unit", "value")] == "Sở Nội vụ"
    book = load_workbook(io.BytesIO(render_province(report, "xlsx")), read_only=True)
    cells = [[c for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    by_code = {row[1]: row for row in cells if row and row[1] in want}
    for code, counts in want.items():
        assert by_code[code][3] == sum(counts.values()), code
    text = " ".join(pdf_text(render_province(report, "pdf"), tmp_path).split())
    assert "Tổng hợp 2 đơn vị" in text and "Xã An Bình" in text and "Cơ sở 2" not in text
    assert "Trần Văn Tâm" in text and "Kính gửi: Ủy ban nhân dân tỉnh." in text


def test_publish_writes_the_report_upward_once_and_refuses_changed_figures(province, tmp_path):
    folder = tmp_path / "published"
    first = publish_offices(province, date(2024, 4, 28), folder, SETTINGS, "calendar")
    assert first.refused == []
    home = folder / "tinh" / "2024-03-duong-lich"
    files = {fmt: home / f"tong-hop-2024-03-duong-lich.{fmt}" for fmt in ("xlsx", "pdf", "csv")}
    got = csv_rows(files["csv"].read_bytes())
    assert got[("P1", "xa-b", "ratings")] == str(sum(expected()["xa-b"].values()))
    # The root office's own report of the same period is still its own, beside it.
    assert (home / "bao-cao-hai-long-2024-03-duong-lich.csv").is_file()
    before = {fmt: path.read_bytes() for fmt, path in files.items()}
    with province.connect() as conn:
        upward = conn.execute(select(db.published.c.format, db.published.c.figures)
                              .where(db.published.c.format.startswith("pv-"))).all()  # fmt: skip
    assert sorted(f for f, _ in upward) == ["pv-csv"] * 2 + ["pv-pdf"] * 2 + ["pv-xlsx"] * 2
    march = [json.loads(fig) for _f, fig in upward if '"period": "2024-03"' in fig]
    assert march[0]["offices"]["xa-a"] == {str(k): v for k, v in expected()["xa-a"].items()}

    again = publish_offices(province, date(2024, 4, 28), folder, SETTINGS, "calendar")
    assert again.refused == [] and "tinh/2024-03/tong-hop" in again.kept
    with province.connect() as conn:
        rows = conn.execute(select(db.published.c.id)).all()
    assert len(rows) == (4 + 1) * 2 * 3  # 4 offices' reports and the report upward

    with province.begin() as conn:  # a late press in xa-b: the published figures stand
        late = press_row("kb", 99, 1, at("2024-03-20", "09:00"), field="dat-dai")
        conn.execute(insert(db.presses), [late])
    changed = publish_offices(province, date(2024, 4, 28), folder, SETTINGS, "calendar")
    assert any(m.startswith("tinh/2024-03: the report upward was published on 28/04/2024")
               for m in changed.refused)  # fmt: skip
    assert {fmt: path.read_bytes() for fmt, path in files.items()} == before


def test_province_report_reads_the_database_by_default(province, database_url, tmp_path):
    from tests.server.test_province_cli import collector

    config = tmp_path / "collector.toml"
    config.write_text(f'database = "{database_url}"\n')
    settings = tmp_path / "p.toml"
    settings.write_text('place = "An Giang"\n[province]\nunit_name = "Sở Nội vụ"\n')
    out = tmp_path / "tong-hop.csv"
    done = collector("province", "report", "--period", "2024-03", "--convention", "calendar",
                     "--settings", settings, "-o", out, config=config)  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = csv_rows(out.read_bytes())
    for code, counts in expected().items():
        assert got[("P1", code, "ratings")] == str(sum(counts.values())), code


def test_the_roots_frame_comes_from_its_header_settings(province):
    bare = replace(SETTINGS, province=ProvinceFrame())
    report = consolidated(province, MARCH, bare, date(2024, 4, 5))
    assert report.settings.province.unit_name == "Sở Nội vụ tỉnh An Giang"
    assert report.settings.province.recipients == ("Ủy ban nhân dân tỉnh", "Lưu: VT")


def test_the_monthly_trend_counts_each_communes_kiosks_with_its_sites(province):
    from hailong.server.reporting.trend import monthly_counts, months_before
    from hailong.server.reporting.upward import homes

    months = months_before(MARCH, 3)
    assert [m.label for m in months] == ["2024-01", "2024-02", "2024-03"]
    with province.connect() as conn:
        every = offices.every_office(conn)
        rows = [o for o in every if o.kind == "commune"]
        found = monthly_counts(
            conn, months, SETTINGS.zone, {k: v.code for k, v in homes(every, rows).items()}
        )
    empty = {level: 0 for level in (1, 2, 3, 4)}
    for code, counts in expected().items():
        assert found[code] == [empty, empty, {k: counts[k] for k in (1, 2, 3, 4)}], code


@pytest.mark.parametrize("limit", [100_000, 2])
def test_each_row_equals_the_offices_own_report(province, limit):
    """The report upward's rows read only what they show: the same figures as a whole report.

    Also when flag_limit cuts the examination of out-of-hours candidates short (limit 2).
    """
    from hailong.server.reference import scope
    from hailong.server.reporting.province import office_figures
    from hailong.server.reporting.reading import read_report
    from hailong.server.reporting.upward import database_figures

    with province.begin() as conn:  # a test press, an excluded one, night presses, February
        extra = [press_row("ka", 50, 4, at("2024-03-07", "09:00"), field="ho-tich")
                 | {"mode": "test"},
                 press_row("kb", 50, 1, at("2024-03-07", "22:30"), field="dat-dai"),
                 press_row("ks", 50, 2, at("2024-03-08", "05:00")),
                 press_row("ka", 51, 3, at("2024-02-20", "10:00"), field="ho-tich"),
                 press_row("kb", 51, 4, at("2024-03-01", "21:00"), field="dat-dai"),
                 press_row("kb", 52, 3, at("2024-03-20", "23:00"), field="dat-dai"),
                 press_row("kb", 53, 4, at("2024-03-03", "10:00"), field="dat-dai")]  # fmt: skip
        conn.execute(insert(db.presses), extra)
        conn.execute(insert(db.corrections), [{"device": "ka", "seq": 3, "action": "exclude",
                                               "reason": "Bấm thử", "actor": "lan", "at_ms": 1}])  # fmt: skip
    settings = replace(SETTINGS, flag_limit=limit)
    for period in (MARCH, parse_period("2024-Q1", "calendar"), parse_period("2024-03")):
        fast = {f.code: f for f in database_figures(province, period, settings, date(2024, 4, 5))}
        for code in ("xa-a", "xa-b"):
            with province.connect() as conn, scope.acting_for(conn, code):
                conn.rollback()
                office = offices.require(conn, code)
                data = read_report(province, period, offices.header_settings(settings, office, False),
                                   date(2024, 4, 5))  # fmt: skip
            assert fast[code] == office_figures(code, office.name, data), (period.label, code)
        if period == MARCH:
            march = fast["xa-b"]
    outside = min(4, limit)  # the three night presses and Sunday's, or the first `limit` of them
    assert march.in_hours == sum(expected()["xa-b"].values()) + 4 - outside
