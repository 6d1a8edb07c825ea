"""Crash-safe files under the journal: an atomic TinyDB storage, small state files, press segments.

Every file is replaced whole by hailong.protocol.files.write_atomic (temp file in the same folder,
fsync, os.replace, fsync the folder), so after a power cut a file holds its old or its new content.
The journal folder holds:
  segment-<first seq>.json  TinyDB files of at most `segment_size` presses; only the newest grows,
                            so a write costs the same with 100 or 100,000 presses in history
  meta.json                 the seq and session counters, rewritten after every press
  ack.json                  the delivery watermark: every seq <= upto reached the collector
  lock                      flock'd while open, so two processes never hand out the same seq
  *.corrupt-<time>          damaged files moved aside at discovery, kept for a technician
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
from tinydb.storages import Storage
from tinydb.table import Document

from hailong.protocol.files import TEMP_SUFFIX, fsync_folder, write_atomic

log = logging.getLogger(__name__)

TABLE = "presses"
SEGMENT_NAME = re.compile(r"^segment-(\d{12})\.json$")
LOCK = "lock"
FILE_MODE = 0o600  # the kiosk's records are for its own service user only


class CorruptFile(ValueError):
    """Raise when a journal file exists but does not hold what the journal wrote."""


def encode(data: Any) -> bytes:
    """Serialise data as compact UTF-8 JSON; NaN and non-JSON types raise."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


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


class AtomicJSONStorage(Storage):
    """Keep a TinyDB database in one JSON file that every write replaces atomically."""

    def __init__(self, path: str | os.PathLike, create_dirs: bool = False, **_: Any):
        self._path = Path(path)
        if create_dirs:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        self._cached: dict | None = None  # one owner: our last write is the file's content

    def read(self) -> dict | None:
        """Return the database, parsing the file only when nothing is cached."""
        if self._cached is None:
            self._cached = read_json(self._path)
        return self._cached

    def write(self, data: dict) -> None:
        """Store data durably before returning."""
        self._cached = None  # TinyDB edited the cached dict in place: trust it only once it landed
        write_atomic(self._path, encode(data), mode=FILE_MODE)
        self._cached = data


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
    """Name the segment whose first press has seq first; names sort in seq order."""
    return folder / f"segment-{first:012d}.json"


def list_segments(folder: Path) -> list[int]:
    """Return the first seq of every segment file in folder, ascending."""
    found = (SEGMENT_NAME.match(path.name) for path in folder.iterdir())
    return sorted(int(match.group(1)) for match in found if match)


def check_segment(data: Any, first: int) -> list[dict]:
    """Return a segment's presses as new dicts, ascending seq; raise CorruptFile on any mismatch."""
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


def read_segment(folder: Path, first: int) -> list[dict]:
    """Read a sealed segment without keeping it in memory."""
    return check_segment(read_json(segment_path(folder, first)), first)


class Segment:
    """The growing segment: a TinyDB file of consecutive presses, rewritten whole on each add."""

    def __init__(self, folder: Path, first: int, count: int = 0):
        self.first = first
        self.count = count  # presses in the file
        self.path = segment_path(folder, first)
        self._db = TinyDB(self.path, storage=AtomicJSONStorage)

    def records(self) -> list[dict]:
        """Return this segment's presses, ascending seq (from memory once written)."""
        data = self._db.storage.read()
        return [] if data is None else check_segment(data, self.first)

    def append(self, record: dict) -> None:
        """Store one press durably; the seq is its TinyDB document id."""
        self._db.table(TABLE).insert(Document(record, doc_id=record["seq"]))
        self.count += 1

    def close(self) -> None:
        """Release the TinyDB handle."""
        self._db.close()


def store_sealed(folder: Path, records: list[dict]) -> None:
    """Write a whole sealed segment in one atomic write (for importing history and benchmarks)."""
    first = records[0]["seq"]
    storage = AtomicJSONStorage(segment_path(folder, first))
    storage.write({TABLE: {str(record["seq"]): record for record in records}})
