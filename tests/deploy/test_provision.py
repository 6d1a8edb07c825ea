"""Provisioning end to end: `device add` on the collector, first boot on a fake kiosk root.

The collector writes the bundle; it goes to a boot folder as the SD card's boot partition would
hold it; `hailong-kiosk provision --boot B --root R` installs it into R (etc/hailong, hostname).
"""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hailong.device.config import load_config as load_kiosk_config
from hailong.protocol import parse_key
from hailong.server.broker.accounts import accounts
from hailong.server.broker.provision import add_device
from hailong.server.cli import main as collector_cli
from hailong.server.errors import InputError
from hailong.server.storage.db import open_database
from tests.protocol.fsync_spy import identity, record_fsyncs


def kiosk_provision(boot: Path, root: Path) -> subprocess.CompletedProcess:
    """Run `hailong-kiosk provision` as the provisioning unit does."""
    return subprocess.run([sys.executable, "-m", "hailong.device.cli", "provision", "--boot", str(boot),
                           "--root", str(root)], capture_output=True, text=True, timeout=60)  # fmt: skip


def snapshot(root: Path) -> dict:
    """Return every path under root with its bytes, mode, owner and modification time."""
    tree = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        tree[str(path.relative_to(root))] = (content, st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns)  # fmt: skip
    return tree


def add(collector_fixture, device="k1", counter="Q1", *extra) -> Path:
    """Run `hailong-collector device add`; return the bundle's path."""
    out = collector_fixture.folder / f"{device}-bundle.toml"
    args = ["--config", str(collector_fixture.path), "device", "add", device, "--counter", counter,
            "-o", str(out), "--actor", "tech", *extra]  # fmt: skip
    assert collector_cli(args) == 0
    return out


@pytest.fixture
def boot(tmp_path) -> Path:
    """The SD card's boot partition."""
    folder = tmp_path / "boot"
    folder.mkdir()
    return folder


def test_device_add_then_first_boot(collector, boot, fake_root, capsys):
    bundle = add(collector, "k1", "Q1", "--screen", "480x320", "--language", "en")
    assert "bundle (SECRET)" in capsys.readouterr().out
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    shutil.copy(bundle, boot / "hailong.toml")

    done = kiosk_provision(boot, fake_root)

    assert done.returncode == 0, done.stderr
    assert "provisioned k1" in done.stdout and not (boot / "hailong.toml").exists()
    etc = fake_root / "etc" / "hailong"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in etc.iterdir()}
    assert modes == {"kiosk.toml": 0o640, "mqtt.password": 0o640, "signing.key": 0o640,
                     "ca.crt": 0o644, "provisioned.toml": 0o644}  # fmt: skip
    assert stat.S_IMODE(etc.stat().st_mode) == 0o750 and etc.stat().st_gid == os.getgid()
    config = load_kiosk_config(etc / "kiosk.toml")
    assert (config.device, config.mqtt.host, config.mqtt.port) == ("k1", "127.0.0.1", 8883)
    assert config.mqtt.ca_file == Path("/etc/hailong/ca.crt") and config.kiosk.language == "en"
    assert (config.kiosk.counter, config.screen.width, config.screen.height) == ("Q1", 480, 320)
    key = parse_key((etc / "signing.key").read_text())
    assert key == parse_key((collector.folder / "keys" / "k1.key").read_text())
    assert (etc / "ca.crt").read_text() == collector.config.broker.ca_file.read_text()
    assert (fake_root / "etc" / "hostname").read_text() == "hailong-k1\n"
    assert "127.0.1.1\thailong-k1" in (fake_root / "etc" / "hosts").read_text()
    assert "raspberrypi" not in (fake_root / "etc" / "hosts").read_text()
    assert accounts(collector.config.broker.password_file) == ["k1"]


def test_second_run_changes_nothing(collector, boot, fake_root):
    shutil.copy(add(collector), boot / "hailong.toml")
    assert kiosk_provision(boot, fake_root).returncode == 0
    before = snapshot(fake_root)

    again = kiosk_provision(boot, fake_root)

    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert snapshot(fake_root) == before


def test_the_same_bundle_again_is_only_erased(collector, boot, fake_root):
    """A power cut after the stamp but before the erase: the next boot only erases."""
    bundle = add(collector)
    shutil.copy(bundle, boot / "hailong.toml")
    assert kiosk_provision(boot, fake_root).returncode == 0
    before = snapshot(fake_root)
    shutil.copy(bundle, boot / "hailong.toml")

    again = kiosk_provision(boot, fake_root)

    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stderr
    assert snapshot(fake_root) == before and not (boot / "hailong.toml").exists()


def broken(bundle: Path, drop: str) -> str:
    """Return the bundle's text without the lines starting with drop."""
    return "".join(line for line in bundle.read_text().splitlines(keepends=True)
                   if not line.startswith(drop))  # fmt: skip


@pytest.mark.parametrize(
    ("drop", "message"),
    [("key =", "signing.key: is required"), ("password =", "mqtt.password: is required"),
     ("device =", "device: is required"), ("ca_certificate =", "mqtt.ca_certificate: is required")],
)  # fmt: skip
def test_broken_bundle_writes_nothing(collector, boot, fake_root, drop, message):
    (boot / "hailong.toml").write_text(broken(add(collector), drop))
    before = snapshot(fake_root)

    done = kiosk_provision(boot, fake_root)

    assert done.returncode == 2
    assert "broken bundle, nothing written" in done.stderr and message in done.stderr
    assert snapshot(fake_root) == before and (boot / "hailong.toml").exists()


