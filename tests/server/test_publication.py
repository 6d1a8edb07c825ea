"""Published means frozen: the cut-off dates, records with hashes, refusal, late arrivals."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from hailong.server.reference.audit import chain_breaks
from hailong.server.reporting.data import build_report
from hailong.server.reporting.formats import render
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.publish import BOARD, publish
from hailong.server.storage import db
from tests.server.report_world import (
    at,
    ms,
    press_row,
    world_engine,  # noqa: F401 - the `engine` fixture
)
from tests.server.test_publish import SETTINGS, run_cli, write_config


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 12, 28), [("2024-12", "2024-11-15", "2024-12-14"),
                              ("2024", "2023-12-15", "2024-12-14")]),
        (date(2024, 3, 28), [("2024-03", "2024-02-15", "2024-03-14"),
                             ("2024-Q1", "2023-12-15", "2024-03-14")]),
        (date(2024, 6, 28), [("2024-06", "2024-05-15", "2024-06-14"),
                             ("2024-H1", "2023-12-15", "2024-06-14")]),
        (date(2024, 9, 28), [("2024-09", "2024-08-15", "2024-09-14"),
                             ("2024-Q3", "2024-06-15", "2024-09-14"),
                             ("2024-9M", "2023-12-15", "2024-09-14")]),
    ],
)  # fmt: skip
def test_the_28th_publishes_the_plans_periods_by_default(engine, tmp_path, day, expected):
    out = tmp_path / "published"
    done = publish(engine, day, out, SETTINGS)
    board = json.loads((out / BOARD).read_text(encoding="utf-8"))
    assert [(r["period"], r["from"], r["to"]) for r in board["reports"]] == expected
    assert {r["convention"] for r in board["reports"]} == {"cutoff"}
    assert len(done.written) == 3 * len(expected) + 1


def on_the_28th(month: int):
    """Return a clock that says 28/<month>/2024 10:00 in the office: the publication's moment."""
    return lambda: ms(at(f"2024-{month:02d}-28", "10:00"))


def published_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(db.published).order_by(db.published.c.id)).all()


def audit_rows(engine, entity: str) -> list:
    with engine.connect() as conn:
        return conn.execute(select(db.audit).where(db.audit.c.entity == entity)).all()


def test_publish_records_each_file_with_its_hash_in_a_table_and_the_audit_log(engine, tmp_path):
    out = tmp_path / "published"
    publish(engine, date(2024, 3, 28), out, SETTINGS)
    rows = published_rows(engine)
    assert [(r.period, r.format) for r in rows] == [
        (p, f) for p in ("2024-03", "2024-Q1") for f in ("xlsx", "pdf", "csv")
    ]
    for row in rows:
        content = (out / row.path).read_bytes()
        assert row.sha256 == hashlib.sha256(content).hexdigest() and row.size == len(content)
        assert row.convention == "cutoff" and row.published_on == "2024-03-28"
    month = json.loads(rows[0].figures)
    assert (month["ratings"], month["rate_pct"]) == (27, 85.2)
    logged = {r.key: json.loads(r.after) for r in audit_rows(engine, "published")}
    assert logged["2024-03/pdf"]["sha256"] == rows[1].sha256
    assert len(logged) == 6
    with engine.connect() as conn:
        assert chain_breaks(conn) == (6, [])


def late_press(engine, seq: int, rating: int, pressed: str, received: str) -> None:
    """Store a press pressed at `pressed` that reached the collector at `received` (local)."""
    row = press_row("k9", seq, rating, at(*pressed.split()), counter="Q1", field="ho-tich")
    row["received_ms"] = ms(at(*received.split()))
    with engine.begin() as conn:
        conn.execute(insert(db.presses).values(row))


def test_a_changed_published_period_is_refused_and_its_record_kept(engine, tmp_path):
    out = tmp_path / "published"
    publish(engine, date(2024, 3, 28), out, SETTINGS)
    before = published_rows(engine)
    files = {p: p.read_bytes() for p in out.rglob("*.*")}
    late_press(engine, 1, 1, "2024-03-10 09:00", "2024-04-02 10:00")
    again = publish(engine, date(2024, 3, 28), out, SETTINGS)
    assert len(again.refused) == 2 and "2024-03 was published on 28/03/2024" in again.refused[0]
    assert published_rows(engine) == before
    assert {p: p.read_bytes() for p in out.rglob("*.*")} == files
    config, settings = write_config(tmp_path, engine)
    done = run_cli("--config", config, "publish", "--date", "28/03/2024", "--folder", out,
                   "--settings", settings)  # fmt: skip
    assert done.returncode == 1 and "refused: 2024-Q1 was published" in done.stderr


def test_late_arrivals_are_a_separate_line_of_the_next_report(engine, tmp_path):
    publish(engine, date(2024, 3, 28), tmp_path / "published", SETTINGS, clock=on_the_28th(3))
    late_press(engine, 1, 4, "2024-03-10 09:00", "2024-04-02 10:00")  # late: month 04's report
    late_press(engine, 2, 1, "2024-03-11 09:00", "2024-04-20 10:00")  # late: month 05's report
    april = parse_period("2024-04", "cutoff")
    with engine.connect() as conn:
        data = build_report(conn, april, SETTINGS, issued=date(2024, 4, 28))
        may = build_report(conn, parse_period("2024-05", "cutoff"), SETTINGS)
    assert [(row.period.label, row.published_on) for row in data.late] == [
        ("2024-03", date(2024, 3, 28))
    ]
    assert (data.late[0].stats.total, data.late[0].stats.counts[4]) == (1, 1)
    assert [(r.period.label, r.stats.counts[1]) for r in may.late] == [("2024-03", 1)]
    assert data.totals.total == 6  # 15/03–14/04 (18/03 and 01/04): the late ones not among them
    sheet = load_workbook(io.BytesIO(render(data, "xlsx")))["C. So với kỳ trước"]
    shown = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert "Bảng bổ sung. Lượt đánh giá đến muộn của kỳ đã công bố" in shown
    assert "Bổ sung Tháng 03/2024" in shown
    lines = list(csv.reader(io.StringIO(render(data, "csv").decode("utf-8-sig"))))
    assert ["2024-04", "L", "late 2024-03", "Bổ sung Tháng 03/2024", "ratings", "1"] in lines
    pdf = tmp_path / "april.pdf"
    pdf.write_bytes(render(data, "pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout  # fmt: skip
    assert "Bổ sung Tháng 03/2024" in text


def test_a_press_received_before_publication_is_not_late(engine, tmp_path):
    late_press(engine, 1, 4, "2024-03-10 09:00", "2024-03-28 09:59")
    publish(engine, date(2024, 3, 28), tmp_path / "published", SETTINGS, clock=on_the_28th(3))
    with engine.connect() as conn:
        data = build_report(conn, parse_period("2024-04", "cutoff"), SETTINGS)
    assert data.late == ()
    assert json.loads(published_rows(engine)[0].figures)["ratings"] == 28
