"""Issue 12's proof on the web: the summary page, the JSON API and the public board agree with
the independent recomputation (tests/reference) of a generated office year.

The board shows only published periods, with the figures as published: the cut-off periods
published on 28/03, 28/06, 28/09 and 28/12/2025, the calendar ones on 28/04/2025 and 28/01/2026.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from hailong.server.accounts import users as accounts
from hailong.server.config import CollectorConfig, MqttSettings, WebSettings
from hailong.server.reporting.publish import publish
from hailong.server.storage import db
from hailong.server.web import create_app
from tests.reference import calc, judged, rows
from tests.reference.bounds import previous, span
from tests.reference.chosen import JUDGED, SPANS
from tests.reference.dataset import build_dataset
from tests.reference.expect import (
    MIN_SAMPLE,
    ZONE,
    field_name,
    late_cells,
    pct_or_none,
    points_vi,
    score_cell,
    vi,
)
from tests.reference.office import report_settings
from tests.reference.readers import html_tables
from tests.web.conftest import add_accounts
from tests.web.test_security import _sign_in

SETTINGS = report_settings()
DAY = re.compile(r"\d\d/\d\d/\d{4}")
PUBLISHED = {"cutoff": [date(2025, m, 28) for m in (3, 6, 9, 12)],
             "calendar": [date(2025, 4, 28), date(2026, 1, 28)]}  # fmt: skip
# What those days publish (due_on): the month closed on the 14th, and the longer periods.
BOARD = [
    span(kind, 2025, i, convention)
    for convention, kinds in (
        ("cutoff", [("month", 3), ("quarter", 1), ("month", 6), ("half", 1), ("quarter", 3),
                    ("nine_months", 1), ("month", 12), ("year", 1)]),
        ("calendar", [("month", 3), ("quarter", 1), ("month", 12), ("year", 1)]),
    )
    for kind, i in kinds
]  # fmt: skip


def _ids(s) -> str:
    return f"{s.convention}-{s.label}"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """Return (apps by convention, raw tables) of the generated office, its periods published."""
    folder = tmp_path_factory.mktemp("ref-web")
    url = f"sqlite:///{folder / 'collector.db'}"
    engine = db.open_database(url)
    build_dataset(engine, folder / "timeline")
    add_accounts(engine)
    for convention, days in PUBLISHED.items():
        for day in days:
            publish(engine, day, folder / "published", SETTINGS, convention=convention)
    with engine.connect() as conn:
        raw = rows.read(conn)
    apps = {c: _app(url, folder, c) for c in PUBLISHED}
    yield apps, raw
    engine.dispose()


def _app(url: str, folder, convention: str):
    """Build the web app over the office's database, its pages opening in `convention`."""
    web = WebSettings(secret_key_file=folder / "web-secret.key", convention=convention,
                      board_officials=True, anonymous_burst=10_000)  # fmt: skip
    config = CollectorConfig(database=url, mqtt=MqttSettings(port=1), web=web, time_zone=ZONE)
    return create_app(config, settings=SETTINGS)


@pytest.fixture(scope="module")
def staff(office):
    """Return a test client signed in as the statistics staff."""
    client = office[0]["calendar"].test_client()
    _sign_in(client, "thongke")
    return client


@pytest.fixture(scope="module")
def api(office):
    """Return a GET function carrying an API token."""
    apps, _raw = office
    with apps["calendar"].extensions["hailong"].engine.begin() as conn:
        token = accounts.add_token(conn, "erp", "reference")
    client = apps["calendar"].test_client()
    return lambda path: client.get(path, headers={"Authorization": f"Bearer {token}"}).get_json()


def _query(s) -> str:
    return f"period={s.label}&convention={s.convention}"


