"""Tell systemd how the kiosk is doing (sd_notify): ready, alive, stopping; silent outside systemd.

The protocol is one datagram of newline-separated KEY=VALUE lines to the socket named by
$NOTIFY_SOCKET (a path, or '@name' in the abstract namespace). It is small enough that a
dependency (python-systemd, sdnotify) would cost more than it saves.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(*fields: str) -> bool:
    """Send KEY=VALUE lines to systemd; return whether they were sent."""
    address = _socket_address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(fields).encode())
    except OSError as exc:  # systemd gone or restarting: the kiosk must keep recording presses
        log.debug("sd_notify %s failed: %s", fields, exc)
        return False
    return True


def ready(status: str | None = None) -> bool:
    """Say the service has started (Type=notify)."""
    return notify("READY=1", *([f"STATUS={status}"] if status else []))


def watchdog() -> bool:
    """Say the main loop is alive (WatchdogSec=)."""
    return notify("WATCHDOG=1")


def stopping() -> bool:
    """Say the service is shutting down."""
    return notify("STOPPING=1")


def status(text: str) -> bool:
    """Set the one-line status `systemctl status` shows."""
    return notify(f"STATUS={text}")


def watchdog_interval() -> float | None:
    """Return how often to ping (half of WatchdogSec) in seconds, or None when not watched."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None  # meant for another process (e.g. a parent shell)
    return int(usec) / 2_000_000


def _socket_address() -> str | None:
    address = os.environ.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        return "\0" + address[1:]
    if address.startswith("/"):
        return address
    return None  # unset, or a transport we do not speak (vsock)
