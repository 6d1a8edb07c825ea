"""Replace a file atomically and durably: the one home of "temp file, fsync, rename, fsync the folder".

Both sides write files a crash must never leave half-written: the kiosk its journal, settings and
provisioned secrets; the collector its reports, signing keys, broker accounts and bundles. Stdlib
only, so that the device and the server share it through the protocol package.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def fsync_folder(folder: Path) -> None:
    """Make renames and unlinks inside folder durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    path: Path,
    content: bytes | str,
    *,
    mode: int = 0o644,
    group: int | None = None,
    sync_folder: bool = True,
) -> Path:
    """Replace path with content so that a crash leaves either the old file or the new one, whole.

    The temp file is created private (mkstemp), then given `mode` and, when running as root, owner
    root and `group`, before any byte is written: a secret is never readable by others, not even
    for a moment. Without sync_folder the rename is durable only with the folder's next fsync.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            if group is not None and os.geteuid() == 0:
                os.fchown(out.fileno(), 0, group)
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_folder(path.parent)
    return path
