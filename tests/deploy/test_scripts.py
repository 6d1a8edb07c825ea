"""The README's two commands: each installs what it needs and nothing it does not (issue 14)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _listed(*profile: str) -> dict[str, list[str]]:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup"), *profile, "--list"],
                          capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return {k: v.replace(",", " ").split() for k, v in
            (line.split(": ", 1) for line in done.stdout.splitlines())}  # fmt: skip


def test_the_demo_installs_no_database_server_and_no_browser():
    demo = _listed("demo")
    assert {"mosquitto", "fonts-dejavu-core", "python3-venv"} <= set(demo["debian"])
    assert not {"postgresql", "chromium", "poppler-utils", "espeak-ng"} & set(demo["debian"])
    assert demo["extras"] == ["kiosk", "collector"]
    assert "scripts/setup demo" in (ROOT / "scripts" / "demo").read_text()


def test_the_tests_get_everything_they_start():
    tests = _listed("test")
    assert {"postgresql", "chromium", "poppler-utils", "mosquitto", "espeak-ng", "systemd"} <= set(
        tests["debian"]
    )
    assert tests["extras"] == ["kiosk", "collector", "test"]
    assert _listed() == tests  # the default is what CI and developers need


def test_no_script_stops_or_disables_a_system_service():
    for name in ("setup", "demo", "test"):
        text = (ROOT / "scripts" / name).read_text()
        for verb in ("disable", "stop", "mask"):
            assert f"systemctl {verb}" not in text, (name, verb)


def test_an_unknown_profile_is_refused_with_a_message():
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup"), "prod"], capture_output=True,
                          text=True, timeout=30)  # fmt: skip
    assert done.returncode == 2 and "unknown profile 'prod'" in done.stderr
