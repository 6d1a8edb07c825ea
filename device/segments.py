"""The journal's files: press segments (one JSON line per press, appended), small state files.

The journal folder holds:
  segment-<first seq>.jsonl  at most `segment_size` presses, one JSON line each in seq order: a
                             TinyDB database kept by device.line_storage.JSONLinesStorage (the
                             document id is the seq). Only the newest grows, by one appended line
                             and one fsync of that file per press (TinyDB's insert), so a press
                             costs the same with 100 or 100,000 in history; sealed ones are read
                             by the storage's parser alone, without a TinyDB around it. A
                             segment is created whole with its first press (temp file, fsync,
                             rename, folder fsync), so its name alone proves that seq was used. A
                             power cut during an append leaves at most a torn last line, which was
                             never acknowledged: it is left out when read and cut off before the next
                             append
  segment-<first seq>.json   the format before 2026-12 (a TinyDB file rewritten whole per press):
                             read as it is, never written again; an upgraded kiosk's next press
                             starts a line segment
  meta.json                  the seq and session counters; the seq is a guard copy (the segments
                             prove it), written after the press is shown (Journal.save_guard)
  ack.json                   the delivery watermark: every seq <= upto reached the collector
  lock                       flock'd while open, so two processes never hand out the same seq
  *.corrupt-<time>           damaged files moved aside at discovery, kept for a technician
Small state files are replaced whole by hailong.protocol.files.write_atomic, so after a power cut
each holds its old or its new content.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from hailong.device.line_storage import (
    FILE_MODE,
    CorruptFile,
    JSONLinesStorage,
    encode,
    lines_of,
    read_lines,
)
from hailong.protocol.files import TEMP_SUFFIX, fsync_folder, write_atomic

log = logging.getLogger(__name__)

TABLE = "presses"  # the old format's TinyDB table
SEGMENT_NAME = re.compile(r"^segment-(\d{12})\.jsonl?$")
LOCK = "lock"
__all__ = ["FILE_MODE", "CorruptFile", "encode", "fsync_folder"]  # re-exported for the journal


def read_json(path: Path) -> Any:
    """Return the parsed content of path (None if absent); raise CorruptFile if unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return json.loads(raw)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
        # An atomic writer never leaves an empty or cut file: media damage or a foreign hand did.
        raise CorruptFile(f"{'empty file' if not raw else 'invalid JSON'}: {error}") from error


def move_aside(path: Path, reason: str) -> Path:
    """Rename a damaged file out of the journal's way, keeping it for a technician."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, target)
    fsync_folder(path.parent)
    log.error("journal file %s is damaged (%s): moved aside to %s", path, reason, target.name)
    return target


def lock_folder(folder: Path) -> int:
    """Lock folder for this process; BlockingIOError if another process holds it."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the kernel even on SIGKILL
    except OSError:
        os.close(fd)
        raise
    return fd


