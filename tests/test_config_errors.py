"""A wrong or missing key gives one clear line naming the key and the file, and exit status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(module: str, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True,
                          text=True, timeout=60, cwd=cwd)  # fmt: skip


KIOSK_CASES = [
    ('state_dir = "/tmp/x"\n', "device: is required"),
    ('device = "Bad_ID"\n', "device: must match"),
    ('device = "collector"\n', "device: 'collector' is reserved"),
    ('device = "k1"\ncolour = "red"\n', "colour: unknown key"),
    ('device = "k1"\n[mqtt]\nport = "1883"\n', "mqtt.port: must be an integer"),
    ('device = "k1"\n[mqtt]\nport = 70000\n', "mqtt.port: must be 1..65535"),
    ('device = "k1"\n[kiosk]\nlanguage = "fr"\n', "kiosk.language: must be 'vi' or 'en'"),
    ('device = "k1"\ntime_zone = "Mars/Olympus"\n', "time_zone: unknown time zone"),
    ('device = "k1"\n[mqtt\n', "(syntax)"),
    (f'device = "k1"\n[kiosk]\nofficial_name = "{"A" * 129}"\n', "kiosk.official_name: length"),
    ('device = "k1"\n[kiosk]\nfield = "ho\\u0000tich"\n', "kiosk.field: must not contain"),
    ('device = "k1"\n[mqtt]\nhealth_interval_s = 0\n', "mqtt.health_interval_s: must be"),
    ('device = "k1"\n[journal]\nsegment_size = 0\n', "journal.segment_size: must be"),
]


@pytest.mark.parametrize(("text", "message"), KIOSK_CASES)
def test_kiosk_config_errors_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    result = run("hailong.device.cli", "--config", path, "run", "--headless")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and message in lines[0]


def test_a_70_character_counter_exits_2_with_one_line_before_any_press(tmp_path):
    # It used to pass the loader, and the kiosk died with a traceback at its first press: a crash
    # loop under Restart=always.
    path = tmp_path / "kiosk.toml"
    path.write_text(f'device = "k1"\nstate_dir = "{tmp_path / "k1"}"\n[kiosk]\n'
                    f'counter = "{"Q" * 70}"\n')  # fmt: skip
    result = run("hailong.device.cli", "--config", path, "run", "--headless", "--simulate", "50")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"hailong-kiosk: configuration error: {path}: kiosk.counter: length must be 1..64, got 70"
    ]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "k1").exists()  # refused before the journal was opened


def test_kiosk_missing_config_file(tmp_path):
    result = run("hailong.device.cli", "--config", tmp_path / "nope.toml", "run", "--headless")
    assert result.returncode == 2
    assert f"{tmp_path / 'nope.toml'}: (file): not found" in result.stderr


def test_kiosk_unreadable_password_file_names_the_key(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'device = "k1"\nstate_dir = "{tmp_path}"\n[mqtt]\n'
                    f'password_file = "{tmp_path / "missing"}"\n')  # fmt: skip
    result = run("hailong.device.cli", "--config", path, "run", "--headless")
    assert result.returncode == 2
    assert "mqtt.password_file: cannot read" in result.stderr


def test_kiosk_bad_signing_key(tmp_path):
    key = tmp_path / "k1.key"
    key.write_text("not hex")
    path = tmp_path / "kiosk.toml"
    path.write_text(f'device = "k1"\nsigning_key_file = "{key}"\n')
    result = run("hailong.device.cli", "--config", path, "run", "--headless")
    assert result.returncode == 2
    assert "signing key" in result.stderr and "hex" in result.stderr


COLLECTOR_CASES = [
    ('database = "collector.db"\n', "database: must be a URL"),
    ("[ingest]\nbatch_size = 0\n", "ingest.batch_size: must be 1..10000"),
    ('[ingest]\nshare_group = "a/b"\n', "ingest.share_group: must be letters"),
    ("[mqtt]\nhots = 1\n", "mqtt.hots: unknown key"),
    ("[web]\nport = true\n", "web.port: must be an integer"),
    ('time_zone = "Mars/Olympus"\n', "time_zone: unknown time zone"),
    ("mqtt = 3\n", "mqtt: must be a table"),
]


@pytest.mark.parametrize(("text", "message"), COLLECTOR_CASES)
def test_collector_config_errors_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "collector.toml"
    path.write_text(text)
    result = run("hailong.server.cli", "--config", path, "summary", "--from", "01/03/2024", "--to",
                 "31/03/2024")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert str(path) in result.stderr and message in result.stderr


def test_an_unreachable_database_is_one_line_naming_it(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text('database = "postgresql://hailong:secret@127.0.0.1:1/hailong"\n')
    result = run("hailong.server.cli", "--config", path, "summary", "--from", "01/03/2024", "--to",
                 "31/03/2024")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "cannot open the database postgresql+psycopg://hailong:***@127.0.0.1:1" in result.stderr
    assert "secret" not in result.stderr


def test_summary_rejects_bad_dates(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n')
    result = run("hailong.server.cli", "--config", path, "summary", "--from", "31/02/2024", "--to",
                 "01/03/2024")  # fmt: skip
    assert result.returncode == 2
    assert "31/02/2024" in result.stderr


def test_summary_accepts_iso_and_reports_zero(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n')
    result = run("hailong.server.cli", "--config", path, "summary", "--from", "2024-03-01", "--to",
                 "2024-03-31", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"total": 0' in result.stdout and '"rate": null' in result.stdout


def test_example_configs_load():
    from pathlib import Path

    from hailong.device.config import load_config as load_kiosk
    from hailong.server.config import load_config as load_collector

    root = Path(__file__).resolve().parent.parent / "config"
    assert load_kiosk(root / "kiosk.toml").device == "ubnd-xa-quay-1"
    assert load_collector(root / "collector.toml").ingest.batch_size == 500
