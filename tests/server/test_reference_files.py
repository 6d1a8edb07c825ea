"""Issue 12's proof: the summary command, XLSX, CSV and PDF print the reference's figures.

One generated office (tests/reference) on SQLite; for a month at each border case, a quarter,
a half, 9 months and the year in both conventions, every file is read back (openpyxl, the CSV
rows, pdftotext) and compared with the independent recomputation.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from hailong.server.cli import main
from hailong.server.reporting.data import build_report
from hailong.server.reporting.formats import render, write_report
from hailong.server.reporting.periods import parse_period
from hailong.server.storage import db
from tests.reference import calc, judged, rows
from tests.reference.bounds import previous
from tests.reference.chosen import JUDGED, SPANS
from tests.reference.dataset import build_dataset
from tests.reference.expect import (
    UNATTRIBUTED,
    ZONE,
    en,
    field_cells,
    field_name,
    late_cells,
    official_cells,
    pct_or_none,
    points_vi,
    screening_rows,
    signed,
    total_rows,
    trend_cells,
    unattributed_cells,
    vi,
)
from tests.reference.office import report_settings
from tests.reference.readers import (
    CLOSING,
    csv_cells,
    pdf_has_row,
    pdf_lines,
    screening_label,
    xlsx_agrees,
    xlsx_points,
    xlsx_sheets,
)

SETTINGS = report_settings()
LEVELS = ((4, "Rất hài lòng"), (3, "Hài lòng"), (2, "Bình thường"), (1, "Không hài lòng"))
TREND_NAMES = {
    "total": "Tổng số lượt đánh giá",
    **{f"level_{n}": f"{name} (lượt)" for n, name in LEVELS},
}
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler missing")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """Return (database URL, engine, raw tables) of the generated office on SQLite."""
    folder = tmp_path_factory.mktemp("ref-files")
    url = f"sqlite:///{folder / 'collector.db'}"
    engine = db.open_database(url)
    build_dataset(engine, folder / "timeline")
    with engine.connect() as conn:
        raw = rows.read(conn)
    yield url, engine, raw
    engine.dispose()


@pytest.fixture
def case(office, request):
    """Return (ReportData, reference figures, raw) of the parametrised period."""
    _url, engine, raw = office
    chosen = request.param
    with engine.connect() as conn:
        data = build_report(conn, parse_period(chosen.label, chosen.convention), SETTINGS,
                            date(2026, 2, 1))  # fmt: skip
    return data, calc.figures(raw, chosen), raw


def _ids(s) -> str:
    return f"{s.convention}-{s.label}"


@pytest.mark.parametrize("chosen", SPANS, ids=_ids)
def test_summary_command_text_and_json(office, chosen, tmp_path, capsys):
    url, _engine, raw = office
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "{url}"\ntime_zone = "{ZONE}"\n')
    args = ["--config", str(config), "summary", "--from", chosen.first.strftime("%d/%m/%Y"),
            "--to", chosen.last.strftime("%d/%m/%Y")]  # fmt: skip
    expected = calc.figures(raw, chosen).totals
    assert main([*args, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["counts"] == {str(k): n for k, n in expected.counts.items()}
    assert (found["total"], found["rate"]) == (expected.total, float(expected.rate()))
    assert main(args) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    # The terminal prints counts without the thousands dot of the reports: read them as numbers.
    assert ["Tổng", "số", str(expected.total)] in lines
    assert lines[-1][-1] == vi(pct_or_none(expected.rate()))
    for level, name in (
        (4, "Rất hài lòng"),
        (3, "Hài lòng"),
        (2, "Bình thường"),
        (1, "Không hài lòng"),
    ):
        row = next(line for line in lines if " ".join(line).startswith(name + " "))
        assert row[-2:] == [str(expected.counts[level]), vi(pct_or_none(expected.share(level)))]


@pytest.mark.parametrize("case", SPANS, ids=_ids, indirect=True)
def test_csv_agrees(case):
    data, expected, _raw = case
    cells = csv_cells(render(data, "csv"))
    columns = ["dossiers", "ratings", "coverage_pct", "needed", "level_4", "level_4_pct",
               "level_3", "level_3_pct", "level_2", "level_2_pct", "level_1", "level_1_pct",
               "rate_pct"]  # fmt: skip
    table_a = {code or "none": field_cells(f) for code, f in expected.fields.items()}
    table_a |= total_rows(expected)
    for key, wanted in table_a.items():
        assert [cells.get(("A", key, c), "") for c in columns] == [en(w) for w in wanted], key
    assert {k[1] for k in cells if k[0] == "A"} == set(table_a)
    people = columns[1:2] + columns[4:]
    table_b = {code: official_cells(found) for code, found in expected.officials.items()}
    if expected.unattributed.total:
        table_b["unattributed"] = unattributed_cells(expected.unattributed)
    for key, wanted in table_b.items():
        assert [cells.get(("B", key, c), "") for c in people] == [en(w) for w in wanted], key
    assert {k[1] for k in cells if k[0] == "B"} == set(table_b)
    for key, n in screening_rows(expected).items():
        assert cells[("C2", key, "current")] == str(n), key


@pytest.mark.parametrize("case", SPANS, ids=_ids, indirect=True)
def test_xlsx_agrees(case, tmp_path):
    data, expected, raw = case
    sheets = xlsx_sheets(write_report(data, "xlsx", tmp_path / "r.xlsx"))
    a = {row[1]: row[2:15] for row in sheets["A. Theo lĩnh vực"] if isinstance(row[1], str)}
    for code, f in expected.fields.items():
        assert xlsx_agrees(a[field_name(raw, code)], field_cells(f)), code
    for key, wanted in total_rows(expected).items():
        name = next(n for n in a if n.startswith(CLOSING[key]))
        assert xlsx_agrees(a[name], wanted), key
    met = expected.measured
    assert f"({met['met']}/{met['fields']} lĩnh vực đạt)" in next(
        n for n in a if "lĩnh vực đạt" in n
    )
    b = {row[1] or row[2]: row[3:13] for row in sheets["B. Theo cán bộ"] if row[3] is not None}
    for code, found in expected.officials.items():
        assert xlsx_agrees(b[code], official_cells(found)), code
    if expected.unattributed.total:
        assert xlsx_agrees(b[UNATTRIBUTED], unattributed_cells(expected.unattributed))
    c = {row[0]: row[1] for row in sheets["C. So với kỳ trước"] if row and row[0]}
    for key, n in screening_rows(expected).items():
        assert c[screening_label(key)] == n, key


@needs_poppler
@pytest.mark.parametrize("case", SPANS, ids=_ids, indirect=True)
def test_pdf_text_agrees(case, tmp_path):
    data, expected, _raw = case
    lines = pdf_lines(write_report(data, "pdf", tmp_path / "r.pdf"))
    for code, f in expected.fields.items():
        assert pdf_has_row(lines, field_cells(f)), code
    for key, wanted in total_rows(expected).items():
        assert pdf_has_row(lines, wanted), key
    for code, found in expected.officials.items():
        assert pdf_has_row(lines, official_cells(found), before="rank"), code
    if expected.unattributed.total:
        assert pdf_has_row(lines, unattributed_cells(expected.unattributed), before="rank")
    text = [" ".join(line) for line in lines]
    for key, n in screening_rows(expected).items():
        label = screening_label(key)
        assert any(t.startswith(f"{label} {vi(n)}") for t in text), key
    met = expected.measured
    assert any(f"{met['met']}/{met['fields']} lĩnh vực đạt" in t for t in text)


@pytest.mark.parametrize("case", JUDGED, ids=_ids, indirect=True)
def test_xlsx_flags_ranks_trend_and_late_agree(case, tmp_path):
    data, expected, raw = case
    chosen = expected.span
    sheets = xlsx_sheets(write_report(data, "xlsx", tmp_path / "r.xlsx"))
    ranked = judged.ranking(expected.officials)
    b = {row[1]: row[13] for row in sheets["B. Theo cán bộ"] if row[1] in ranked}
    assert {code: None if cell == "—" else cell for code, cell in b.items()} == {
        code: r.rank for code, r in ranked.items()
    }
    c = {row[0]: row[1:4] for row in sheets["C. So với kỳ trước"] if row and row[0]}
    now, before = expected.totals, calc.figures(raw, previous(chosen)).totals
    assert c["Tổng số lượt đánh giá"] == (now.total, before.total, now.total - before.total)
    for level, name in LEVELS:
        counts = now.counts[level], before.counts[level]
        assert c[f"{name} (lượt)"] == (*counts, counts[0] - counts[1]), name
    rate = c["Tỷ lệ hài lòng"]
    assert xlsx_agrees(rate[:2], [pct_or_none(now.rate()), pct_or_none(before.rate())])
    assert xlsx_points(rate[2]) == judged.rate_points(now, before)
    assert c["Gắn cờ, vẫn tính: ngoài giờ làm việc"][0] == judged.outside_hours(raw, chosen)
    assert c["Gắn cờ, vẫn tính: bấm dồn dập"][0] == judged.bursts(raw, chosen)
    late = [row for row in sheets["C. So với kỳ trước"] if str(row[0]).startswith("Bổ sung ")]
    lines = judged.late(raw, chosen)
    assert len(late) == len(lines)
    for row, line in zip(late, lines, strict=True):
        assert row[0] == f"Bổ sung Tháng {line.label[5:]}/{line.label[:4]}"
        wanted = [judged.published_day(line.published_on), *late_cells(line.levels)]
        assert xlsx_agrees(row[1:12], wanted), line.label


def _trend(raw, expected):
    """Return (now, before): the totals of the period and of the one of its kind just before."""
    return expected.totals, calc.figures(raw, previous(expected.span)).totals


@pytest.mark.parametrize("case", JUDGED, ids=_ids, indirect=True)
def test_csv_flags_ranks_trend_and_late_agree(case):
    data, expected, raw = case
    chosen, cells = expected.span, csv_cells(render(data, "csv"))
    assert cells[("C2", "flag: outside hours", "current")] == str(judged.outside_hours(raw, chosen))
    assert cells[("C2", "flag: burst", "current")] == str(judged.bursts(raw, chosen))
    ranked = judged.ranking(expected.officials)
    assert {code: cells[("B", code, "rank")] for code in ranked} == {
        code: en(r.rank) for code, r in ranked.items()
    }
    trend = trend_cells(*_trend(raw, expected))
    for key, wanted in trend.items():
        found = [cells[("C", key, c)] for c in ("current", "previous", "change")][: len(wanted)]
        assert found == [en(w) for w in wanted], key
    lines = judged.late(raw, chosen)
    assert {k[1] for k in cells if k[0] == "L"} == {f"late {n.label}" for n in lines}
    columns = ["published_on", "ratings", "level_4", "level_4_pct", "level_3", "level_3_pct",
               "level_2", "level_2_pct", "level_1", "level_1_pct", "rate_pct"]  # fmt: skip
    for line in lines:
        found = [cells[("L", f"late {line.label}", c)] for c in columns]
        assert found == [judged.published_day(line.published_on),
                         *map(en, late_cells(line.levels))], line.label  # fmt: skip


@needs_poppler
@pytest.mark.parametrize("case", JUDGED, ids=_ids, indirect=True)
def test_pdf_flags_ranks_trend_and_late_agree(case, tmp_path):
    data, expected, raw = case
    chosen = expected.span
    lines = pdf_lines(write_report(data, "pdf", tmp_path / "r.pdf"))
    text = [" ".join(line) for line in lines]
    flags = {"ngoài giờ làm việc": judged.outside_hours(raw, chosen),
             "bấm dồn dập": judged.bursts(raw, chosen)}  # fmt: skip
    for label, n in flags.items():
        assert f"Gắn cờ, vẫn tính: {label} {vi(n)} —" in text, label
    for code, r in judged.ranking(expected.officials).items():
        assert pdf_has_row(lines, [*official_cells(expected.officials[code]), r.rank]), code
    trend = trend_cells(*_trend(raw, expected))
    for key, name in TREND_NAMES.items():
        now, before, change = trend[key]
        assert f"{name} {vi(now)} {vi(before)} {signed(change)}" in text, key
    now, before, change = trend["rate_pct"]
    rate = [vi(now), vi(before), points_vi(change) if change else "—"]
    assert f"Tỷ lệ hài lòng {' '.join(rate)}" in text
    late = [t for t in text if t.startswith("Bổ sung Tháng ")]
    assert late == [
        " ".join([f"Bổ sung Tháng {line.label[5:]}/{line.label[:4]}",
                  judged.published_day(line.published_on), *map(vi, late_cells(line.levels))])
        for line in judged.late(raw, chosen)
    ]  # fmt: skip
