"""The kiosk's crash-safe journal of presses: every press is durable before it is shown or sent.

A press is one appended line and one fsync (two when it starts a segment); the seq's guard copy
(meta.json) is written once the press is shown (save_guard). Files: see device.segments. Not
thread-safe: only the kiosk's loop touches it; gpiozero and paho callbacks enqueue events instead.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from hailong.device.archive import Archive
from hailong.device.errors import JournalError
from hailong.device.segments import (
    CorruptFile,
    Segment,
    as_utc,
    fsync_folder,
    is_count,
    load_counters,
    lock_folder,
    remove_temp_files,
    save_counters,
    segment_path,
)
from hailong.protocol import Press

log = logging.getLogger(__name__)

META = "meta.json"
ACK = "ack.json"


class Journal:
    """Append-only, crash-safe store of presses with a delivery watermark; one owner thread."""

    def __init__(self, folder: Path, lock: int, segment_size: int, retention_days: int):
        self._folder, self._lock, self._segment_size = folder, lock, segment_size
        self._retention = timedelta(days=retention_days)
        self._archive = Archive(folder)
        self._active: Segment | None = None  # the segment the next press joins, if not full
        self._closed = False
        meta = load_counters(folder / META, ("seq", "session"))
        self._session, self._guarded = meta["session"], meta["seq"]
        self._acked = load_counters(folder / ACK, ("upto",))["upto"]
        top, newest = self._check_tail()
        self._last_seq = max(meta["seq"], self._acked, top)
        if newest and newest[-1]["seq"] == self._last_seq and len(newest) < segment_size:
            first = newest[0]["seq"]  # keep filling it, unless it is in the old format
            path = self._archive.paths[first]
            self._active = Segment.reopen(path, first) if path.suffix == ".jsonl" else None
        if self._last_seq != meta["seq"]:
            self._save_meta()  # make the recovered counter the durable one at once

    @classmethod
    def open(
        cls, folder: str | os.PathLike, *, segment_size: int = 256, retention_days: int = 400
    ) -> Journal:
        """Open (creating if needed) the journal in folder, recovering from any crash."""
        _check_settings(segment_size, retention_days)
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = lock_folder(folder)
        except BlockingIOError:
            raise JournalError(f"journal in {folder} is already open elsewhere") from None
        except OSError as error:
            raise JournalError(f"cannot open journal in {folder}: {error}") from error
        try:
            remove_temp_files(folder)
            return cls(folder, lock, segment_size, retention_days)
        except OSError as error:
            os.close(lock)
            raise JournalError(f"cannot open journal in {folder}: {error}") from error
        except BaseException:
            os.close(lock)
            raise

    def _check_tail(self) -> tuple[int, list[dict]]:
        """Check the segments holding undelivered presses and the newest; return top seq, newest."""
        top, records = 0, []
        for first in self._archive.firsts_from(self._acked + 1):
            records = self._archive.read(first)
            # A segment file is created by its first press, so even a damaged one proves that seq.
            top = max(top, first, records[-1]["seq"] if records else 0)
        return top, records

    @property
    def last_seq(self) -> int:
        """Return the highest seq ever handed out (0 when empty)."""
        return self._last_seq

    @property
    def acked(self) -> int:
        """Return the delivery watermark: every seq up to it reached the collector."""
        return self._acked

    @property
    def backlog(self) -> int:
        """Return how many presses await delivery."""
        return self._last_seq - self._acked

    @property
    def session(self) -> int:
        """Return the current session counter (0 before the first connect)."""
        return self._session

    def append(self, press: Press) -> Press:
        """Store a press durably; it must carry the next seq (a Press is valid by construction)."""
        self._require_open()
        if not isinstance(press, Press):
            raise JournalError(f"a press must be a Press, not {type(press).__name__}")
        if press.seq != self._last_seq + 1:
            raise JournalError(f"press seq {press.seq} is not the next one, {self._last_seq + 1}")
        self._store(press.to_dict())
        return press

    def add(self, fields: dict) -> dict:
        """Store fields durably as the record with the next seq; return the stored record."""
        self._require_open()
        _check_press(fields)
        record = {**fields, "seq": self._last_seq + 1}
        self._store(record)
        return record

    def _store(self, record: dict) -> None:
        """Write a record with the next seq to its segment, durably; the guard copy waits."""
        seq = record["seq"]
        full = self._active is None or self._active.count >= self._segment_size
        first = seq if full else self._active.first
        try:
            if full:
                self._seal()
                self._active = Segment.start(self._folder, record)
            else:
                self._active.append(record)
        except OSError as error:
            self._resync(first, seq)
            raise JournalError(f"cannot store press {seq}: {error}") from error
        self._took(self._active, seq)

    def save_guard(self) -> None:
        """Write the seq counter's guard copy if presses came since; the loop calls it once shown."""
        # The segments prove every seq; this guards against the newest one's damage. Its rename
        # rides on the folder's next fsync (an ack, a session, a new segment).
        self._require_open()
        if self._guarded != self._last_seq:
            try:
                self._save_meta(sync_folder=False)
            except JournalError as error:
                log.error("%s; the segments still hold it", error)

    def _seal(self) -> None:
        """Stop writing to the active segment, for good."""
        if self._active is not None:
            self._active.close()
            self._active = None

    def _took(self, segment: Segment, seq: int) -> None:  # a press reached segment's file
        self._archive.note(segment.first, segment.path)
        self._last_seq = seq

    def _resync(self, first: int, seq: int) -> None:
        """After a failed write, learn from disk whether the press landed anyway (then count it)."""
        try:
            segment = Segment.reopen(segment_path(self._folder, first), first)
        except (OSError, CorruptFile):
            return  # not there: the seq stays free (an active segment cuts its own torn tail)
        self._seal()
        self._active = segment
        if segment.records()[-1]["seq"] >= seq:
            self._took(segment, seq)

    def pending(self, limit: int | None = None) -> list[dict]:
        """Return undelivered presses, ascending seq, reading only segments that hold some."""
        self._require_open()
        return list(islice(self.since(self._acked + 1), None if limit is None else max(limit, 0)))

    def since(self, seq: int) -> Iterator[dict]:
        """Yield archived and pending presses with seq >= the given one, ascending."""
        self._require_open()
        for first in self._archive.firsts_from(seq):  # a copy: the shelf may change meanwhile
            for record in self.segment(first):
                if record["seq"] >= seq:
                    yield record

    def segment_files(self) -> list[tuple[int, Path]]:
        """Return each segment's first seq and file, ascending; all but the newest are sealed."""
        return [(first, self._archive.paths[first]) for first in self._archive.firsts]

    def remember_newest(self, first: int, moment: datetime) -> None:
        """Take a sealed segment's newest press time from a checked cache, so prune need not read."""
        self._archive.remember_newest(first, as_utc(moment))

    def segment(self, first: int) -> list[dict]:
        """Return one segment's presses, ascending seq; [] once found damaged (moved aside)."""
        self._require_open()
        if self._active is not None and first == self._active.first:
            return self._active.records()  # from memory
        return self._archive.read(first)

    def mark_delivered(self, upto: int) -> bool:
        """Advance the delivery watermark to upto (never backwards); return True if it moved."""
        self._require_open()
        _check_seq(upto, "ack upto")
        if upto > self._last_seq:
            log.warning("collector acknowledged up to %d; last press is %d", upto, self._last_seq)
        watermark = min(upto, self._last_seq)
        if watermark <= self._acked:
            return False
        self._write(ACK, {"upto": watermark}, "delivery watermark")
        self._acked = watermark
        return True

    def skip_to(self, seq: int) -> bool:
        """Never hand out seqs up to seq, which the collector already holds; True if it moved."""
        self._require_open()
        _check_seq(seq, "skip_to seq")
        if seq <= self._last_seq:
            return False
        log.warning("collector holds seqs up to %d, our last is %d: skipping", seq, self._last_seq)
        self._write(META, {"seq": seq, "session": self._session}, "seq counter")
        self._last_seq = self._guarded = seq
        self._seal()  # segments hold consecutive presses: start afresh after the gap
        return True

    def next_session(self) -> int:
        """Count one more connection, durably; return the new session number (1 the first time)."""
        self._require_open()
        self._write(META, {"seq": self._last_seq, "session": self._session + 1}, "session counter")
        self._session, self._guarded = self._session + 1, self._last_seq
        return self._session

    def prune(self, now: datetime) -> int:
        """Remove delivered sealed segments whose newest press is older than the retention."""
        self._require_open()
        return self._archive.prune(self._acked, as_utc(now) - self._retention)

    def close(self) -> None:
        """Release the files and the folder lock; further use raises JournalError."""
        if self._closed:
            return
        self._seal()
        with suppress(JournalError, OSError):
            self.save_guard()
            fsync_folder(self._folder)  # the last guard's rename was left to a later folder fsync
        self._closed = True
        os.close(self._lock)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _require_open(self) -> None:
        if self._closed:
            raise JournalError("journal is closed")

    def _save_meta(self, sync_folder: bool = True) -> None:
        counters = {"seq": self._last_seq, "session": self._session}
        self._write(META, counters, "seq counter", sync_folder)
        self._guarded = self._last_seq

    def _write(self, name: str, counters: dict, what: str, sync_folder: bool = True) -> None:
        try:
            save_counters(self._folder / name, counters, sync_folder=sync_folder)
        except OSError as error:
            raise JournalError(f"cannot store the {what}: {error}") from error


def _check_settings(segment_size: Any, retention_days: Any) -> None:
    """Refuse settings that would make the journal misbehave."""
    if not is_count(segment_size) or segment_size < 1:
        raise JournalError(f"segment_size must be a positive integer, not {segment_size!r}")
    if not is_count(retention_days):
        raise JournalError(f"retention_days must be a non-negative integer, not {retention_days!r}")


def _check_seq(value: Any, what: str) -> None:  # a seq or watermark from the network
    if not isinstance(value, int) or isinstance(value, bool):
        raise JournalError(f"{what} must be an integer, not {value!r}")


def _check_press(fields: Any) -> None:
    """Refuse anything that is not a JSON-serialisable dict."""
    if not isinstance(fields, dict):
        raise JournalError(f"a press must be a dict, not {type(fields).__name__}")
    try:
        json.dumps(fields, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise JournalError(f"press is not JSON-serialisable: {error}") from error
