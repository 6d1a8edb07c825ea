"""`province key|export|import|report`: two collectors' databases and one office with no link.

Office A is report_world's office (its own collector configuration), office B a database named
on the command line, office C has no link: it exports a signed file that the province imports.
The expected figures are counted here from each office's presses.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert

from hailong.server.storage import db
from tests.server.report_world import BATCHES, EXCLUDED, at, build_world, press_row

# (field, rating, local time): B rates in office hours, C only at night (silent).
B_PRESSES = [("ho-tich", 4 if i < 30 else 2, at("2024-03-05", "09:00") + timedelta(minutes=5 * i))
             for i in range(40)] + [("ho-tich", 4, at("2024-02-06", "09:00") + timedelta(minutes=5 * i))
                                    for i in range(10)]  # fmt: skip
C_PRESSES = [
    ("dat-dai", 3, at("2024-03-12", "21:00") + timedelta(minutes=2 * i)) for i in range(35)
]
DOSSIERS = {"b": {"ho-tich": 45}, "c": {"dat-dai": 30}}


def build_office(url: str, presses, dossiers) -> None:
    """Fill an empty database with one kiosk's presses and the office's dossier counts."""
    engine = db.open_database(url)
    rows = [press_row("k1", seq, rating, when, counter="Q1", field=field)
            for seq, (field, rating, when) in enumerate(presses, start=1)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(db.presses), rows)
        conn.execute(insert(db.fields), [{"code": "ho-tich", "name": "Hộ tịch", "active": True},
                                         {"code": "dat-dai", "name": "Đất đai", "active": True}])  # fmt: skip
        conn.execute(insert(db.dossier_counts), [{"field": f, "month": "2024-03", "resolved": n}
                                                 for f, n in dossiers.items()])  # fmt: skip
    engine.dispose()


def march(presses) -> Counter:
    """Count (field, rating) presses dated in March 2024, local time."""
    return Counter(r for _f, r, when in presses if (when.year, when.month) == (2024, 3))


def world_march() -> Counter:
    """Count report_world's accepted March presses from its batches: live, not excluded."""
    seqs, counted = Counter(), Counter()
    excluded = {(device, seq) for device, seq, _why in EXCLUDED}
    for device, _counter, _official, _field, mode, presses in BATCHES:
        for when, rating in presses:
            seqs[device] += 1
            if (
                mode == "live"
                and (when.year, when.month) == (2024, 3)
                and (device, seqs[device]) not in excluded
            ):
                counted[rating] += 1
    return counted


def collector(*args, config=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "hailong.server.cli"]
    command += ["--config", str(config)] if config else []
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=180)


def rate(counts: Counter) -> str:
    """The satisfaction rate with one decimal, rounded half up as printed."""
    value = (counts[3] + counts[4]) * 1000 / sum(counts.values())
    return f"{int(value + 0.5) / 10:.1f}"