@pytest.mark.parametrize("chosen", SPANS, ids=_ids)
def test_summary_page_agrees(staff, office, chosen):
    _apps, raw = office
    expected = calc.figures(raw, chosen)
    answer = staff.get(f"/summary?{_query(chosen)}&all=1")
    assert answer.status_code == 200
    page = html_tables(answer.get_data(as_text=True))
    assert page.ids["total"] == vi(expected.totals.total)
    assert page.ids["rate"] == vi(pct_or_none(expected.totals.rate()))
    measured = expected.measured
    assert page.ids["coverage"] == vi(pct_or_none(measured["coverage"]))
    by_name = {cells[0]: cells for _id, cells in page.rows if cells}
    for code, f in expected.fields.items():
        cells = by_name[field_name(raw, code)]
        assert cells[1:3] == [vi(f.dossiers), vi(f.levels.total)], code
        assert cells[3].split()[-1] == vi(pct_or_none(f.coverage)), code
        assert cells[5] == vi(pct_or_none(f.levels.rate())), code
    rows_by_id = {row_id: cells for row_id, cells in page.rows if row_id}
    total = rows_by_id["coverage-total"]
    assert total[1:4] == [vi(measured["dossiers"]), vi(measured["ratings"]),
                          vi(pct_or_none(measured["coverage"]))]  # fmt: skip
    if measured["fields"]:
        assert f"{measured['met']}/{measured['fields']} lĩnh vực đạt" in total[4]
    assert rows_by_id["coverage-outside"][2] == vi(measured["outside"])
    for code, found in expected.officials.items():
        cells = next(c for c in page.rows if c[1] and c[1][1].endswith(f" {code}"))[1]
        counts = [vi(found.counts[level]) for level in (4, 3, 2, 1)]
        assert cells[2:7] == [vi(found.total), *counts], code
        shown = found.total >= MIN_SAMPLE
        assert cells[7] == (vi(pct_or_none(found.rate())) if shown else "Chưa đủ mẫu"), code


@pytest.mark.parametrize("chosen", SPANS, ids=_ids)
def test_api_agrees(api, office, chosen):
    _apps, raw = office
    expected = calc.figures(raw, chosen)
    body = api(f"/api/v1/summary?{_query(chosen)}")
    assert (body["period"]["from"], body["period"]["to"]) == (str(chosen.first), str(chosen.last))
    assert _levels(body) == _reference(expected.totals)
    screening = {k: body["screening"][k] for k in expected.screening}
    assert screening == expected.screening
    m = expected.measured
    assert body["coverage"] | {"target_pct": None} == {
        "fields": m["fields"], "fields_met": m["met"], "ratings": m["ratings"],
        "dossiers": m["dossiers"], "coverage_pct": _num(m["coverage"]), "meets_target": m["meets"],
        "needed": m["needed"], "outside_ratings": m["outside"], "missing_months": m["missing"],
        "target_pct": None,
    }  # fmt: skip
    fields = {f["code"] or "": f for f in api(f"/api/v1/fields?{_query(chosen)}")["fields"]}
    assert {c: _levels(f) for c, f in fields.items()} == {
        c: _reference(f.levels) for c, f in expected.fields.items()
    }
    assert {c: (f["dossiers"], f["coverage_pct"], f["meets_target"], f["needed"])
            for c, f in fields.items()} == {
        c: (f.dossiers, _num(f.coverage), f.meets, f.needed) for c, f in expected.fields.items()
    }  # fmt: skip
    people = api(f"/api/v1/officials?{_query(chosen)}")["officials"]
    assert {p["code"]: (p["sample"], p["counts"], p["rate_pct"]) for p in people} == {
        code: (found.total, _counts(found), _num(found.rate()) if found.total >= MIN_SAMPLE else None)
        for code, found in expected.officials.items()
    }  # fmt: skip


@pytest.mark.parametrize("chosen", JUDGED, ids=_ids)
def test_summary_page_flags_ranks_trend_and_late_agree(staff, office, chosen):
    _apps, raw = office
    expected = calc.figures(raw, chosen)
    html = staff.get(f"/summary?{_query(chosen)}&all=1").get_data(as_text=True)
    flags = {"Ngoài giờ làm việc (vẫn tính)": judged.outside_hours(raw, chosen),
             "Bấm dồn dập (vẫn tính)": judged.bursts(raw, chosen)}  # fmt: skip
    for label, n in flags.items():
        assert f"<dt>{label}</dt><dd>{vi(n)}</dd>" in html, label
    page = html_tables(html)
    for code, r in judged.ranking(expected.officials).items():
        cells = next(c for _id, c in page.rows if len(c) > 8 and c[1].endswith(f" {code}"))
        shown = (vi(r.rank), vi(score_cell(r.score))) if r.rank else ("—", "—")
        assert (cells[0], cells[8]) == shown, code
    now, before = expected.totals, calc.figures(raw, previous(chosen)).totals
    diff = now.total - before.total
    signed = ("+" if diff > 0 else "") + vi(diff)
    change = f"{points_vi(judged.rate_points(now, before))} điểm %; số lượt: {signed}."
    assert f"Thay đổi tỷ lệ hài lòng: {change}" in html
    assert [vi(pct_or_none(before.rate())), vi(before.total)] in [c[2:] for _id, c in page.rows
                                                                  if len(c) == 4]  # fmt: skip
    late = [c[1:] for _id, c in page.rows if len(c) == 8 and DAY.fullmatch(c[1])]
    assert late == [
        [judged.published_day(line.published_on), *map(vi, late_cells(line.levels)[:1]),
         *(vi(line.levels.counts[level]) for level in (4, 3, 2, 1)),
         vi(pct_or_none(line.levels.rate()))]
        for line in judged.late(raw, chosen)
    ]  # fmt: skip


