"""Publication on the 28th: what is due, idempotent files, board.json, and the two commands."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from openpyxl import load_workbook

from hailong.server.reporting.data import ReportSettings
from hailong.server.reporting.publish import BOARD, publish
from hailong.server.storage import db
from tests.server.report_world import (
    build_world,
    world_engine,  # noqa: F401 - the `engine` fixture
)

SETTINGS = ReportSettings(
    time_zone="Asia/Ho_Chi_Minh",
    unit_name="Ủy ban nhân dân xã An Bình",
    place="An Bình",
    min_sample=10,
)


def test_the_28th_of_april_publishes_march_and_the_first_quarter(engine, tmp_path):
    out = tmp_path / "published"
    paths = publish(engine, date(2024, 4, 28), out, SETTINGS, convention="calendar").written
    names = sorted(p.relative_to(out).as_posix() for p in paths)
    assert names == [
        "2024-03-duong-lich/bao-cao-hai-long-2024-03-duong-lich.csv",
        "2024-03-duong-lich/bao-cao-hai-long-2024-03-duong-lich.pdf",
        "2024-03-duong-lich/bao-cao-hai-long-2024-03-duong-lich.xlsx",
        "2024-Q1-duong-lich/bao-cao-hai-long-2024-Q1-duong-lich.csv",
        "2024-Q1-duong-lich/bao-cao-hai-long-2024-Q1-duong-lich.pdf",
        "2024-Q1-duong-lich/bao-cao-hai-long-2024-Q1-duong-lich.xlsx", BOARD,
    ]  # fmt: skip
    book = out / "2024-Q1-duong-lich" / "bao-cao-hai-long-2024-Q1-duong-lich.xlsx"
    sheet = load_workbook(book)["A. Theo lĩnh vực"]
    assert sheet["A7"].value == "QUÝ I/2024" and sheet["F3"].value.endswith(
        "ngày 28 tháng 04 năm 2024"
    )


def test_board_shows_the_latest_publication(engine, tmp_path):
    out = tmp_path / "published"
    publish(engine, date(2024, 4, 28), out, SETTINGS, convention="calendar")
    board = json.loads((out / BOARD).read_text(encoding="utf-8"))
    assert board["published"] == "2024-04-28" and board["unit"] == "Ủy ban nhân dân xã An Bình"
    month, quarter = board["reports"]
    assert (month["period"], month["title"], quarter["period"]) == (
        "2024-03",
        "Tháng 03/2024",
        "2024-Q1",
    )
    assert month["ratings"] == 32 and month["rate_pct"] == 84.4
    assert month["counts"] == {"4": 17, "3": 10, "2": 2, "1": 3}
    assert month["shares_pct"] == {"4": 53.1, "3": 31.3, "2": 6.3, "1": 9.4}
    # 31 ratings in the three fields with dossier counts ÷ their 38 dossiers (coverage.py).
    assert month["coverage_pct"] == 81.6 and month["previous"] == {
        "period": "2024-02",
        "rate_pct": 62.5,
    }
    assert month["files"]["pdf"] == "2024-03-duong-lich/bao-cao-hai-long-2024-03-duong-lich.pdf"
    assert quarter["ratings"] == 32 + 8
    # A late run for an earlier 28th …
    publish(engine, date(2024, 3, 28), out, SETTINGS, convention="calendar")
    assert (out / "2024-02-duong-lich").is_dir()  # … writes February's report
    again = json.loads((out / BOARD).read_text(encoding="utf-8"))
    assert again["published"] == "2024-04-28"  # … but leaves the newer figures on the board


def test_publishing_twice_changes_nothing(engine, tmp_path):
    out = tmp_path / "published"
    first = publish(engine, date(2024, 4, 28), out, SETTINGS).written
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in first}
    second = publish(engine, date(2024, 4, 28), out, SETTINGS)
    assert second.written == first and second.kept == ["2024-04"] and not second.refused
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in second.written} == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_a_day_that_is_not_the_28th_publishes_nothing(engine, tmp_path):
    assert publish(engine, date(2024, 4, 27), tmp_path / "published", SETTINGS).written == []
    assert not (tmp_path / "published").exists()


def test_cutoff_publishes_on_the_28th_what_closed_on_the_14th(engine, tmp_path):
    out = tmp_path / "published"
    publish(engine, date(2024, 3, 28), out, SETTINGS)  # the cut-off is the default
    board = json.loads((out / BOARD).read_text(encoding="utf-8"))
    assert [(r["period"], r["from"], r["to"]) for r in board["reports"]] == [
        ("2024-03", "2024-02-15", "2024-03-14"),
        ("2024-Q1", "2023-12-15", "2024-03-14"),
    ]
    assert board["reports"][0]["ratings"] == 27


def write_config(tmp_path, engine) -> tuple:
    """Write a collector config for the office's database and a report settings file."""
    config = tmp_path / "collector.toml"
    config.write_text(
        f'database = "{engine.url.render_as_string(hide_password=False)}"\n', encoding="utf-8"
    )
    settings = tmp_path / "report.toml"
    settings.write_text(
        'unit_name = "Ủy ban nhân dân xã An Bình"\nplace = "An Bình"\nmin_sample = 10\n'
        'signer_name = "Nguyễn Văn Bình"\nrecipients = ["Phòng Nội vụ huyện", "Lưu: VT"]\n',
        encoding="utf-8",
    )
    return config, settings


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hailong.server.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_report_and_publish_commands(engine, tmp_path):
    config, settings = write_config(tmp_path, engine)
    out = tmp_path / "march.pdf"
    done = run_cli("--config", config, "report", "--period", "2024-03", "--settings", settings,
                   "--date", "05/04/2024", "-o", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF") and str(out) in done.stdout
    custom = tmp_path / "range.csv"
    done = run_cli("--config", config, "report", "--from", "04/03/2024", "--to", "06/03/2024",
                   "--format", "csv", "--settings", settings, "-o", custom)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2024-03-04..2024-03-06,A,total,Tổng cộng,ratings,21" in custom.read_text(
        encoding="utf-8-sig"
    )
    folder = tmp_path / "published"
    done = run_cli("--config", config, "publish", "--date", "28/04/2024", "--folder", folder,
                   "--settings", settings)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # The cut-off by default: 28/04 publishes month 04 (15/03–14/04), three files and the board.
    assert (folder / BOARD).exists() and len(done.stdout.splitlines()) == 4
    assert (folder / "2024-04" / "bao-cao-hai-long-2024-04.pdf").exists()


