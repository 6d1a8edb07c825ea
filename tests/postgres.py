"""A throwaway PostgreSQL cluster on loopback for tests and benchmarks (Debian's binaries)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "hailong"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server programs are not installed."""


def find_bin() -> Path:
    """Return the folder holding initdb and postgres: $HAILONG_PG_BIN, Debian's, or PATH's."""
    wanted = os.environ.get("HAILONG_PG_BIN")
    found = [wanted] if wanted else []
    # Debian keeps the server programs out of PATH, one folder per major version.
    found += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    on_path = shutil.which("initdb")
    found += [str(Path(on_path).parent)] if on_path else []
    for folder in found:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    raise PostgresMissing(
        "PostgreSQL server programs (initdb, postgres) not found in /usr/lib/postgresql/*/bin "
        "or PATH: install them with `apt-get install postgresql` (scripts/setup does)"
    )


def _major(folder: str) -> int:
    name = Path(folder).parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> dict:
    """Return Popen's identity arguments: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):  # Debian's package creates postgres
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise PostgresMissing("running as root and no unprivileged user (postgres, nobody) exists")


class PostgresCluster:
    """initdb a fresh cluster in a temporary folder, run it on 127.0.0.1, stop it by PID."""

    def __init__(self, folder: Path | None = None):
        self.bin = find_bin()
        self.identity = _run_as()
        # Not under pytest's tmp folders: those are 0700 root, which the server user cannot enter.
        self.folder = Path(folder or tempfile.mkdtemp(prefix="hailong-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> PostgresCluster:
        """Create the cluster and start the server; return once it accepts connections."""
        if "user" in self.identity:
            os.chown(self.folder, self.identity["user"], self.identity["group"])
        self._run("initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions")  # fmt: skip
        options = {
            "listen_addresses": "127.0.0.1", "port": self.port,
            "unix_socket_directories": self.folder, "fsync": "on", "max_connections": 200,
            "shared_buffers": "128MB", "logging_collector": "off",
        }  # fmt: skip
        args = [a for k, v in options.items() for a in ("-c", f"{k}={v}")]
        with open(self.folder / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [self.bin / "postgres", "-D", self.data, *args],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **self.identity,
            )  # fmt: skip
        self._wait_ready()
        return self

    def _run(self, program: str, *args) -> None:
        result = subprocess.run([self.bin / program, *map(str, args)], capture_output=True,
                                text=True, **self.identity)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}")

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log()[-2000:]}")
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def dsn(self, database: str) -> str:
        """Return a libpq connection string for one database."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str) -> str:
        """Return the SQLAlchemy URL (psycopg 3) of one database."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its name."""
        name = name or f"t_{secrets.token_hex(6)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections a test left open."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def log(self) -> str:
        """Return what the server wrote so far."""
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server by its PID (fast shutdown) and remove the cluster."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)
