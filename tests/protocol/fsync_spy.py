"""Record what os.fsync is asked to flush, as (device, inode) pairs, so tests can name the files."""

from __future__ import annotations

import os
from pathlib import Path


def record_fsyncs(monkeypatch) -> list[tuple[int, int]]:
    """Let os.fsync run as usual, noting the identity of every file or folder it syncs."""
    synced: list[tuple[int, int]] = []
    real = os.fsync

    def spy(fd):
        st = os.fstat(fd)
        synced.append((st.st_dev, st.st_ino))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return synced


def identity(path: Path) -> tuple[int, int]:
    """Return the (device, inode) of path, as record_fsyncs notes it."""
    st = os.stat(path)
    return st.st_dev, st.st_ino
