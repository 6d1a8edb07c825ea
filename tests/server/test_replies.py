"""Officials' replies (giải trình): open until publication, audited, beside their row in table B."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hailong.server.errors import InputError
from hailong.server.reference import replies
from hailong.server.reference.audit import chain_breaks, recent
from hailong.server.reporting.data import ReportSettings, build_report
from hailong.server.reporting.formats import render
from hailong.server.reporting.periods import custom, parse_period
from hailong.server.reporting.publish import publish
from hailong.server.storage.schema import replies as replies_table
from tests.server.report_world import (
    world_engine,  # noqa: F401 - the `engine` fixture
)

SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", unit_name="Ủy ban nhân dân xã An Bình",
                          place="An Bình", min_sample=10)  # fmt: skip
MARCH = parse_period("2024-03", "calendar")
TODAY = date(2024, 4, 20)
TEXT = "Ngày 18/03 quầy 2 mất điện, người dân phải chờ lâu."


def write(engine, text: str = TEXT, official: str = "cb-02", period=MARCH, today=TODAY) -> bool:
    with engine.begin() as conn:
        return replies.write_reply(conn, official, period, text, "bich", today)


def report(engine, period=MARCH):
    with engine.connect() as conn:
        return build_report(conn, period, SETTINGS, issued=date(2024, 4, 20))


def test_a_reply_is_audited_and_a_new_text_replaces_it_with_both_logged(engine):
    assert write(engine, "Bản đầu.")
    assert write(engine, TEXT)
    assert not write(engine, f"  {TEXT} ")  # the same text again changes nothing
    with engine.connect() as conn:
        assert replies.reply_of(conn, "cb-02", MARCH) == TEXT
        assert conn.execute(select(replies_table.c.actor)).scalars().all() == ["bich"]
        logged = recent(conn, entity="reply")
        assert chain_breaks(conn)[1] == []
    assert [(e.action, e.key) for e in logged] == [("update", "cb-02/calendar/2024-03"),
                                                    ("create", "cb-02/calendar/2024-03")]  # fmt: skip
    assert logged[0].before["text"] == "Bản đầu." and logged[0].after["text"] == TEXT


def test_the_reply_stands_beside_its_row_in_table_b_of_every_format(engine):
    write(engine)
    data = report(engine)
    assert {row.code: row.reply for row in data.officials} == {"cb-01": "", "cb-02": TEXT,
                                                               "cb-03": ""}  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(render(data, "csv").decode("utf-8-sig"))))
    cell = {(r["table"], r["row_key"], r["column"]): r["value"] for r in rows}
    assert cell[("B", "cb-02", "reply")] == TEXT and cell[("B", "cb-01", "reply")] == ""
    sheet = load_workbook(io.BytesIO(render(data, "xlsx")))["B. Theo cán bộ"]
    assert sheet.cell(2, 15).value == "Giải trình"
    assert [sheet.cell(r, 15).value for r in (4, 5, 6)] == ["—", TEXT, "—"]
    assert sheet.cell(5, 2).value == "cb-02"


def test_without_replies_table_b_has_no_reply_column(engine):
    rows = list(csv.DictReader(io.StringIO(render(report(engine), "csv").decode("utf-8-sig"))))
    assert not [r for r in rows if r["column"] == "reply"]


def test_a_reply_belongs_to_its_period_and_convention(engine):
    write(engine)
    assert all(not row.reply for row in report(engine, parse_period("2024-03", "cutoff")).officials)
    assert all(not row.reply for row in report(engine, parse_period("2024-Q1")).officials)


def test_publication_closes_the_period_and_the_published_file_holds_the_reply(engine, tmp_path):
    write(engine)
    written = publish(engine, date(2024, 4, 28), tmp_path, SETTINGS, convention="calendar").written
    march = next(p for p in written if p.name.endswith(".xlsx") and "2024-03" in p.name)
    assert load_workbook(march)["B. Theo cán bộ"].cell(5, 15).value == TEXT
    with pytest.raises(InputError, match="published"):
        write(engine, "Sửa sau khi công bố.")
    with engine.connect() as conn:
        assert replies.reply_state(conn, MARCH, TODAY) == "published"
        assert replies.reply_of(conn, "cb-02", MARCH) == TEXT
        assert [e.action for e in recent(conn, entity="reply")] == ["create"]


@pytest.mark.parametrize(("change", "problem"), [
    ({"text": "   "}, "empty"),
    ({"text": "x" * (replies.MAX_CHARS + 1)}, "at most"),
    ({"official": "cb-99"}, "unknown official"),
    ({"period": custom(date(2024, 3, 1), date(2024, 3, 10))}, "custom"),
    ({"period": parse_period("2024-05")}, "not begun"),
])  # fmt: skip
def test_bad_replies_are_refused_and_nothing_is_stored(engine, change, problem):
    with pytest.raises(InputError, match=problem):
        write(engine, **change)
    with engine.connect() as conn:
        assert conn.execute(select(replies_table)).all() == []
        assert recent(conn, entity="reply") == []