def test_the_report_upward_from_two_databases_and_an_imported_file(tmp_path):
    a_url, b_url, c_url = (f"sqlite:///{tmp_path / name}.db" for name in ("a", "b", "c"))
    engine = db.open_database(a_url)
    build_world(engine)
    engine.dispose()
    build_office(b_url, B_PRESSES, DOSSIERS["b"])
    build_office(c_url, C_PRESSES, DOSSIERS["c"])
    (tmp_path / "a-report.toml").write_text(
        'unit_name = "Ủy ban nhân dân xã An Bình"\nplace = "An Bình"\n'
    )
    (tmp_path / "a.toml").write_text(
        f'database = "{a_url}"\n[web]\nreport_settings = "{tmp_path / "a-report.toml"}"\n'
    )
    (tmp_path / "c.toml").write_text(f'database = "{c_url}"\n')
    province = tmp_path / "province.toml"
    province.write_text('[province]\nunit_name = "Sở Nội vụ"\nplace = "An Giang"\n'
                        'recipients = ["Ủy ban nhân dân tỉnh", "Lưu: VT"]\nsigner_name = "Trần Văn Tâm"\n')  # fmt: skip
    keys, store = tmp_path / "keys", tmp_path / "imported"

    issued = collector("province", "key", "--office", "xa-c", "--keys", keys)
    assert issued.returncode == 0, issued.stderr
    assert (keys / "xa-c.key").stat().st_mode & 0o777 == 0o600
    export = tmp_path / "xa-c-2024-03.json"
    done = collector("province", "export", "--office", "xa-c", "--name", "Xã Cô Tô", "--key",
                     keys / "xa-c.key", "--period", "2024-03", "--convention", "calendar", "-o",
                     export, config=tmp_path / "c.toml")  # fmt: skip
    assert done.returncode == 0, done.stderr
    imported = collector("province", "import", export, "--keys", keys, "--store", store)
    assert (
        imported.returncode == 0
        and f"{export}: imported: xa-c (Xã Cô Tô), 2024-03" in imported.stdout
    )
    again = collector("province", "import", export, "--keys", keys, "--store", store)
    assert again.returncode == 0 and "already imported" in again.stdout
    altered = tmp_path / "altered.json"
    altered.write_bytes(export.read_bytes().replace(b'"3": 35', b'"3": 36'))
    refused = collector("province", "import", altered, "--keys", keys, "--store", store)
    assert (
        refused.returncode == 1
        and "refused" in refused.stderr
        and "signature does not match" in refused.stderr
    )

    out = tmp_path / "tong-hop.csv"
    report = collector("province", "report", "--period", "2024-03", "--convention", "calendar",
                       "--settings", province, "--office", f"xa-a={tmp_path / 'a.toml'}",
                       "--office", f"xa-b={b_url}", "--office-name", "xa-b=Xã Bình Mỹ",
                       "--store", store, "--keys", keys, "--date", "05/04/2024", "-o", out)  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert report.stdout == f"{out}\n"
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    got = {(r["table"], r["row_key"], r["column"]): r["value"] for r in rows}
    names = {(r["table"], r["row_key"]): r["row_name"] for r in rows}
    assert names[("P1", "xa-a")] == "Ủy ban nhân dân xã An Bình"  # from its own settings
    assert names[("P1", "xa-b")] == "Xã Bình Mỹ" and names[("P1", "xa-c")] == "Xã Cô Tô"
    expected = {"xa-a": world_march(), "xa-b": march(B_PRESSES), "xa-c": march(C_PRESSES)}
    for code, counts in expected.items():
        assert got[("P1", code, "ratings")] == str(sum(counts.values())), code
        assert got[("P1", code, "level_4")] == str(counts[4]), code
    everything = sum(expected.values(), Counter())
    assert got[("P1", "province", "ratings")] == str(sum(everything.values()))
    assert got[("P1", "province", "rate_pct")] == rate(everything)
    assert got[("P1", "xa-b", "rate_pct")] == rate(expected["xa-b"])  # 30 of 40
    assert got[("P1", "xa-b", "previous_rate_pct")] == "100.0"  # ten 4s in February
    assert got[("P2", "xa-b", "field:ho-tich")] == f"{40 * 100 / 45:.1f}"  # 88.9: met
    assert got[("P2", "xa-c", "fields_met")] == "1/1"  # 35 of 30 dossiers
    assert {key for (table, key, _c) in got if table == "P4"} >= {"xa-c"}  # silent: all at night
    assert "không có lượt đánh giá nào trong giờ làm việc" in got[("P4", "xa-c", "reason")]
    assert (
        got[("meta", "unit", "value")] == "Sở Nội vụ" and got[("meta", "offices", "value")] == "3"
    )


def test_an_office_given_twice_and_a_store_without_keys_are_usage_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    build_office(url, B_PRESSES, DOSSIERS["b"])
    settings = tmp_path / "p.toml"
    settings.write_text('[province]\nunit_name = "Sở Nội vụ"\nplace = "An Giang"\n')
    out = tmp_path / "r.pdf"
    twice = collector("province", "report", "--period", "2024-03", "--settings", settings,
                      "--office", f"b={url}", "--office", f"b={url}", "-o", out)  # fmt: skip
    assert twice.returncode == 2 and "given twice: b" in twice.stderr and not out.exists()
    nokeys = collector("province", "report", "--period", "2024-03", "--settings", settings,
                       "--store", tmp_path, "-o", out)  # fmt: skip
    assert nokeys.returncode == 1 and "--store needs --keys" in nokeys.stderr
    bad = collector("province", "report", "--period", "2024-03", "--office", "b", "-o", out)
    assert bad.returncode == 2 and "CODE=VALUE" in bad.stderr


def test_a_second_key_for_an_office_needs_rotate(tmp_path):
    assert collector("province", "key", "--office", "xa-c", "--keys", tmp_path).returncode == 0
    first = (tmp_path / "xa-c.key").read_text()
    again = collector("province", "key", "--office", "xa-c", "--keys", tmp_path)
    assert again.returncode == 2 and "--rotate" in again.stderr
    assert (tmp_path / "xa-c.key").read_text() == first
    assert collector("province", "key", "--office", "XA C", "--keys", tmp_path).returncode == 1
    rotated = collector("province", "key", "--office", "xa-c", "--keys", tmp_path, "--rotate")
    assert rotated.returncode == 0 and (tmp_path / "xa-c.key").read_text() != first