def remove_temp_files(folder: Path) -> None:
    """Delete temp files left by writes that a crash interrupted before their rename."""
    for temp in folder.glob(f".*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)


def load_counters(path: Path, names: tuple[str, ...]) -> dict[str, int]:
    """Read a small state file of counters; zeros if absent, or if damaged (then moved aside)."""
    try:
        data = read_json(path)
        if data is None:
            return dict.fromkeys(names, 0)
        if not isinstance(data, dict) or not all(is_count(data.get(name)) for name in names):
            raise CorruptFile(f"expected non-negative integers {', '.join(names)}")
        return {name: data[name] for name in names}
    except CorruptFile as error:
        move_aside(path, str(error))
        return dict.fromkeys(names, 0)


def save_counters(path: Path, counters: dict[str, int], *, sync_folder: bool = True) -> None:
    """Write a small state file of counters atomically."""
    write_atomic(path, encode({"v": 1, **counters}), mode=FILE_MODE, sync_folder=sync_folder)


def is_count(value: Any) -> bool:
    """Tell whether value is a non-negative int (bool excluded)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def segment_path(folder: Path, first: int) -> Path:
    """Name the line segment whose first press has seq first; names sort in seq order."""
    return folder / f"segment-{first:012d}.jsonl"


def list_segments(folder: Path) -> dict[int, Path]:
    """Return every segment file in folder by its first seq, ascending."""
    found = sorted(
        (int(m.group(1)), m.string) for m in map(SEGMENT_NAME.match, os.listdir(folder)) if m
    )
    return {first: folder / name for first, name in found}


def read_segment(path: Path, first: int) -> list[dict]:
    """Read a segment of either format; raise CorruptFile if it is damaged."""
    if path.suffix == ".jsonl":
        return read_lines(path, first)[0]
    return check_tinydb(read_json(path), first)


def check_tinydb(data: Any, first: int) -> list[dict]:
    """Return an old-format segment's presses, ascending seq; raise CorruptFile on any mismatch."""
    if not isinstance(data, dict) or not isinstance(data.get(TABLE), dict):
        raise CorruptFile(f"no {TABLE!r} table")
    records = []
    for key, record in data[TABLE].items():
        if not isinstance(record, dict) or str(record.get("seq")) != key:
            raise CorruptFile(f"record {key!r} does not carry its own seq")
        if not is_count(record["seq"]) or record["seq"] < first:
            raise CorruptFile(f"seq {record['seq']!r} does not belong in a segment from {first}")
        records.append(dict(record))
    return sorted(records, key=lambda record: record["seq"])


def newest_press_time(records: list[dict], path: Path) -> datetime:
    """Return the newest press time in records, or the file's mtime if none has a usable ts."""
    times = [press_time(record.get("ts")) for record in records]
    known = [moment for moment in times if moment is not None]
    return max(known) if known else datetime.fromtimestamp(path.stat().st_mtime, UTC)


def press_time(value: Any) -> datetime | None:
    """Parse an RFC 3339 press time; None when absent or malformed."""
    try:
        return as_utc(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return None


def as_utc(moment: datetime) -> datetime:
    """Treat a naive time as UTC so that any two times compare."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Segment:
    """The growing segment: a TinyDB whose JSONLinesStorage appends each press as a fsync'd line."""

    def __init__(self, path: Path, first: int):
        self.path, self.first = path, first
        self._db = TinyDB(path, storage=JSONLinesStorage, first=first)

    @classmethod
    def start(cls, folder: Path, record: dict) -> Segment:
        """Create a segment holding record, whole, before returning (two fsyncs)."""
        segment = cls(segment_path(folder, record["seq"]), record["seq"])
        try:
            segment.append(record)
        except BaseException:
            segment.close()
            raise
        return segment

    @classmethod
    def reopen(cls, path: Path, first: int) -> Segment:
        """Take up a line segment again; raise CorruptFile if damaged, OSError if unreadable."""
        segment = cls(path, first)
        segment._db.storage.load()
        if not len(segment._db.storage):
            raise FileNotFoundError(path)  # gone since it was listed
        return segment

    @property
    def count(self) -> int:
        """Return how many presses the segment holds."""
        return len(self._db.storage)  # kept in memory by the storage: no parse

    def records(self) -> list[dict]:
        """Return this segment's presses, ascending seq (new dicts, parsed from memory)."""
        return [dict(document) for document in self._db.all()]

    def append(self, record: dict) -> None:
        """Store one press durably (one line and one fsync; a new file: whole, then its folder)."""
        self._db.insert(Document(record, doc_id=record["seq"]))

    def close(self) -> None:
        """Release the file."""
        self._db.close()


def store_sealed(folder: Path, records: list[dict]) -> None:
    """Write a whole sealed segment in one atomic write (for importing history and benchmarks)."""
    write_atomic(segment_path(folder, records[0]["seq"]), lines_of(records), mode=FILE_MODE)
