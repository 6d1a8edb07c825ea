"""First-boot provisioning: install the bundle from the boot partition under /etc/hailong.

Everything is checked before anything is written, so a broken bundle leaves the kiosk as it was
(and the bundle in place, for the technician to fix). Files are replaced atomically and only when
their content, mode or group would change, so a second run changes nothing. The stamp is written
after the files and the bundle erased last: a power cut at any point is repaired by the next run.
`root` is "/" on a kiosk and a temporary folder in tests.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hailong.device.config import load_config
from hailong.device.errors import DeviceError
from hailong.protocol import ConfigFileError
from hailong.protocol.bundle import (
    BUNDLE_NAME,
    SETTINGS_SECTIONS,
    Bundle,
    parse_bundle,
    table_lines,
)
from hailong.protocol.files import fsync_folder, write_atomic

ETC = "/etc/hailong"  # as the kiosk sees it; written under root
STAMP = "provisioned.toml"
GROUP = "hailong"  # the kiosk service's group: it may read the secrets, nobody else
STATE_DIR = "/var/lib/hailong"  # the kiosk unit's StateDirectory


class ProvisionError(DeviceError):
    """Raise when the kiosk cannot take this bundle (nothing was written)."""


@dataclass(frozen=True)
class Wanted:
    """One file as provisioning wants it."""

    path: str  # absolute on the kiosk
    content: bytes
    mode: int
    group: bool = True  # owned root:hailong rather than root:root


@dataclass(frozen=True)
class Plan:
    """A checked bundle and the files it makes."""

    bundle: Bundle
    digest: str  # sha256 of the bundle's bytes, kept in the stamp
    stamped: bool  # this very bundle was installed before
    gid: int  # the kiosk's group
    files: list[Wanted]


@dataclass
class Result:
    """What a run did."""

    device: str | None = None
    changed: list[str] = field(default_factory=list)
    erased: bool = False


def provision(boot: Path, root: Path = Path("/"), *, group: str = GROUP,
              apply_hostname: Callable[[str], None] | None = None) -> Result:  # fmt: skip
    """Install boot/hailong.toml under root, set the hostname, stamp, erase the bundle."""
    source = boot / BUNDLE_NAME
    if not source.exists():
        return Result()
    plan = check(source, root, group)
    result = Result(plan.bundle.device, apply(plan, root, apply_hostname))
    erase(source)
    result.erased = True
    return result


def check(source: Path, root: Path, group: str) -> Plan:
    """Read and check everything provisioning needs; write nothing."""
    data = source.read_bytes()
    bundle = parse_bundle(data, str(source))
    stamp = _read_stamp(root)
    if stamp.get("device") not in (None, bundle.device):
        raise ProvisionError(
            f"this kiosk is already {stamp['device']}; {source} is for {bundle.device}. "
            "A kiosk keeps its identity: re-flash the SD card to make it another kiosk"
        )
    files = planned_files(bundle, root)
    check_kiosk_config(files[0].content, str(source))
    digest = hashlib.sha256(data).hexdigest()
    return Plan(bundle, digest, stamp.get("sha256") == digest, group_id(root, group), files)


def apply(plan: Plan, root: Path, apply_hostname: Callable[[str], None] | None) -> list[str]:
    """Write what differs; return the paths changed."""
    changed = [ETC] if ensure_dir(root, ETC, 0o750, plan.gid) else []
    for want in plan.files:
        if install(root, want, plan.gid if want.group else _root_gid()):
            changed.append(want.path)
    changed += set_hostname(root, plan.bundle.host_name, apply_hostname)
    if not plan.stamped:
        stamp = Wanted(f"{ETC}/{STAMP}", _stamp_text(plan.bundle, plan.digest), 0o644, False)
        install(root, stamp, _root_gid())
        changed.append(stamp.path)
    return changed


def planned_files(bundle: Bundle, root: Path) -> list[Wanted]:
    """Return kiosk.toml first, then the secrets and the CA certificate."""
    return [
        Wanted(f"{ETC}/kiosk.toml", kiosk_toml(bundle, root).encode(), 0o640),
        Wanted(f"{ETC}/mqtt.password", bundle.password.encode() + b"\n", 0o640),
        Wanted(f"{ETC}/signing.key", bundle.signing_key.encode() + b"\n", 0o640),
        Wanted(f"{ETC}/ca.crt", bundle.ca_certificate.encode(), 0o644, group=False),
    ]


def kiosk_toml(bundle: Bundle, root: Path) -> str:
    """Return the kiosk's settings file for this bundle."""
    top = {"device": bundle.device, "state_dir": STATE_DIR,
           "signing_key_file": f"{ETC}/signing.key"}  # fmt: skip
    if _under(root, f"{ETC}/pinmap.toml").exists():  # a local pin map, put there by the installer
        top["pin_map"] = f"{ETC}/pinmap.toml"
    mqtt = {"host": bundle.host, "port": bundle.port, "prefix": bundle.prefix,
            "password_file": f"{ETC}/mqtt.password", "ca_file": f"{ETC}/ca.crt"}  # fmt: skip
    lines = [f"# Written by `hailong-kiosk provision` from the bundle of {bundle.created or '?'}.",
             "# Provisioning again rewrites it: change settings on the collector, not here.",
             *table_lines(top), "", "[mqtt]", *table_lines(mqtt)]  # fmt: skip
    for name in SETTINGS_SECTIONS:
        if bundle.settings.get(name):
            lines += ["", f"[{name}]", *table_lines(bundle.settings[name])]
    return "\n".join(lines) + "\n"


