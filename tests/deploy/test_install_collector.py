"""scripts/install-collector into a fake root (--root): the files it writes, as it writes them.

Packages, users, ownership, the virtual environment and systemctl are skipped under --root (the
installer says so); everything else runs: the code copy, the CA and certificates, collector.toml,
the broker's and nginx's configuration, the database and the first admin account.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hailong.server.accounts import users as accounts
from hailong.server.config import load_config
from hailong.server.storage.db import open_database
from tests.deploy.test_nginx import NGINX, main_conf

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "192.0.2.10"


def install(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the installer into root with this test's python."""
    env = {**os.environ, "HAILONG_PYTHON": sys.executable}
    return subprocess.run(["bash", str(ROOT / "scripts/install-collector"), "--root", str(root),
                           *args], capture_output=True, text=True, timeout=180, env=env)  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, str]:
    """Install once into a fake root; return the root and what the installer printed."""
    root = tmp_path_factory.mktemp("root")
    done = install(root, "--address", ADDRESS)
    assert done.returncode == 0, done.stderr
    return root, done.stdout


def one_time_password(output: str) -> str:
    """Return the first admin's password from the installer's output."""
    return re.search(r"one-time password \(shown only now\): (\S+)", output)[1]


def test_it_prints_the_address_the_fingerprint_the_password_and_three_steps(installed):
    root, out = installed
    assert f"the pages on https://{ADDRESS}/" in out
    fingerprint = subprocess.run(["openssl", "x509", "-in", str(root / "etc/hailong/tls/ca.crt"),
                                  "-noout", "-fingerprint", "-sha256"], capture_output=True,
                                 text=True, timeout=30).stdout.split("=")[1].strip()  # fmt: skip
    assert f"SHA-256 fingerprint {fingerprint}" in out
    assert [n for n in ("1.", "2.", "3.") if f"  {n} " in out] == ["1.", "2.", "3."]
    for skipped in ("apt-get install", "systemctl", "virtual environment", "groups"):
        assert re.search(f"skipped under --root: .*{skipped}", out), skipped


def test_the_first_admin_has_a_one_time_password(installed):
    root, out = installed
    password = one_time_password(out)
    engine = open_database(f"sqlite:///{root / 'var/lib/hailong-collector/collector.db'}")
    with engine.connect() as conn:
        admin = accounts.authenticate(conn, "admin", password)
        assert admin.role == "admin" and admin.must_change
    engine.dispose()


def test_the_pages_sit_behind_nginx_and_trust_it_alone(installed):
    root, _ = installed
    web = load_config(root / "etc/hailong/collector.toml").web
    assert (web.host, web.trusted_proxy, web.secure_cookies) == ("127.0.0.1", "127.0.0.1", True)
    site = (root / "etc/nginx/conf.d/hailong.conf").read_text()
    assert f"proxy_pass http://127.0.0.1:{web.port};" in site
    assert f"ssl_certificate {root}/etc/hailong/tls/web.crt;" in site
    assert "client_max_body_size 5m;" in site and not re.search(r"@[A-Z_]+@", site)
    folder = root / "nginx-check"
    folder.mkdir()
    conf = main_conf(folder, root / "etc/nginx/conf.d/hailong.conf")
    checked = subprocess.run([NGINX, "-t", "-q", "-c", str(conf), "-p", str(folder), "-e",
                              str(folder / "error.log")], capture_output=True, text=True,
                             timeout=30)  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_the_web_certificate_names_the_address_and_the_ca_signed_it(installed):
    root, _ = installed
    tls = root / "etc/hailong/tls"
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(tls / "ca.crt"), "-verify_ip",
                               ADDRESS, str(tls / "web.crt")], capture_output=True, text=True,
                              timeout=30)  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_private_keys_are_private_and_shared_folders_keep_their_group(installed):
    root, _ = installed
    mode = lambda path: stat.S_IMODE((root / path).stat().st_mode)  # noqa: E731
    assert mode("etc/mosquitto/hailong/broker.key") == 0o640  # group mosquitto on a real install
    assert mode("etc/hailong/tls/web.key") == 0o600 and mode("etc/hailong/tls/ca.key") == 0o600
    assert mode("etc/hailong/keys") == 0o2770 and mode("etc/mosquitto/hailong") == 0o2770
    assert mode("var/lib/hailong-collector") == 0o750


def test_the_code_is_writable_by_its_owner_alone(tmp_path):
    """Issue 13, finding 8: a checkout's loose modes do not reach /opt/hailong."""
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "var", "__pycache__", ".hypothesis", "build", "bench-*"))  # fmt: skip
    (checkout / "server/web/auth.py").chmod(0o666)
    (checkout / "server/accounts").chmod(0o777)
    root = tmp_path / "root"
    env = {**os.environ, "HAILONG_PYTHON": sys.executable}
    done = subprocess.run(["bash", str(checkout / "scripts/install-collector"), "--root", str(root),
                           "--address", ADDRESS], capture_output=True, text=True, timeout=180,
                          env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    app = root / "opt/hailong"
    assert (app / "pyproject.toml").is_file() and not (app / ".git").exists()
    loose = [p for p in [app, *app.rglob("*")] if not p.is_symlink()
             and stat.S_IMODE(p.stat().st_mode) & (stat.S_IWGRP | stat.S_IWOTH)]  # fmt: skip
    assert loose == []
    assert os.access(app / "scripts/install-collector", os.X_OK)
    assert os.access(app / "systemd/nginx/render", os.X_OK)


def test_a_second_run_keeps_keys_accounts_and_moves_old_pages_behind_nginx(installed):
    root, _ = installed
    toml = root / "etc/hailong/collector.toml"
    ca = (root / "etc/hailong/tls/ca.crt").read_bytes()
    # As an earlier version wrote it: waitress on the LAN, no proxy.
    old = re.sub(r"(?m)^(trusted_proxy|secure_cookies) = .*\n", "", toml.read_text())
    toml.write_text(old.replace('host = "127.0.0.1"\nport = 8080', 'host = "0.0.0.0"\nport = 8080'))
    assert load_config(toml).web.host == "0.0.0.0"
    again = install(root)  # the address is read back from collector.toml
    assert again.returncode == 0, again.stderr
    assert "one-time password" not in again.stdout  # the admin exists: no second one
    assert (root / "etc/hailong/tls/ca.crt").read_bytes() == ca
    web = load_config(toml).web
    assert (web.host, web.trusted_proxy, web.secure_cookies) == ("127.0.0.1", "127.0.0.1", True)


def test_the_old_web_host_option_is_refused_with_a_reason(tmp_path):
    done = install(tmp_path, "--address", ADDRESS, "--web-host", "0.0.0.0")
    assert done.returncode == 2 and "nginx serves the pages" in done.stderr


def test_the_kiosk_installer_copies_the_code_the_same_way():
    """Finding 8 on the kiosk too: root-owned, writable by root alone, the venv included."""
    kiosk = (ROOT / "scripts/install-kiosk").read_text()
    assert "rsync -rlt --chown=root:root --chmod=D755,Fu=rwX,Fgo=rX" in kiosk
    assert 'chown -R root:root "$APP"' in kiosk and 'chmod -R go-w "$APP"' in kiosk
    assert "rsync -a" not in kiosk
