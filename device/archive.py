"""The journal's sealed segments as a shelf: which exist, which holds a seq, reading and expiring them.

Sealed segments never change, so the shelf reads each file only when asked and remembers the one
figure retention needs (its newest press time), which the kiosk can also hand it from the state
folder's segment cache (device.dossiers) so that the daily prune reads nothing. A damaged file is
moved aside at discovery and forgotten, so that the journal goes on with what is left. Owned by
the journal: one thread.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from hailong.device.errors import JournalError
from hailong.device.segments import (
    CorruptFile,
    fsync_folder,
    list_segments,
    move_aside,
    newest_press_time,
    read_segment,
)

log = logging.getLogger(__name__)


class Archive:
    """Know the journal's segment files by their first seq, ascending."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths = list_segments(folder)
        self.firsts = list(self.paths)
        self._newest_ts: dict[int, datetime] = {}

    def index_of(self, seq: int) -> int:
        """Return the index of the segment that would hold seq."""
        return max(0, bisect_right(self.firsts, seq) - 1)

    def firsts_from(self, seq: int) -> list[int]:
        """Return the first seqs of the segments from the one holding seq on (a copy)."""
        return self.firsts[self.index_of(seq) :]

    def note(self, first: int, path: Path) -> None:
        """Take a segment whose file the journal has just begun."""
        if not self.firsts or self.firsts[-1] != first:
            self.firsts.append(first)
            self.paths[first] = path

    def read(self, first: int) -> list[dict]:
        """Read a segment from disk; move it aside and forget it if damaged."""
        path = self.paths[first]
        try:
            return read_segment(path, first)
        except CorruptFile as damage:
            move_aside(path, str(damage))
        except FileNotFoundError:
            log.error("journal segment %s vanished", path.name)
        except OSError as failure:
            raise JournalError(f"cannot read journal segment {path.name}: {failure}") from failure
        self._forget(first)
        return []

    def remember_newest(self, first: int, moment: datetime) -> None:
        """Take a sealed segment's newest press time from a cache that checked the file."""
        if first in self.paths:
            self._newest_ts[first] = moment

    def expired(self, acked: int, cutoff: datetime) -> list[int]:
        """Return the delivered segments whose newest press is older than cutoff, newest excepted."""
        # The newest segment always stays: it is the best witness of the last seq.
        delivered = [first for first, after in pairwise(self.firsts) if after - 1 <= acked]
        return [first for first in delivered if self._newest(first) < cutoff]

    def prune(self, acked: int, cutoff: datetime) -> int:
        """Remove the delivered segments whose newest press is older than cutoff; return how many."""
        expired = self.expired(acked, cutoff)
        for first in expired:
            self.remove(first)
        if expired:
            fsync_folder(self.folder)
        return len(expired)

    def remove(self, first: int) -> None:
        """Delete a segment's file (the caller fsyncs the folder) and forget it."""
        path = self.paths[first]
        path.unlink(missing_ok=True)
        self._forget(first)
        log.info("pruned journal segment %s", path.name)

    def _forget(self, first: int) -> None:
        if first in self.paths:
            self.firsts.remove(first)
            del self.paths[first]
        self._newest_ts.pop(first, None)

    def _newest(self, first: int) -> datetime:
        """Return the newest press time of a sealed segment (the far future if it is damaged)."""
        if first not in self._newest_ts:
            path = self.paths[first]
            records = self.read(first)
            if not records:  # damaged, and now moved aside: nothing left to prune
                return datetime.max.replace(tzinfo=UTC)
            self._newest_ts[first] = newest_press_time(records, path)
        return self._newest_ts[first]
