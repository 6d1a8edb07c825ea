"""Fixtures for the deployment tests: a test CA, a collector set up for provisioning, a fake root."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from hailong.server.config import CollectorConfig, load_config


@dataclass(frozen=True)
class Tls:
    """A CA made for the test, and a broker certificate it signed for localhost/127.0.0.1."""

    ca_cert: Path
    cert: Path
    key: Path


def openssl(*args: str) -> None:
    """Run openssl quietly; fail the test with its message."""
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def tls(tmp_path) -> Tls:
    """Make a CA and a broker certificate with openssl, as scripts/install-collector does."""
    return make_tls(tmp_path / "tls")


def make_tls(folder: Path) -> Tls:
    """Make a CA and a broker certificate for localhost/127.0.0.1 in folder, with openssl."""
    folder.mkdir()
    ca_key, ca_cert = folder / "ca.key", folder / "ca.crt"
    key, csr, cert = folder / "broker.key", folder / "broker.csr", folder / "broker.crt"
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca_cert), "-days", "2",
            "-subj", "/CN=hailong test CA")  # fmt: skip
    openssl("req", "-new", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))  # fmt: skip
    return Tls(ca_cert, cert, key)


@dataclass(frozen=True)
class Collector:
    """A collector configuration with its own database, keys folder and broker files."""

    path: Path
    config: CollectorConfig
    folder: Path


def write_collector(folder: Path, tls: Tls, **broker) -> Collector:
    """Write collector.toml for provisioning under folder (broker files in folder/broker)."""
    (folder / "broker").mkdir(parents=True, exist_ok=True)
    password = folder / "collector.password"
    password.write_text("collector-secret\n")
    values = {"address": "127.0.0.1", "port": 8883, "ca_file": str(tls.ca_cert),
              "password_file": str(folder / "broker" / "passwd"),
              "acl_file": str(folder / "broker" / "acl"), "systemd": False, **broker}  # fmt: skip
    lines = [f'database = "sqlite:///{folder / "collector.db"}"', "[mqtt]",
             f'password_file = "{password}"', "[ingest]", f'keys_dir = "{folder / "keys"}"',
             "[broker]"]  # fmt: skip
    lines += [f"{k} = {_toml(v)}" for k, v in values.items()]
    path = folder / "collector.toml"
    path.write_text("\n".join(lines) + "\n")
    return Collector(path, load_config(path), folder)


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


@pytest.fixture
def collector(tmp_path, tls) -> Collector:
    """A collector ready to provision kiosks, with counters Q1 and Q2."""
    c = write_collector(tmp_path / "collector", tls)
    from hailong.server.cli import main

    for code in ("Q1", "Q2"):
        assert main(["--config", str(c.path), "counter", "add", code, f"Quầy {code[1]}",
                     "--actor", "test"]) == 0  # fmt: skip
    return c


@pytest.fixture
def fake_root(tmp_path) -> Path:
    """A kiosk's root as the installer leaves it: the hailong group, a stock hostname."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "group").write_text(f"root:x:0:\nhailong:x:{os.getgid()}:\n")
    (root / "etc" / "hostname").write_text("raspberrypi\n")
    (root / "etc" / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
    return root
