"""Run a private mosquitto on loopback: for the demo, the tests and the benchmarks."""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hailong.protocol import DEFAULT_PREFIX
from hailong.server.broker.bridge import state_topic, up_prefix
from hailong.server.errors import CollectorError

log = logging.getLogger(__name__)
COLLECTOR_USER = "collector"


class BrokerError(CollectorError):
    """Raise when the private broker cannot be started."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def acl_text(prefix: str = DEFAULT_PREFIX, collector: str = COLLECTOR_USER) -> str:
    """Return the username-keyed ACL of the wire contract."""
    return "\n".join(
        [
            f"user {collector}",
            # write: ingest clears a retained press by publishing an empty retained one
            f"topic readwrite {prefix}/+/press",
            f"topic read {prefix}/+/status",
            f"topic read {prefix}/+/health",
            f"topic readwrite {prefix}/+/ack",
            f"topic readwrite {prefix}/+/config",
            f"topic readwrite {prefix}/collector/status",
            # a commune bridged upward: the province's acks come back here, and the presses
            # the province lacks are re-forwarded from here (server/broker/bridge.py)
            f"topic read {up_prefix(prefix)}/+/ack",
            f"topic read {state_topic(prefix)}",
            f"topic write {up_prefix(prefix)}/+/press",
            "",
            "# every other user is a device whose username is its id (%u)",
            f"pattern write {prefix}/%u/press",
            f"pattern readwrite {prefix}/%u/status",
            f"pattern write {prefix}/%u/health",
            f"pattern read {prefix}/%u/ack",
            f"pattern read {prefix}/%u/config",
            f"pattern read {prefix}/collector/status",
            "",
        ]
    )


@dataclass
class Mosquitto:
    """A mosquitto process on 127.0.0.1 with a generated config, stopped by PID."""

    folder: Path
    users: dict[str, str] | None = None  # None: anonymous; else username -> password
    persistence: bool = True
    prefix: str = DEFAULT_PREFIX
    host: str = "127.0.0.1"
    port: int = 0
    max_queued: int = 1_000_000
    tls: tuple[Path, Path, Path] | None = None  # (CA file, server certificate, server key)
    # A second listener with TLS beside the plain one: the demo's kiosks registered as in an office.
    tls_listener: tuple[Path, Path, Path] | None = None
    tls_port: int = 0
    acl: str | None = None  # the ACL's text; None: acl_text(prefix)
    extra_config: str = ""  # appended to the generated config, e.g. a bridge stanza
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, timeout: float = 10.0) -> Mosquitto:
        """Start the broker and wait until it accepts connections."""
        if not shutil.which("mosquitto") and not Path("/usr/sbin/mosquitto").exists():
            raise BrokerError("mosquitto is not installed (Debian package 'mosquitto')")
        self.folder.mkdir(parents=True, exist_ok=True)
        for attempt in range(5):  # the port can be taken between choosing and binding it
            if attempt or not self.port:
                self.port = free_port()
            if self.tls_listener is not None and (attempt or not self.tls_port):
                self.tls_port = free_port()
            self._write_config()
            if self._launch(timeout):
                return self
        raise BrokerError(f"mosquitto did not start; see {self.folder / 'mosquitto.log'}")

    def add_user(self, username: str, password: str) -> None:
        """Add or replace a broker account; takes effect on the next start or reload."""
        if self.users is None:
            raise BrokerError("this broker is anonymous")
        self.users[username] = password
        self._write_passwords()

    def reload(self) -> None:
        """Make the running broker reread its password and ACL files."""
        if self.process and self.process.poll() is None:
            self._write_passwords()
            os.kill(self.process.pid, signal.SIGHUP)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker gracefully (SIGTERM), killing it if it lingers."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Kill the broker at once (SIGKILL), as a power cut would."""
        self._signal(signal.SIGKILL, 10.0)

    def restart(self, timeout: float = 10.0) -> None:
        """Start the broker again on the same port, with the same files."""
        if self.process and self.process.poll() is None:
            self.stop()
        if not self._launch_same_port(timeout):
            raise BrokerError(f"mosquitto did not restart on port {self.port}")

    @property
    def pid_file(self) -> Path:
        """Return the file holding the running broker's pid (SIGHUP makes it reread its files)."""
        return self.folder / "mosquitto.pid"

    @property
    def url(self) -> str:
        """Return the broker's address as mqtt://host:port."""
        return f"mqtt://{self.host}:{self.port}"

    def _launch_same_port(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # the old socket may linger briefly
            if self._launch(max(0.5, deadline - time.monotonic())):
                return True
        return False

    def _launch(self, timeout: float) -> bool:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        with open(self.folder / "mosquitto.log", "ab") as log_file:
            self.process = subprocess.Popen(
                [binary, "-c", str(self.folder / "mosquitto.conf")],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        listening = self._wait_listening(timeout)
        if listening:  # `device add` reloads the broker through this file, as in an office
            self.pid_file.write_text(f"{self.process.pid}\n")
        return listening

    def _signal(self, signum: int, timeout: float) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signum)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def _wait_listening(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return True
            except OSError:
                time.sleep(0.02)
        self._signal(signal.SIGKILL, 5)
        return False

    def _write_config(self) -> None:
        lines = [f"listener {self.port} {self.host}"]
        if self.tls is not None:
            ca, cert, key = self.tls
            lines += [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}", "tls_version tlsv1.2"]
        lines += [
            f"allow_anonymous {'true' if self.users is None else 'false'}",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.folder}/",
            "autosave_interval 1",
            "autosave_on_changes false",
            # Sized for a fleet: the default 1000 silently drops a lagging collector's messages.
            f"max_queued_messages {self.max_queued}",
            "max_inflight_messages 1000",
            "max_keepalive 120",
            # Started as root, mosquitto would switch to its own user and lose our private folder.
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]
        if self.users is not None:
            self._write_passwords()
            (self.folder / "acl").write_text(self.acl or acl_text(self.prefix))
            lines += [f"password_file {self.folder}/passwd", f"acl_file {self.folder}/acl"]
        if self.tls_listener is not None:  # last: the lines after a listener are its own
            ca, cert, key = self.tls_listener
            lines += [f"listener {self.tls_port} {self.host}", f"cafile {ca}", f"certfile {cert}",
                      f"keyfile {key}", "tls_version tlsv1.2"]  # fmt: skip
        text = "\n".join(lines) + "\n" + self.extra_config  # a bridge stanza ends the file
        (self.folder / "mosquitto.conf").write_text(text)

    def _write_passwords(self) -> None:
        path = self.folder / "passwd"
        path.write_text("".join(f"{u}:{p}\n" for u, p in (self.users or {}).items()))
        subprocess.run(["mosquitto_passwd", "-U", str(path)], check=True, capture_output=True)