def test_commands_refuse_bad_arguments(engine, tmp_path):
    config, settings = write_config(tmp_path, engine)
    both = run_cli("--config", config, "report", "--period", "2024-03", "--from", "01/03/2024",
                   "-o", tmp_path / "x.xlsx")  # fmt: skip
    assert both.returncode == 2 and "either --period" in both.stderr
    unknown = run_cli(
        "--config", config, "report", "--period", "2024-13", "-o", tmp_path / "x.xlsx"
    )
    assert unknown.returncode == 2 and "1..12" in unknown.stderr
    no_format = run_cli(
        "--config", config, "report", "--period", "2024-03", "-o", tmp_path / "x.doc"
    )
    assert no_format.returncode == 2 and "--format" in no_format.stderr
    settings.write_text("coverage_target = 80\n", encoding="utf-8")
    bad = run_cli("--config", config, "report", "--period", "2024-03", "--settings", settings,
                  "-o", tmp_path / "x.xlsx")  # fmt: skip
    assert bad.returncode == 2 and "coverage_target" in bad.stderr
    quiet = run_cli(
        "--config", config, "publish", "--date", "27/04/2024", "--folder", tmp_path / "p"
    )
    assert quiet.returncode == 0 and "no report is due on 27/04/2024" in quiet.stdout


def test_publish_writes_into_the_configured_folder_wherever_it_is_run(tmp_path):
    """Issue 17: the default folder comes from the configuration, not the current directory."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = db.open_database(url)
    build_world(engine)
    engine.dispose()
    settings = tmp_path / "report.toml"
    settings.write_text(
        'unit_name = "Ủy ban nhân dân xã An Bình"\nplace = "An Bình"\n', encoding="utf-8"
    )
    folder = tmp_path / "cong-bo"
    config = tmp_path / "c.toml"
    config.write_text(f'database = "{url}"\npublish_folder = "{folder}"\n'
                      f'[web]\nreport_settings = "{settings}"\n', encoding="utf-8")  # fmt: skip
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(config), "publish",
                           "--date", "28/04/2024"], cwd=elsewhere, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(folder.rglob("*.pdf")) and not list(elsewhere.rglob("*"))
    relative = tmp_path / "bad.toml"
    relative.write_text(f'database = "{url}"\npublish_folder = "published"\n')
    bad = subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(relative), "publish"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "publish_folder: must be an absolute path" in bad.stderr
