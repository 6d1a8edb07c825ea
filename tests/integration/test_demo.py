"""The demo starts everything, shows presses arriving, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from datetime import date

from hailong.server.broker.private import free_port
from hailong.server.demo import TIME_ZONE
from hailong.server.demo_office import seed_office
from hailong.server.reference import catalogue as reference
from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.settings import report_settings
from hailong.server.storage.db import open_database
from tests.support import wait_for


def test_demo_runs_and_stops_cleanly(tmp_path):
    folder = tmp_path / "demo"
    demo = subprocess.Popen(
        [sys.executable, "-m", "hailong.server.cli", "demo", "--folder", str(folder),
         "--port", str(free_port()), "--rate", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(demo.stdout.readline, "")))
    reader.start()
    try:
        url = wait_for(lambda: re.search(r"http://127\.0\.0\.1:\d+/", "".join(output)), 60, "URL")
        assert re.search(r"http://127\.0\.0\.1:\d+/login\?next=/summary", "".join(output))
        counts = lambda: [int(n) for n in re.findall(r"presses stored: (\d+)", "".join(output))]  # noqa: E731
        wait_for(lambda: counts() and counts()[-1] >= 5, 60, "presses to arrive")
        page = wait_for(lambda: _get(url.group()), 30, "the summary page")
        assert "Tỷ lệ hài lòng" in page

        # Kill the collector mid-stream, as a power cut would; the demo restarts it.
        ingest = subprocess.run(["pgrep", "-f", f"{folder}/collector.toml ingest"],
                                capture_output=True, text=True).stdout.split()  # fmt: skip
        assert len(ingest) == 1
        before = counts()[-1]
        os.kill(int(ingest[0]), signal.SIGKILL)
        wait_for(lambda: "ingest exited (-9); restarting it" in "".join(output), 30, "restart")
        wait_for(lambda: counts()[-1] >= before + 10, 60, "presses after the restart")
    finally:
        demo.send_signal(signal.SIGINT)
        assert demo.wait(30) == 0
        reader.join(10)
    text = "".join(output)
    assert "nothing left running" in text
    ledger = re.findall(r"^quay-\d: .*$", text, re.MULTILINE)
    assert len(ledger) == 3 and all(line.endswith(": OK") for line in ledger), ledger
    assert all(", lost 0, doubled 0, unknown 0" in line for line in ledger)
    left = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True).stdout
    assert left == "", f"processes left behind: {left}"


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def test_the_demo_office_is_seeded_like_a_real_commune(tmp_path):
    """Fields, officials, a roster, dossier counts and three months at office-hour pacing."""
    engine = open_database(f"sqlite:///{tmp_path / 'collector.db'}")
    today = date(2026, 12, 5)
    assert seed_office(engine, TIME_ZONE, today)
    assert not seed_office(engine, TIME_ZONE, today)  # a second run keeps what is there
    settings = report_settings(None, TIME_ZONE)
    with engine.connect() as conn:
        assert len(reference.listing(conn, "field")) == 10
        assert {o["name"] for o in reference.listing(conn, "official")} >= {"Nguyễn Thị Lan"}
        placed = {d["device"]: d["counter"] for d in reference.list_devices(conn)}
        assert placed == {"quay-1": "Q1", "quay-2": "Q2", "quay-3": "Q3"}
        month = build_report(conn, parse_period("2026-11"), settings, today)
        quarter = build_report(conn, parse_period("2026-Q4"), settings, today)
    engine.dispose()
    total = month.totals.total
    assert 600 < total < 1600  # about 18 citizens a working day at each of three counters
    assert 70 < month.totals.rate < 95
    assert month.screening.bursts == 0 and month.screening.outside_hours < total * 0.01
    counted = [f for f in month.fields if f.coverage.dossiers]
    assert len(counted) >= 6 and all(
        f.stats.total for f in counted
    )  # dossiers entered, not read as 0
    assert {o.code for o in month.officials} == {"cb-01", "cb-02", "cb-05"}
    # the roster changed hands in October: the quarter shows both officials of Q1 and Q3
    assert {o.code for o in quarter.officials} >= {"cb-01", "cb-03", "cb-04", "cb-05"}
    assert all(o.result.rate_shown is not None for o in month.officials)  # samples are large