def check_kiosk_config(content: bytes, where: str) -> None:
    """Load the kiosk.toml to be written, as the kiosk will; blame the bundle for any error."""
    with tempfile.TemporaryDirectory(prefix="hailong-provision-") as folder:
        path = Path(folder) / "kiosk.toml"
        path.write_bytes(content)
        try:
            load_config(path)
        except ConfigFileError as exc:
            raise ConfigFileError(where, exc.key, exc.problem) from None


def group_id(root: Path, name: str) -> int:
    """Return the gid of a group in root's /etc/group (the installer creates it)."""
    try:
        lines = _under(root, "/etc/group").read_text().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        parts = line.split(":")
        if len(parts) >= 3 and parts[0] == name and parts[2].isdigit():
            return int(parts[2])
    raise ProvisionError(f"no group {name!r} in {root}/etc/group: run scripts/install-kiosk first")


def ensure_dir(root: Path, path: str, mode: int, gid: int) -> bool:
    """Create or fix a folder's mode and group; return whether anything changed."""
    target = _under(root, path)
    created = not target.is_dir()
    target.mkdir(parents=True, exist_ok=True)
    return _own(target, mode, gid) or created


def install(root: Path, want: Wanted, gid: int) -> bool:
    """Replace a file atomically unless it already holds this content, mode and group."""
    target = _under(root, want.path)
    if target.exists() and target.read_bytes() == want.content:
        return _own(target, want.mode, gid)
    write_atomic(target, want.content, mode=want.mode, group=None if gid == -1 else gid)
    return True


def set_hostname(root: Path, name: str, apply: Callable[[str], None] | None) -> list[str]:
    """Write /etc/hostname and the 127.0.1.1 line of /etc/hosts; apply it on a live system."""
    changed = []
    if install(root, Wanted("/etc/hostname", f"{name}\n".encode(), 0o644, False), _root_gid()):
        changed.append("/etc/hostname")
    hosts = _under(root, "/etc/hosts")
    old = hosts.read_text() if hosts.exists() else "127.0.0.1\tlocalhost\n"
    kept = [line for line in old.splitlines() if not line.startswith("127.0.1.1")]
    text = "\n".join([*kept, f"127.0.1.1\t{name}"]) + "\n"
    if install(root, Wanted("/etc/hosts", text.encode(), 0o644, False), _root_gid()):
        changed.append("/etc/hosts")
    if apply is None and root == Path("/"):
        apply = socket.sethostname
    if apply is not None and changed:
        apply(name)
    return changed


def erase(path: Path) -> None:
    """Overwrite the bundle with zeros, then delete it (best effort on flash: see the guide)."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.write(b"\0" * size)
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
    fsync_folder(path.parent)


def _read_stamp(root: Path) -> dict:
    path = _under(root, f"{ETC}/{STAMP}")
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"{path}: unreadable stamp ({exc}); remove it to provision") from None


def _stamp_text(bundle: Bundle, digest: str) -> bytes:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    lines = ["# Written by `hailong-kiosk provision`: this kiosk's identity and its last bundle.",
             *table_lines({"device": bundle.device, "sha256": digest, "at": at})]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def _under(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def _own(path: Path, mode: int, gid: int) -> bool:
    st = path.stat()
    changed = False
    if (gid != -1 and st.st_gid != gid) or (os.geteuid() == 0 and st.st_uid != 0):
        _chown(path, gid)
        changed = True
    if st.st_mode & 0o7777 != mode:
        path.chmod(mode)
        changed = True
    return changed


def _chown(path, gid: int) -> None:
    # root owns everything it writes; a test run by a plain user keeps its own uid.
    os.chown(path, 0 if os.geteuid() == 0 else -1, gid)


def _root_gid() -> int:
    return 0 if os.geteuid() == 0 else -1  # -1: leave the group as it is (tests by a plain user)