def test_broken_bundle_leaves_a_provisioned_kiosk_as_it_was(collector, boot, fake_root):
    shutil.copy(add(collector), boot / "hailong.toml")
    assert kiosk_provision(boot, fake_root).returncode == 0
    before = snapshot(fake_root)
    rotated = add(collector, "k1", "Q1", "--rotate").read_text()
    refused = rotated.replace('counter = "Q1"', 'counter = "Q1"\nlanguage = "fr"')  # vi or en
    (boot / "hailong.toml").write_text(refused)

    done = kiosk_provision(boot, fake_root)

    assert done.returncode == 2 and "kiosk.language" in done.stderr
    assert snapshot(fake_root) == before


def test_rotated_credentials_replace_the_old(collector, boot, fake_root):
    shutil.copy(add(collector), boot / "hailong.toml")
    assert kiosk_provision(boot, fake_root).returncode == 0
    old_key = (fake_root / "etc/hailong/signing.key").read_text()
    shutil.copy(add(collector, "k1", "Q1", "--rotate"), boot / "hailong.toml")

    done = kiosk_provision(boot, fake_root)

    assert done.returncode == 0 and "/etc/hailong/signing.key" in done.stdout
    new_key = (fake_root / "etc/hailong/signing.key").read_text()
    assert new_key != old_key and new_key == (collector.folder / "keys/k1.key").read_text()
    assert [p.name.split("-")[0] for p in (collector.folder / "keys/retired").iterdir()] == ["k1"]


def test_a_kiosk_keeps_its_identity(collector, boot, fake_root):
    shutil.copy(add(collector, "k1"), boot / "hailong.toml")
    assert kiosk_provision(boot, fake_root).returncode == 0
    shutil.copy(add(collector, "k2", "Q2"), boot / "hailong.toml")

    done = kiosk_provision(boot, fake_root)

    assert done.returncode == 1 and "already k1" in done.stderr and "re-flash" in done.stderr


def test_a_root_without_the_kiosk_group_is_refused(collector, boot, fake_root):
    (fake_root / "etc" / "group").write_text("root:x:0:\n")
    shutil.copy(add(collector), boot / "hailong.toml")
    before = snapshot(fake_root)

    done = kiosk_provision(boot, fake_root)

    assert done.returncode == 1 and "install-kiosk" in done.stderr
    assert snapshot(fake_root) == before


def test_add_refuses_a_known_kiosk_and_an_unknown_counter(collector):
    add(collector, "k1")
    engine = open_database(collector.config.database)
    with pytest.raises(InputError, match="already provisioned"), engine.begin() as conn:
        add_device(conn, collector.config, "k1", "Q1", "tech", output=collector.folder / "x.toml")
    with pytest.raises(InputError, match="unknown counter"), engine.begin() as conn:
        add_device(conn, collector.config, "k2", "Q9", "tech", output=collector.folder / "y.toml")
    engine.dispose()
    assert not (collector.folder / "x.toml").exists() and not (collector.folder / "y.toml").exists()
    assert accounts(collector.config.broker.password_file) == ["k1"]


def test_revoke_removes_the_account_acl_entry_and_key(collector, capsys):
    add(collector, "k1")
    add(collector, "k2", "Q2")
    capsys.readouterr()

    assert collector_cli(["--config", str(collector.path), "device", "revoke", "k1", "--actor", "tech"]) == 0  # fmt: skip

    assert "kiosk k1 revoked" in capsys.readouterr().out
    assert accounts(collector.config.broker.password_file) == ["k2"]
    acl = collector.config.broker.acl_file.read_text()
    assert "user k2" in acl and "k1" not in acl
    assert not (collector.folder / "keys/k1.key").exists()
    assert len(list((collector.folder / "keys/retired").glob("k1-*.key"))) == 1


def test_revoke_of_an_unknown_kiosk_is_an_input_error(collector, capsys):
    assert collector_cli(["--config", str(collector.path), "device", "revoke", "k9", "--actor", "t"]) == 2  # fmt: skip
    assert "unknown kiosk" in capsys.readouterr().err


def test_add_device_returns_what_it_made(collector):
    engine = open_database(collector.config.database)
    told = []
    with engine.begin() as conn:
        made = collector_add(conn, collector, told)
    engine.dispose()
    assert made.device == "k3" and made.counter == "Q2" and not made.rotated
    assert made.bundle == collector.folder / "hailong.toml" and made.bundle.exists()
    assert made.key_file == collector.folder / "keys" / "k3.key"
    assert made.reloaded == ("broker",) and told == ["reload"]


def collector_add(conn, c, told):
    """Call add_device as the devices page would: output is a folder, reload is injected."""
    return add_device(conn, c.config, "k3", "Q2", "web:admin", output=c.folder,
                      reload=lambda: told.append("reload") or ["broker"])  # fmt: skip


def test_every_file_device_add_writes_is_synced_with_its_folder(collector, monkeypatch):
    """The signing key was once renamed into place without an fsync: a power cut could empty it."""
    synced = record_fsyncs(monkeypatch)
    engine = open_database(collector.config.database)
    with engine.begin() as conn:
        made = collector_add(conn, collector, [])
    engine.dispose()
    broker = collector.config.broker
    for path in (made.key_file, made.bundle, broker.password_file, broker.acl_file):
        assert identity(path) in synced, f"{path.name} not fsynced"
        assert identity(path.parent) in synced, f"the folder of {path.name} not fsynced"
    key = made.key_file.stat()
    assert stat.S_IMODE(key.st_mode) == 0o640 and key.st_gid == made.key_file.parent.stat().st_gid
    assert stat.S_IMODE(made.bundle.stat().st_mode) == 0o600
    assert stat.S_IMODE(broker.acl_file.stat().st_mode) == 0o640
