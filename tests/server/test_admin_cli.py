"""The staff commands: output, exit status 2 on bad input, and nothing written then."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import func, select

from hailong.server.reference import placements
from hailong.server.storage.db import (
    audit,
    corrections,
    dossier_counts,
    duty,
    open_database,
    presses,
)


@pytest.fixture
def db(database_url):
    engine = open_database(database_url)
    yield engine
    engine.dispose()


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def setup_office(cli):
    for args in (
        ("field", "add", "ho-tich", "Hộ tịch"),
        ("official", "add", "cb-01", "Nguyễn Văn An"),
        ("official", "add", "cb-02", "Trần Thị Bình"),
        ("counter", "add", "Q1", "Quầy 1", "--field", "ho-tich"),
    ):
        assert cli(*args, "--actor", "lan")[0] == 0


def test_reference_commands_print_and_list(cli):
    setup_office(cli)
    status, out, _ = cli("field", "list")
    assert status == 0 and "ho-tich" in out and "Hộ tịch" in out and "active" in out
    assert (
        cli("official", "set", "cb-02", "--inactive", "--actor", "lan")[1]
        == "official cb-02 updated\n"
    )
    assert "inactive" in cli("official", "list")[1]
    assert cli("counter", "set", "Q1", "--no-field")[1] == "counter Q1 updated\n"
    assert cli("counter", "list")[1].split() == ["Q1", "Quầy", "1", "-"]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(cli, db):
    setup_office(cli)
    before = count(db, audit)
    status, out, err = cli("field", "add", "ho-tich", "Lại", "--actor", "lan")
    assert (status, out) == (2, "")
    assert err == "hailong-collector: field ho-tich already exists\n"
    assert count(db, audit) == before


def test_duty_assign_list_and_overlap(cli, db):
    setup_office(cli)
    status, out, _ = cli("duty", "assign", "Q1", "cb-01", "--from", "01/03/2024 07:30")
    assert (status, out) == (0, "cb-01 on duty at counter Q1 from 01/03/2024 07:30\n")
    status, _, err = cli("duty", "assign", "Q1", "cb-02", "--from", "29/02/2024 07:30")
    assert status == 2
    assert err.strip().endswith(
        "cb-01 is on duty from 01/03/2024 07:30; a new duty must start after that"
    )
    assert cli("duty", "assign", "Q1", "cb-02", "--from", "15/03/2024")[0] == 0
    listing = cli("duty", "list")[1].splitlines()
    assert listing == [
        "Q1           cb-01            01/03/2024 07:30 → 15/03/2024 00:00",
        "Q1           cb-02            15/03/2024 00:00 → (on duty)",
    ]
    assert count(db, duty) == 2


@pytest.mark.parametrize("when", ["31/02/2024 07:30", "01/03/2024 25:00", "March 1st"])
def test_unreadable_times_exit_2(cli, when):
    setup_office(cli)
    status, _, err = cli("duty", "assign", "Q1", "cb-01", "--from", when)
    assert status == 2 and err.count("\n") == 1


def test_device_counter_stores_the_config(cli):
    setup_office(cli)
    cli("duty", "assign", "Q1", "cb-01", "--from", "01/03/2024 07:30")
    status, out, _ = cli("device", "counter", "quay-1", "Q1")
    assert status == 0 and '"official_name": "Nguyễn Văn An"' in out
    assert cli("device", "list")[1].split() == ["quay-1", "Q1", "-", "never", "seen"]


def test_device_counter_from_a_time_keeps_the_kiosks_earlier_counter(cli, db):
    setup_office(cli)
    cli("counter", "add", "Q2", "Quầy 2", "--actor", "lan")
    assert cli("device", "counter", "quay-1", "Q1", "--from", "01/03/2024 07:30")[0] == 0
    assert cli("device", "counter", "quay-1", "Q2", "--from", "15/03/2024 12:00")[0] == 0
    status, out, err = cli("device", "counter", "quay-1", "Q1", "--from", "10/03/2024 08:00")
    assert (status, out) == (2, "") and "stands at counter Q2 from 15/03/2024 12:00" in err
    with db.connect() as conn:
        moved = placements.history(conn, "quay-1")
    assert [(p.counter, p.end_ms) for p in moved] == [("Q1", moved[1].start_ms), ("Q2", None)]
    assert moved[1].start_ms - moved[0].start_ms == (14 * 24 + 4) * 3_600_000 + 30 * 60_000


def test_dossier_commands(cli, db, tmp_path):
    setup_office(cli)
    good = tmp_path / "good.csv"
    good.write_text("Lĩnh vực,Tháng,Đã giải quyết\nHộ tịch,03/2024,120\n", encoding="utf-8-sig")
    assert cli("dossiers", "import", str(good))[1] == "1 rows read: 1 changed, 0 unchanged\n"
    assert cli("dossiers", "set", "ho-tich", "2024-04", "80")[1] == "saved\n"
    table = cli("dossiers", "list", "--year", "2024")[1].splitlines()
    assert table[1].split() == ["ho-tich", "-", "-", "120", "80", *["-"] * 8, "200"]
    bad = tmp_path / "bad.csv"
    bad.write_text("field,month,resolved\nho-tich,2024-05,1\nxyz,2024-05,2\nho-tich,2024-06,x\n")
    status, out, err = cli("dossiers", "import", str(bad))
    assert (status, out) == (2, "")
    assert err.splitlines()[1:] == [
        "line 3: field: unknown field 'xyz' (codes and names are in `field list`)",
        "line 4: resolved: 'x' is not a whole number of dossiers (e.g. 125)",
    ]
    assert count(db, dossier_counts) == 2
    assert cli("dossiers", "set", "ho-tich", "2024-04", "nhiều")[0] == 2


def test_audit_list_names_the_os_user_by_default(cli):
    setup_office(cli)
    cli("field", "set", "ho-tich", "--name", "Hộ tịch (mới)")
    lines = cli("audit", "list", "--limit", "2")[1].splitlines()
    assert len(lines) == 2
    assert f" {getpass.getuser()} " in lines[0] and "update    field ho-tich" in lines[0]
    assert '"name": "Hộ tịch"} → {' in lines[0] and lines[0].endswith('"name": "Hộ tịch (mới)"}')
    assert cli("audit", "list", "--entity", "official")[1].count("\n") == 2


def test_mark_test_writes_a_correction_and_an_audit_row(cli, db):
    with db.begin() as conn:
        conn.execute(presses.insert(), [
            {"device": "k1", "seq": seq, "rating": 4, "ts": "t", "at_ms": seq, "synced": True,
             "redated": False, "boot": "b", "mono": 1.0, "mode": "live", "received_ms": 1,
             "payload": b"{}"} for seq in (1, 2, 3)
        ])  # fmt: skip
    status, out, _ = cli(
        "mark-test", "k1", "1-2", "--reason", "kỹ thuật viên bấm thử", "--actor", "tuan"
    )
    assert (status, out) == (0, "2 press(es) of k1 excluded: kỹ thuật viên bấm thử\n")
    with db.connect() as conn:
        rows = conn.execute(
            select(corrections.c.seq, corrections.c.actor, corrections.c.action)
        ).all()
    assert rows == [(1, "tuan", "exclude"), (2, "tuan", "exclude")]
    assert "mark-test press k1/2" in cli("audit", "list", "--limit", "1")[1]
    before = count(db, audit)
    assert cli("mark-test", "k1", "2-4", "--reason", "x")[2] == (
        "hailong-collector: device k1 has no stored press with seq 4\n"
    )
    assert cli("mark-test", "k1", "2", "--reason", "x")[2].endswith(
        "seq 2 already excluded (seq 2 by tuan: kỹ thuật viên bấm thử); "
        "nothing was marked: choose the others\n"
    )
    assert cli("mark-test", "k1", "3", "--reason", " ")[0] == 2
    assert cli("mark-test", "k1", "three", "--reason", "x")[0] == 2
    assert count(db, audit) == before and count(db, corrections) == 2


def test_argument_errors_exit_2(cli):
    with pytest.raises(SystemExit) as stop:
        cli("duty", "assign", "Q1")
    assert stop.value.code == 2


def _press(device: str, seq: int, at_ms: int, mode: str = "live") -> dict:
    return {"device": device, "seq": seq, "rating": 4, "ts": "t", "at_ms": at_ms, "synced": True,
            "redated": False, "boot": "b", "mono": 1.0, "mode": mode, "received_ms": 1,
            "payload": b"{}"}  # fmt: skip


# 05/03/2024 08:00 in Asia/Ho_Chi_Minh (UTC+7) is 01:00 UTC.
MORNING = 1_709_600_400_000


def test_mark_test_by_time_range_lists_the_presses_and_explains_overlaps(cli, db):
    minute = 60_000
    with db.begin() as conn:
        conn.execute(
            presses.insert(), [_press("k1", seq, MORNING + seq * minute) for seq in range(1, 7)]
        )
        conn.execute(presses.insert(), [_press("k2", 1, MORNING + 2 * minute)])  # another kiosk
    assert cli("mark-test", "k1", "2", "--reason", "thử trước", "--actor", "tuan")[0] == 0
    status, out, err = cli("mark-test", "k1", "--from", "05/03/2024 08:01", "--to",
                           "05/03/2024 08:04", "--reason", "kỹ thuật viên", "--actor", "lan")  # fmt: skip
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[1] for line in lines[:3]] == [
        "1",
        "2",
        "3",
    ]  # 08:04 itself is not included
    assert "05/03/2024 08:01" in lines[0]
    assert "(already excluded by tuan: thử trước)" in lines[1]
    assert lines[-1] == "2 press(es) of k1 excluded: kỹ thuật viên; 1 were excluded already"
    with db.connect() as conn:
        marked = conn.execute(select(corrections.c.device, corrections.c.seq, corrections.c.actor)
                              .order_by(corrections.c.seq)).all()  # fmt: skip
    assert marked == [("k1", 1, "lan"), ("k1", 2, "tuan"), ("k1", 3, "lan")]
    again = cli("mark-test", "k1", "--from", "05/03/2024 08:01", "--to", "05/03/2024 08:04",
                "--reason", "x")  # fmt: skip
    assert again[0] == 2 and "all excluded already" in again[2]
    assert cli("mark-test", "k1", "--from", "05/03/2024 09:00", "--to", "05/03/2024 08:00",
               "--reason", "x")[0] == 2  # fmt: skip
    assert cli("mark-test", "k1", "--from", "05/03/2024 08:00", "--reason", "x")[0] == 2
    assert cli("mark-test", "k1", "1", "--from", "05/03/2024 08:00", "--to", "05/03/2024 09:00",
               "--reason", "x")[0] == 2  # fmt: skip
    assert count(db, corrections) == 3
