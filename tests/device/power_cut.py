"""A simulated power cut: what a journal folder holds after it, given the fsyncs made before it.

The model is what POSIX promises and ext4 keeps: a file's bytes are durable once the file was
fsync'd, a name (create, rename, unlink) once its folder was. Anything else may or may not have
reached the disk, so a cut is rebuilt three ways: `durable` keeps none of it, `torn` keeps each
name's durable or newer file at random and a random part of what was appended since the file's
last fsync, `written` keeps all of it (what a SIGKILL leaves). The real fsync is not called: the
model alone decides what survives, which keeps the test fast and off the shared disk.
"""

from __future__ import annotations

import errno
import os
import random
import stat
from pathlib import Path

VARIANTS = ("durable", "torn", "written")


class PowerCut(OSError):
    """Raised in place of the fsync at which the power fails (and of every fsync after it)."""

    def __init__(self):
        super().__init__(errno.EIO, "power cut")


class Disk:
    """Track what is durable in folder; cut the power at fsync number cut_at (0-based)."""

    def __init__(self, folder: Path, cut_at: int | None = None):
        self.folder, self.cut_at, self.fsyncs = folder, cut_at, 0
        # Inode numbers name files here; a file the model knows is held open so that its number
        # is not reused by a later file while the model lasts (see release).
        self._pins: dict[int, int] = {}
        self.names = self._listing()  # what a boot finds on disk is durable
        self.contents = {ino: (folder / name).read_bytes() for name, ino in self.names.items()}
        self.at_cut: dict[str, tuple[int, bytes]] | None = None  # the folder when power failed

    @property
    def cut(self) -> bool:
        """Tell whether the power has failed."""
        return self.at_cut is not None

    def fsync(self, fd: int) -> None:
        """Make fd's file (or the folder's names) durable, unless the power fails here."""
        if self.at_cut is None and self.fsyncs == self.cut_at:
            self.at_cut = {name: (ino, (self.folder / name).read_bytes())
                           for name, ino in self._listing().items()}  # fmt: skip
        if self.at_cut is not None:
            raise PowerCut()
        self.fsyncs += 1
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            if os.path.samestat(st, os.stat(self.folder)):
                self.names = self._listing()
        else:
            self._pin(st.st_ino, f"/proc/self/fd/{fd}")
            self.contents[st.st_ino] = Path(f"/proc/self/fd/{fd}").read_bytes()

    def release(self) -> None:
        """Close the files held open; the model's snapshots stay usable."""
        for fd in self._pins.values():
            os.close(fd)
        self._pins.clear()

    def _listing(self) -> dict[str, int]:
        """Return the folder's regular files, name -> inode, each pinned."""
        files = listing(self.folder)
        for name, ino in files.items():
            self._pin(ino, self.folder / name)
        return files

    def _pin(self, ino: int, path) -> None:
        if ino not in self._pins:
            self._pins[ino] = os.open(path, os.O_RDONLY)

    def rebuild(self, target: Path, variant: str, rng: random.Random) -> None:
        """Write into the empty folder target what the disk holds after the cut, per variant."""
        assert self.at_cut is not None, "the power never failed"
        target.mkdir(parents=True)
        for name, content in self.survivors(variant, rng).items():
            (target / name).write_bytes(content)

    def survivors(self, variant: str, rng: random.Random) -> dict[str, bytes]:
        """Return the files, by name, that the cut leaves."""
        now = {name: ino for name, (ino, _) in self.at_cut.items()}
        current = {ino: content for ino, content in self.at_cut.values()}
        if variant == "written":
            return {name: content for name, (_, content) in self.at_cut.items()}
        if variant == "durable":
            return {name: self.contents.get(ino, b"") for name, ino in self.names.items()}
        files = {}
        for name in sorted(self.names.keys() | now.keys()):
            ino = rng.choice([self.names.get(name), now.get(name)])  # a name not synced may be lost
            if ino is not None:
                files[name] = self.torn(self.contents.get(ino, b""), current.get(ino), rng)
        return files

    @staticmethod
    def torn(durable: bytes, latest: bytes | None, rng: random.Random) -> bytes:
        """Return the durable bytes plus a random prefix of what was appended after them."""
        if latest is None or not latest.startswith(durable):
            return durable
        return latest[: len(durable) + rng.randint(0, len(latest) - len(durable))]


def listing(folder: Path) -> dict[str, int]:
    """Return folder's regular files, name -> inode (the lock file aside: it holds nothing)."""
    return {
        entry.name: entry.inode()
        for entry in os.scandir(folder)
        if entry.is_file(follow_symlinks=False) and entry.name != "lock"
    }
