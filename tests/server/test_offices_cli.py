"""`office add|list|set`, `--office` on the staff and report commands, publish per office."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from sqlalchemy import func, select

from hailong.server.cli.verify import check_published
from hailong.server.reference import offices
from hailong.server.reporting.publish import BOARD, publish_offices
from hailong.server.storage.db import counters, office_fields, open_database
from hailong.server.storage.db import offices as offices_table
from tests.server.test_offices import SETTINGS, presses, province, rosters


def test_office_commands_build_and_show_the_tree(cli, database_url):
    assert cli("office", "set", "don-vi", "--kind", "province", "--new-code", "tinh",
               "--name", "Sở Nội vụ", "--actor", "lan")[0] == 0  # fmt: skip
    assert cli("office", "add", "xa-a", "Xã A", "--kind", "commune", "--parent", "tinh",
               "--actor", "lan")[:2] == (0, "office xa-a added (commune)\n")  # fmt: skip
    cli(
        "office",
        "add",
        "co-so-2",
        "Cơ sở 2",
        "--kind",
        "site",
        "--parent",
        "xa-a",
        "--actor",
        "lan",
    )
    status, out, _ = cli("office", "list")
    assert status == 0
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["tinh", "province"], ["xa-a", "commune"], ["co-so-2", "site"]]  # fmt: skip
    assert out.splitlines()[2].startswith("    co-so-2")  # indented under its commune
    status, _, err = cli("office", "add", "xa-b", "Xã B", "--kind", "commune", "--parent", "xa-a",
                         "--actor", "lan")  # fmt: skip
    assert status == 2 and "a commune belongs under a province" in err
    assert cli("office", "set", "xa-a", "--place", "An Bình", "--recipients",
               "Sở Nội vụ|Lưu: VT", "--actor", "lan")[1] == "office xa-a updated\n"  # fmt: skip
    engine = open_database(database_url)
    with engine.connect() as conn:
        office = offices.require(conn, "xa-a")
        assert (office.place, office.recipients) == ("An Bình", "Sở Nội vụ\nLưu: VT")
        printed = offices.header_settings(SETTINGS, office, alone=False)
        assert (printed.unit_name, printed.place, printed.recipients) == (
            "Xã A", "An Bình", ("Sở Nội vụ", "Lưu: VT"))  # fmt: skip
    assert cli("office", "set", "xa-a", "--place", "", "--actor", "lan")[0] == 0
    with engine.connect() as conn:
        assert offices.require(conn, "xa-a").place is None  # the configuration's again
    engine.dispose()


def test_staff_commands_name_the_office_when_there_are_several(cli, database_url):
    cli("office", "set", "don-vi", "--kind", "province", "--new-code", "tinh", "--actor", "lan")
    for code in ("xa-a", "xa-b"):
        cli("office", "add", code, code, "--kind", "commune", "--parent", "tinh", "--actor", "lan")
    status, _, err = cli("counter", "add", "Q1", "Quầy 1", "--actor", "lan")
    assert status == 2 and "several offices: name one with --office (tinh, xa-a, xa-b)" in err
    for code in ("xa-a", "xa-b"):  # Q1 in both communes
        assert cli("counter", "add", "Q1", "Quầy 1", "--office", code, "--actor", "lan")[0] == 0
    status, _, err = cli("counter", "add", "Q1", "again", "--office", "xa-a", "--actor", "lan")
    assert status == 2 and "counter Q1 already exists" in err
    assert cli("counter", "list", "--office", "xa-b")[1].split()[:2] == ["Q1", "Quầy"]
    status, _, err = cli("counter", "list", "--office", "nowhere")
    assert status == 2 and "unknown office 'nowhere'" in err
    status, _, err = cli("field", "add", "ho-tich", "Hộ tịch", "--office", "xa-a", "--actor", "lan")
    assert status == 2 and "the field catalogue is the province's" in err
    assert cli("field", "add", "ho-tich", "Hộ tịch", "--office", "tinh", "--actor", "lan")[0] == 0
    assert cli("field", "enable", "ho-tich", "--office", "xa-b", "--actor", "lan")[1] == (
        "field ho-tich enabled here\n")  # fmt: skip
    assert cli("field", "enable", "ho-tich", "--office", "xa-b", "--actor", "lan")[1] == (
        "field ho-tich already served here\n")  # fmt: skip
    engine = open_database(database_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(counters)).scalar() == 2
        served = conn.execute(select(offices_table.c.code).join(
            office_fields, office_fields.c.office_id == offices_table.c.id)).scalars()  # fmt: skip
        assert sorted(served) == ["tinh", "xa-b"]
    engine.dispose()


def test_a_one_office_database_needs_no_office_named(cli):
    assert cli("counter", "add", "Q1", "Quầy 1", "--actor", "lan")[0] == 0
    assert cli("counter", "list")[1].startswith("Q1")


def test_summary_and_report_count_the_named_offices_kiosks(cli, database_url, tmp_path):
    engine = open_database(database_url)
    ids = province(engine)
    rosters(engine)
    presses(engine, ids)
    engine.dispose()
    found = {}
    for code in ("xa-a", "xa-b", "tinh"):
        status, out, err = cli("summary", "--from", "01/03/2024", "--to", "31/03/2024", "--json",
                               "--office", code)  # fmt: skip
        assert status == 0, err
        found[code] = json.loads(out)["total"]
    assert found == {"xa-a": 5, "xa-b": 4, "tinh": 9}
    status, _, err = cli("summary", "--from", "01/03/2024", "--to", "31/03/2024")
    assert status == 2 and "name one with --office" in err
    settings = tmp_path / "report.toml"
    settings.write_text('unit_name = "Cấu hình"\nplace = "Tỉnh"\n', encoding="utf-8")
    out = tmp_path / "a.csv"
    status, _, err = cli("report", "--period", "2024-03", "--settings", str(settings),
                         "--office", "xa-a", "-o", str(out))  # fmt: skip
    assert status == 0, err
    text = out.read_text(encoding="utf-8-sig")
    assert "A,total,Tổng cộng,ratings,5" in text


def test_publish_writes_each_offices_reports_into_its_folder(database_url, tmp_path):
    engine = open_database(database_url)
    ids = province(engine)
    rosters(engine)
    presses(engine, ids)
    folder = tmp_path / "published"
    settings = replace(SETTINGS, place="Tỉnh", unit_name="Cấu hình")  # the header's defaults
    done = publish_offices(engine, date(2024, 4, 28), folder, settings, "calendar")
    assert done.refused == []
    for code, name, total in (("tinh", "Sở Nội vụ tỉnh", 9), ("xa-a", "Xã A", 5),
                              ("xa-b", "Xã B", 4)):  # fmt: skip
        board = json.loads((folder / code / BOARD).read_text(encoding="utf-8"))
        march = next(e for e in board["reports"] if e["period"] == "2024-03")
        assert march["ratings"] == total and board["unit"] == name, code
        assert (folder / code / "2024-03-duong-lich").is_dir()
    again = publish_offices(engine, date(2024, 4, 28), folder, settings, "calendar")
    # 2 periods × 3 offices, and the province's report upward of each period, unchanged
    assert again.refused == [] and len(again.kept) == 8
    with engine.connect() as conn:
        # 3 offices' reports and the report upward × 2 periods × 3 formats
        assert check_published(conn, folder) == (24, [])
        altered = folder / "xa-b" / "2024-03-duong-lich" / "bao-cao-hai-long-2024-03-duong-lich.csv"
        altered.write_bytes(altered.read_bytes() + b"x")
        checked, problems = check_published(conn, folder)
    assert checked == 24 and problems == [
        "published 2024-03-duong-lich/bao-cao-hai-long-2024-03-duong-lich.csv: content differs "
        "from what was published"]  # fmt: skip
    engine.dispose()


def test_marking_test_presses_stays_in_the_office(cli, database_url):
    engine = open_database(database_url)
    ids = province(engine)
    rosters(engine)
    presses(engine, ids)
    engine.dispose()
    args = ("mark-test", "kb", "1", "--reason", "Bấm thử", "--actor", "lan")
    status, _, err = cli(*args, "--office", "xa-a")
    assert status == 2 and "device kb has no stored press with seq 1" in err
    assert cli(*args, "--office", "xa-b")[0] == 0


def test_accounts_and_tokens_belong_to_the_office_named(cli, database_url, tmp_path):
    engine = open_database(database_url)
    province(engine)
    engine.dispose()
    password = tmp_path / "password"
    password.write_text("mật-khẩu-đủ-dài-2024", encoding="utf-8")
    for office in ("xa-a", "xa-b"):
        assert cli("user", "add", f"admin-{office}", "--role", "admin", "--office", office,
                   "--password-file", str(password), "--actor", "lan")[0] == 0  # fmt: skip
        assert cli("token", "add", f"tok-{office}", "--office", office, "--actor", "lan")[0] == 0
    status, out, _ = cli("user", "list", "--office", "xa-a")
    assert status == 0 and "admin-xa-a" in out and "admin-xa-b" not in out
    assert "admin-xa-b" in cli("user", "list")[1]  # a listing without --office: every office's
    status, _, err = cli("user", "set", "admin-xa-b", "--inactive", "--office", "xa-a",
                         "--actor", "lan")  # fmt: skip
    assert status == 2 and "unknown user 'admin-xa-b'" in err
    status, _, err = cli("token", "revoke", "tok-xa-b", "--office", "xa-a", "--actor", "lan")
    assert status == 2 and "no active token 'tok-xa-b'" in err
