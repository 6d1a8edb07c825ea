"""The demo starts everything, shows presses arriving, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request

from hailong.server.broker.private import free_port
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
