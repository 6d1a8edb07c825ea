"""Read the clocks a press carries: wall time, boot id, time since boot, and sync state."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from hailong.protocol import Anchor, format_ts

log = logging.getLogger(__name__)
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_STA_UNSYNC = 0x0040
_TIME_ERROR = 5


@dataclass(frozen=True)
class Stamp:
    """The clock readings taken at one press."""

    ts: str
    synced: bool
    boot: str
    mono: float


def boot_id() -> str:
    """Return the kernel's boot id (a random one per process when unavailable)."""
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return str(uuid.uuid4())


def since_boot() -> float:
    """Return seconds since boot, counting suspend (CLOCK_BOOTTIME where there is one)."""
    return time.clock_gettime(getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC))


class _Timex(ctypes.Structure):
    # struct timex begins with modes, offset, freq, maxerror, esterror, status; the rest is padding.
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("_rest", ctypes.c_char * 256)]  # fmt: skip


@functools.cache
def _libc() -> ctypes.CDLL:
    # find_library runs ldconfig: once per process, not at every press while unsynced.
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def system_synced() -> bool:
    """Tell whether the system clock is NTP-synchronised (timesyncd flag or the kernel's state)."""
    if TIMESYNC_FLAG.exists():
        return True
    try:
        libc = _libc()
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return False
    return state not in (-1, _TIME_ERROR) and not tx.status & _STA_UNSYNC


class Clock:
    """Stamp presses; report the first synchronised reading of this boot as the anchor."""

    def __init__(
        self,
        tz: tzinfo,
        *,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = since_boot,
        synced: Callable[[], bool] = system_synced,
        boot: str | None = None,
    ):
        self.tz = tz
        self._wall, self._mono, self._synced = wall, mono, synced
        self.boot = boot or boot_id()
        self._anchor: Anchor | None = None

    def stamp(self, age: float = 0.0) -> Stamp:
        """Return the readings for a press that happened age seconds ago."""
        synced = self.is_synced()
        moment = datetime.fromtimestamp(self._wall() - age, self.tz)
        return Stamp(format_ts(moment), synced, self.boot, round(max(self._mono() - age, 0), 3))

    def now(self) -> datetime:
        """Return the local wall-clock time."""
        return datetime.fromtimestamp(self._wall(), self.tz)

    def is_synced(self) -> bool:
        """Tell whether the clock is synchronised, taking the anchor at the first sync."""
        synced = bool(self._synced())
        if synced and self._anchor is None:
            moment = datetime.fromtimestamp(self._wall(), self.tz)
            self._anchor = Anchor(self.boot, round(self._mono(), 3), format_ts(moment))
            log.info("clock synchronised; anchor %s", self._anchor)
        return synced

    @property
    def anchor(self) -> Anchor | None:
        """Return this boot's anchor, once the clock has been seen synchronised."""
        return self._anchor

    @staticmethod
    def pid_boot() -> str:
        """Return a boot id unique to this process, for simulated kiosks."""
        return f"sim-{os.getpid()}-{uuid.uuid4().hex[:8]}"
