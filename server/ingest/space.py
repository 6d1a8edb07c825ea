"""The free-space floor: below it ingest holds presses unacked rather than fill the disk.

A held press is not lost: the broker keeps it in the collector's session (never acked) and the
kiosk keeps it in its journal (never acknowledged), so storing it later loses nothing. How free
space is measured is passed in (a function returning bytes, or None when unknown), so that tests
fake a full disk without filling one.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from hailong.server.config import CollectorConfig
from hailong.server.epoch import now_ms
from hailong.server.ingest.state import record_held

log = logging.getLogger(__name__)
FreeBytes = Callable[[], int | None]
MB = 1024 * 1024
CHECK_S = 1.0  # how often free space is measured again while presses are held


def measured_path(config: CollectorConfig) -> Path | None:
    """Return the folder whose file system holds the database, if this machine can see it."""
    if config.ingest.free_space_path is not None:
        return config.ingest.free_space_path
    url = make_url(config.database)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent
    return None  # a database server elsewhere: its own monitoring watches its disk


def disk_free(path: Path) -> FreeBytes:
    """Return a function measuring the free bytes of path's file system (None if it cannot)."""

    def free() -> int | None:
        try:
            return shutil.disk_usage(path).free
        except OSError:
            return None

    return free


class SpaceFloor:
    """Say whether free space is below the configured floor."""

    def __init__(self, floor_mb: int, free_bytes: FreeBytes | None):
        self.floor = floor_mb * MB
        self.free_bytes = free_bytes if floor_mb > 0 else None
        self.holding = 0  # messages held unacked right now, for the logs and tests

    def below(self) -> int | None:
        """Return the free bytes when below the floor, else None (also when not measured)."""
        if self.free_bytes is None:
            return None
        free = self.free_bytes()
        return free if free is not None and free < self.floor else None


def space_floor(config: CollectorConfig, free_bytes: FreeBytes | None = None) -> SpaceFloor:
    """Return the floor of this configuration, measured by free_bytes or on the database's disk."""
    if free_bytes is None:
        path = measured_path(config)
        free_bytes = disk_free(path) if path is not None else None
    return SpaceFloor(config.ingest.min_free_mb, free_bytes)


def hold_while_low(floor: SpaceFloor, engine: Engine, instance: str, pending: Callable[[], int],
                   stop: threading.Event) -> bool:  # fmt: skip
    """Wait, acking nothing, while free space is below the floor; False if stopped meanwhile."""
    free = floor.below()
    if free is None:
        return True
    log.error("only %d MB free, below the floor of %d MB: holding presses unacked (the kiosks "
              "keep them) until space returns", free // MB, floor.floor // MB)  # fmt: skip
    _record_held(engine, instance, free)
    while free is not None:
        floor.holding = pending()
        if stop.wait(CHECK_S):
            return False
        free = floor.below()
    log.warning("free space is above the floor again: storing the %d held message(s)",
                floor.holding)  # fmt: skip
    floor.holding = 0
    return True


def _record_held(engine: Engine, instance: str, free: int) -> None:
    """Tell the pages (ingest_state) that presses are held; the next commit clears it."""
    try:
        with engine.begin() as conn:
            record_held(conn, instance, now_ms(), free)
    except SQLAlchemyError as exc:  # a nearly full disk may refuse even this small row
        log.error("could not note the hold in the database: %s", exc)
