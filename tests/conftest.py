"""Fixtures shared by every test folder: real brokers, child processes, config files."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hailong.server.broker.private import COLLECTOR_USER, Mosquitto
from tests.postgres import PostgresCluster, PostgresMissing
from tests.support import BACKENDS, fresh_database

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
DEVICES = ("k1", "k2", "k3")


def pytest_addoption(parser):
    parser.addoption("--soak", action="store_true", help="also run the long soak tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="soak test: run with --soak")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def broker(tmp_path):
    """Start an anonymous mosquitto on a free loopback port; stop it by PID afterwards."""
    b = Mosquitto(tmp_path / "broker", users=None, persistence=False).start()
    yield b
    b.kill()


@pytest.fixture
def secure_broker(tmp_path):
    """Start mosquitto with a password per account and the username-keyed ACL."""
    users = {u: secrets.token_hex(8) for u in (COLLECTOR_USER, *DEVICES)}
    b = Mosquitto(tmp_path / "broker", users=users, persistence=True).start()
    yield b
    b.kill()


class Processes:
    """Start hailong programs as child processes; every one is killed by PID at teardown."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.children: list[subprocess.Popen] = []

    def start(self, name: str, module: str, *args, stdin=subprocess.DEVNULL) -> subprocess.Popen:
        """Start `python -m module args`, logging to <folder>/<name>.log."""
        with open(self.folder / f"{name}.log", "ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", module, *map(str, args)],
                stdout=log, stderr=subprocess.STDOUT, stdin=stdin,
            )  # fmt: skip
        self.children.append(child)
        return child

    def stop(self, child: subprocess.Popen, timeout: float = 15) -> int:
        """Stop a child with SIGTERM (as systemd would) and return its exit status."""
        child.send_signal(signal.SIGTERM)
        return child.wait(timeout)

    def log(self, name: str) -> str:
        """Return what a child wrote so far."""
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_all(self) -> None:
        """Kill every child still running."""
        for child in self.children:
            if child.poll() is None:
                child.kill()
                child.wait(10)


@pytest.fixture
def procs(tmp_path):
    """Start child processes that are sure to be killed when the test ends."""
    p = Processes(tmp_path)
    yield p
    p.kill_all()


@pytest.fixture(scope="session")
def postgres():
    """Run one throwaway PostgreSQL cluster on loopback for the session; stop it by PID."""
    try:
        cluster = PostgresCluster().start()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)  # CI installs it: a missing server is an error
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """Return the URL of an empty database, once on SQLite and once on PostgreSQL."""
    return fresh_database(request, request.param, tmp_path)
