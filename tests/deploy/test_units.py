"""Tests for systemd/: every unit verifies cleanly, the services are hardened to a stated bound.

`systemd-analyze verify` exits 0 on unknown keys and bad values, printing them on stderr: any
output fails the test. It also checks that ExecStart= programs exist, so the units are verified
as copies whose /opt/hailong/.venv/bin/ points at a temporary folder holding stand-ins.
"""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

import hailong.device.cli
import hailong.server.cli

SYSTEMD = Path(__file__).resolve().parents[2] / "systemd"
UNITS = sorted(p.name for p in SYSTEMD.iterdir() if p.suffix in (".service", ".timer", ".path"))
INSTALLED_BIN = "/opt/hailong/.venv/bin/"
SYSTEM_PROGRAMS = {"/bin/systemctl"}  # the reload unit's only tool
PROGRAMS = {"hailong-kiosk": hailong.device.cli, "hailong-collector": hailong.server.cli}
# Exposure bounds for `systemd-analyze security --offline=yes` (0 safest .. 10 unsafe). The
# collector's services need nothing but their database and the network; the kiosk keeps GPIO,
# DRM, input and sound; provisioning writes /etc and sets the hostname as root.
EXPOSURE = {
    "hailong-collector-ingest.service": 1.5,
    "hailong-collector-ingest@.service": 1.5,
    "hailong-collector-web.service": 1.5,
    "hailong-collector-upward.service": 1.5,
    "hailong-publish.service": 1.0,
    "hailong-kiosk.service": 2.0,
    "hailong-provision.service": 2.5,
    # root, but only to run two systemctl commands: no network, no writable file system.
    "hailong-broker-reload.service": 3.0,
}

SHELL_VALUES = {"$day": "28/03/2026", "$CONVENTION": "calendar", "$SETTINGS": "report.toml"}

pytestmark = pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd")


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> Path:
    """Copy the units with their programs pointing at executable stand-ins."""
    folder = tmp_path_factory.mktemp("units")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for name in PROGRAMS:
        stand_in = bin_dir / name
        stand_in.write_text("#!/bin/sh\nexit 0\n")
        stand_in.chmod(0o755)
    for name in UNITS:
        text = (SYSTEMD / name).read_text().replace(INSTALLED_BIN, f"{bin_dir}/")
        (folder / name).write_text(text)
    return folder


def test_every_unit_is_there():
    assert set(EXPOSURE) | {"hailong-publish.timer", "hailong-broker-reload.path"} == set(UNITS)


