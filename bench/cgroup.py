"""Throttle a benchmark's child to a Raspberry Pi's speed: a cgroup v1 CPU quota and a slow disk.

Both need root and cgroup v1's cpu and blkio controllers (mounted under /sys/fs/cgroup). Every
group, loop device and mount made here is removed when its `with` block ends, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

CGROUP_V1 = Path("/sys/fs/cgroup")
PERIOD_US = 10_000  # short: a long period lets a burst run then stalls it, which reads as latency


class CpuQuota:
    """A cgroup v1 cpu group limited to a fraction of one core; children join it before exec."""

    def __init__(self, cores: float, name: str = "hailong-bench"):
        if not 0 < cores <= 8:
            raise ValueError(f"cores must be in (0, 8], not {cores}")
        self.cores = cores
        self.path = CGROUP_V1 / "cpu" / f"{name}-{os.getpid()}"

    def __enter__(self) -> CpuQuota:
        if not (CGROUP_V1 / "cpu" / "cpu.cfs_quota_us").exists():
            raise SystemExit("no cgroup v1 cpu controller at /sys/fs/cgroup/cpu (run as root)")
        self.path.mkdir()
        try:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(round(PERIOD_US * self.cores)))
        except BaseException:
            self.path.rmdir()
            raise
        return self

    def join(self) -> None:
        """Move the calling process into the group (a Popen preexec_fn: runs before exec)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def __exit__(self, *exc_info: object) -> None:
        remove_group(self.path)


def remove_group(path: Path, timeout: float = 10.0) -> None:
    """Move any process left in a v1 group to its parent, then remove the group."""
    deadline = time.monotonic() + timeout
    while path.exists():
        for pid in (path / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):  # it may have exited meanwhile
                (path.parent / "cgroup.procs").write_text(pid)
        try:
            path.rmdir()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def loop_disk(folder: Path, size_mb: int) -> Iterator[tuple[Path, str]]:
    """Mount a fresh ext4 file system on a loop device backed by a file in folder.

    Yield the mount point and the device's "major:minor"; unmount, detach and delete on exit.
    """
    image, mount = folder / "sd.img", folder / "sd"
    with contextlib.ExitStack() as cleanup:
        with image.open("wb") as file:
            file.truncate(size_mb * 1024 * 1024)
        cleanup.callback(image.unlink)
        device = run(["losetup", "--find", "--show", str(image)])
        cleanup.callback(run, ["losetup", "--detach", device])
        run(["mkfs.ext4", "-q", "-F", device])
        mount.mkdir()
        cleanup.callback(mount.rmdir)
        run(["mount", device, str(mount)])
        cleanup.callback(run, ["umount", str(mount)])
        rdev = os.stat(device).st_rdev
        yield mount, f"{os.major(rdev)}:{os.minor(rdev)}"


@contextlib.contextmanager
def write_throttle(device: str, iops: int, bps: int) -> Iterator[None]:
    """Throttle this process's writes to a block device ("major:minor") with a blkio v1 group.

    The calling process (all its threads) joins the group, and leaves it when the block ends.
    """
    group = CGROUP_V1 / "blkio" / f"hailong-bench-{os.getpid()}"
    if not (CGROUP_V1 / "blkio" / "blkio.throttle.write_iops_device").exists():
        raise SystemExit("no cgroup v1 blkio controller at /sys/fs/cgroup/blkio (run as root)")
    group.mkdir()
    try:
        (group / "blkio.throttle.write_iops_device").write_text(f"{device} {iops}")
        (group / "blkio.throttle.write_bps_device").write_text(f"{device} {bps}")
        (group / "cgroup.procs").write_text(str(os.getpid()))
        yield
    finally:
        remove_group(group)


def run(command: list[str]) -> str:
    """Run a system command; return its output, raising with its message when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip() or done.returncode}")
    return done.stdout.strip()
