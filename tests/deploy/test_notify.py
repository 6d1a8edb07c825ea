"""Tests for device.notify: sd_notify datagrams, received on a temporary socket in tmp_path."""

import os
import socket
import subprocess
import sys
import time

import pytest

from hailong.device import notify


@pytest.fixture
def listener(tmp_path, monkeypatch):
    """Bind a datagram socket and point NOTIFY_SOCKET at it, as systemd would."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def received(sock: socket.socket, until: str, timeout: float = 10) -> list[str]:
    """Collect datagrams until one holds the line `until`; fail after timeout."""
    messages: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
        if until in messages[-1].split("\n"):
            return messages
    pytest.fail(f"no {until} within {timeout}s; got {messages}")


def test_ready_sends_one_datagram_with_status(listener):
    assert notify.ready("recording as k1")
    assert listener.recv(4096) == b"READY=1\nSTATUS=recording as k1"


def test_watchdog_stopping_and_status(listener):
    assert notify.watchdog() and notify.stopping() and notify.status("backlog 3")
    assert [listener.recv(100) for _ in range(3)] == [b"WATCHDOG=1", b"STOPPING=1", b"STATUS=backlog 3"]  # fmt: skip


def test_abstract_namespace_socket(monkeypatch):
    name = f"hailong-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify.ready()
        assert sock.recv(100) == b"READY=1"


def test_no_socket_is_a_silent_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not notify.ready() and not notify.watchdog() and not notify.stopping()


def test_a_vanished_socket_does_not_raise(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    assert not notify.watchdog()


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [("30000000", None, 15.0), ("30000000", "self", 15.0), ("30000000", "1", None),
     ("0", None, None), ("", None, None), ("abc", None, None)],
)  # fmt: skip
def test_watchdog_interval_is_half_of_watchdogsec(monkeypatch, usec, pid, expected):
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is None:
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()) if pid == "self" else pid)
    assert notify.watchdog_interval() == expected


def test_kiosk_loop_is_ready_pings_while_idle_and_says_stopping(tmp_path, broker, listener):
    """Run the real kiosk headless and connected: an idle loop must still feed the watchdog.

    The broker starts before NOTIFY_SOCKET is set: mosquitto speaks sd_notify too.
    """
    config = tmp_path / "kiosk.toml"
    config.write_text(f'device = "k1"\nstate_dir = "{tmp_path / "state"}"\n'
                      f"[mqtt]\nport = {broker.port}\n[screen]\nenabled = false\n")  # fmt: skip
    env = {**os.environ, "WATCHDOG_USEC": "300000"}  # WatchdogSec=0.3: a ping every 0.15 s
    env.pop("WATCHDOG_PID", None)
    child = subprocess.Popen([sys.executable, "-m", "hailong.device.cli", "--config", str(config), "run", "--headless"],
                             env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    try:
        start = received(listener, "READY=1")
        received(listener, "WATCHDOG=1")
        time.sleep(0.5)  # let it connect and settle
        received(listener, "WATCHDOG=1")
        pings, idle_from = [time.monotonic()], time.monotonic()
        while pings[-1] - idle_from < 1.5:  # nothing happens: only the watchdog wakes the loop
            received(listener, "WATCHDOG=1", timeout=1.0)
            pings.append(time.monotonic())
        child.terminate()
        end = received(listener, "STOPPING=1")
        assert child.wait(15) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert start[-1] == "READY=1\nSTATUS=recording as k1"
    assert max(b - a for a, b in zip(pings, pings[1:], strict=False)) < 0.3  # within WatchdogSec
    assert end[-1] == "STOPPING=1"