@pytest.mark.parametrize("name", UNITS)
def test_unit_verifies_without_a_word(units, name):
    done = subprocess.run(["systemd-analyze", "verify", str(units / name)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr


def test_verify_would_catch_an_unknown_key(units, tmp_path):
    broken = tmp_path / "hailong-kiosk.service"
    broken.write_text((units / "hailong-kiosk.service").read_text() + "\n[Service]\nWatchdogSek=30\n")  # fmt: skip
    done = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert "WatchdogSek" in done.stderr


@pytest.mark.parametrize("name", sorted(EXPOSURE))
def test_service_exposure_is_within_its_bound(units, name):
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(units / name)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert match, done.stdout + done.stderr
    assert float(match[1]) <= EXPOSURE[name], done.stdout


@pytest.mark.parametrize("name", sorted(EXPOSURE))
def test_exec_start_is_a_valid_command_line(name, monkeypatch):
    """Parse each hailong ExecStart with the program's own argument parser."""
    text = (SYSTEMD / name).read_text().replace("%i", "1")  # a template's instance name
    for argv in _commands(text):
        if argv[0].lstrip("-") in SYSTEM_PROGRAMS:
            continue
        program = Path(argv[0]).name
        assert argv[0] == INSTALLED_BIN + program and program in PROGRAMS
        PROGRAMS[program].parse_args(argv[1:])  # exits (SystemExit) on a bad command line


def test_kiosk_unit_is_watched_and_restarted():
    unit = _settings((SYSTEMD / "hailong-kiosk.service").read_text())
    assert unit["Type"] == "notify" and unit["Restart"] == "always"
    assert int(unit["WatchdogSec"]) >= 10 and unit["StateDirectory"] == "hailong"
    assert {"gpio", "video", "render", "input", "audio"} <= set(unit["SupplementaryGroups"].split())  # fmt: skip


def test_publish_timer_fires_on_the_28th_and_catches_up():
    timer = _settings((SYSTEMD / "hailong-publish.timer").read_text())
    assert timer["OnCalendar"].startswith("*-*-28 ") and timer["Persistent"] == "true"
    office = {**os.environ, "TZ": "Asia/Ho_Chi_Minh"}  # print the elapses in office time
    done = subprocess.run(["systemd-analyze", "calendar", "--iterations=3", timer["OnCalendar"]],
                          capture_output=True, text=True, timeout=60, env=office)  # fmt: skip
    days = re.findall(r"\d{4}-\d{2}-(\d{2}) \d{2}:\d{2}:\d{2} \+07", done.stdout)
    assert done.returncode == 0 and days == ["28", "28", "28"], done.stdout


def _settings(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if re.match(r"[A-Z]\w*=", line))
    return dict(pairs)


def _commands(text: str) -> list[list[str]]:
    """Return the hailong command lines of ExecStart=, also inside `sh -c '...'`."""
    found = []
    for line in text.splitlines():
        if not line.startswith("ExecStart="):
            continue
        argv = shlex.split(line.removeprefix("ExecStart="))
        if argv[:2] == ["/bin/sh", "-c"]:
            script = argv[2].replace("$$", "$").replace("%%", "%")
            argv = shlex.split(script[script.index(INSTALLED_BIN) :].split(";")[0])
            argv = [SHELL_VALUES.get(a, a) for a in argv]
        found.append(argv)
    return found


@pytest.mark.parametrize(
    ("today", "published"),
    [("2026-03-28", "28/03/2026"), ("2026-03-31", "28/03/2026"), ("2026-04-02", "28/03/2026"),
     ("2026-01-05", "28/12/2025"), ("2026-03-01", "28/02/2026")],
)  # fmt: skip
def test_publish_runs_for_the_latest_28th(today, published):
    """A late run (Persistent=true, after boot) still publishes the 28th it missed."""
    line = next(x for x in (SYSTEMD / "hailong-publish.service").read_text().splitlines()
                if x.startswith("ExecStart="))  # fmt: skip
    script = shlex.split(line.removeprefix("ExecStart="))[2].replace("$$", "$").replace("%%", "%")
    script = script.replace(f"exec {INSTALLED_BIN}hailong-collector", "echo")
    # `date` on that day: plain calls read the fixed day, `date -d` computes as usual.
    fake = f'date() {{ if [ "$1" = -d ]; then command date "$@"; else command date -d {today} "$@"; fi; }}; '  # fmt: skip
    done = subprocess.run(["/bin/sh", "-c", fake + script], capture_output=True, text=True,
                          timeout=30, env={**os.environ, "CONVENTION": "calendar", "SETTINGS": "s"})  # fmt: skip
    assert done.stdout.split()[done.stdout.split().index("--date") + 1] == published, done.stderr


def test_the_web_writes_through_its_own_group_and_never_reaches_the_brokers_key():
    """Issue 13, finding 9: the web is not in group mosquitto; the keys are hidden from it."""
    text = (SYSTEMD / "hailong-collector-web.service").read_text()
    assert _settings(text)["SupplementaryGroups"].split() == ["hailong-broker"]
    hidden = " ".join(line.split("=", 1)[1] for line in text.splitlines()
                      if line.startswith("InaccessiblePaths="))  # fmt: skip
    for key in ("/etc/mosquitto/hailong/broker.key", "/etc/hailong/tls/ca.key"):
        assert f"-{key}" in hidden.split()
    for name in ("hailong-collector-ingest.service", "hailong-collector-ingest@.service",
                 "hailong-publish.service"):  # fmt: skip
        assert "SupplementaryGroups" not in _settings((SYSTEMD / name).read_text())