def _num(text: str) -> float | None:
    return None if text == "" else float(text)


def _counts(found) -> dict:
    return {str(level): found.counts[level] for level in (4, 3, 2, 1)}


def _levels(body: dict) -> dict:
    return {"ratings": body["ratings"], "counts": body["counts"], "rate": body["rate_pct"],
            "shares": body["shares_pct"]}  # fmt: skip


def _reference(found) -> dict:
    return {"ratings": found.total, "counts": _counts(found), "rate": _num(found.rate()),
            "shares": {str(k): _num(found.share(k)) for k in (4, 3, 2, 1)}}  # fmt: skip


@pytest.mark.parametrize("chosen", BOARD, ids=_ids)
@pytest.mark.parametrize("path", ["/board", "/board/poster"])
def test_board_shows_the_published_figures(office, chosen, path):
    apps, raw = office
    expected = calc.figures(raw, chosen)
    html = apps[chosen.convention].test_client().get(f"{path}?period={chosen.label}")
    text = html.get_data(as_text=True)
    assert "Số liệu đã công bố ngày" in text, "the period is published"
    page = html_tables(text)
    if path == "/board":
        assert page.ids["total"] == vi(expected.totals.total)
        assert page.ids["rate"] == vi(pct_or_none(expected.totals.rate()))
        assert page.ids["coverage"] == vi(pct_or_none(expected.measured["coverage"]))
        shown = {c[0]: c[1:] for _id, c in page.rows if len(c) == 3 and c[0] != "Họ và tên"}
        assert shown == {
            raw.officials[code]: [vi(found.total), vi(pct_or_none(found.rate()))]
            for code, found in expected.officials.items() if found.total >= MIN_SAMPLE
        }  # fmt: skip
    else:
        assert f'<p class="value">{vi(expected.totals.total)}</p>' in text
        assert f'<p class="value">{vi(pct_or_none(expected.totals.rate()))}</p>' in text
    met = expected.measured
    assert f"{met['met']}/{met['fields']} lĩnh vực đạt" in text


@pytest.mark.parametrize("chosen", JUDGED, ids=_ids)
def test_api_flags_ranks_and_trend_agree(api, office, chosen):
    _apps, raw = office
    expected = calc.figures(raw, chosen)
    body = api(f"/api/v1/summary?{_query(chosen)}")
    screening = body["screening"]
    assert (screening["outside_hours"], screening["bursts"]) == (
        judged.outside_hours(raw, chosen), judged.bursts(raw, chosen))  # fmt: skip
    before = previous(chosen)
    now, then = expected.totals, calc.figures(raw, before).totals
    assert (body["previous"]["from"], body["previous"]["to"]) == (
        str(before.first),
        str(before.last),
    )
    trend = body["trend"]
    assert (trend["total_diff"], trend["rate_diff_points"], trend["previous_rate_pct"]) == (
        now.total - then.total, _num(judged.rate_points(now, then)), _num(then.rate()))  # fmt: skip
    people = api(f"/api/v1/officials?{_query(chosen)}")["officials"]
    assert {p["code"]: (p["rank"], p["score_pct"]) for p in people} == {
        code: (r.rank, float(score_cell(r.score)) if r.rank else None)
        for code, r in judged.ranking(expected.officials).items()
    }  # fmt: skip


# The published periods that are also judged: the board shows their trend as published.
BOARD_JUDGED = [s for s in JUDGED if s in BOARD]


@pytest.mark.parametrize("chosen", BOARD_JUDGED, ids=_ids)
@pytest.mark.parametrize("path", ["/board", "/board/poster"])
def test_board_shows_the_published_trend(office, chosen, path):
    apps, raw = office
    before = previous(chosen)
    now, then = calc.figures(raw, chosen).totals, calc.figures(raw, before).totals
    text = apps[chosen.convention].test_client().get(f"{path}?period={chosen.label}")
    text = text.get_data(as_text=True)
    assert "Số liệu đã công bố ngày" in text, "the period is published"
    change = points_vi(judged.rate_points(now, then)) or "—"
    if path == "/board":
        assert f'<p class="value">{change}<small> điểm %</small></p>' in text
        assert f": {vi(pct_or_none(then.rate()))}</p>" in text
    else:
        assert f"): {change} điểm %." in text
