"""The journal's files: press segments (one JSON line per press, appended), small state files.

The journal folder holds:
  segment-<first seq>.jsonl  at most `segment_size` presses, one JSON line each in seq order; only
                             the newest grows, by one appended line and one fsync of that file per
                             press, so a press costs the same with 100 or 100,000 in history. A
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

from hailong.protocol.files import TEMP_SUFFIX, fsync_folder, write_atomic

log = logging.getLogger(__name__)

TABLE = "presses"  # the old format's TinyDB table
SEGMENT_NAME = re.compile(r"^segment-(\d{12})\.jsonl?$")
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


def read_lines(path: Path, first: int) -> tuple[list[dict], int]:
    """Read a line segment: its presses and the length of their lines (a torn line is noted)."""
    raw = path.read_bytes()
    records, size = parse_lines(raw, first)
    if size < len(raw):
        log.warning("journal segment %s ends in a torn line (a write cut short): left out after "
                    "seq %d", path.name, records[-1]["seq"])  # fmt: skip
    return records, size


def parse_lines(raw: bytes, first: int) -> tuple[list[dict], int]:
    """Return a line segment's presses and the length of their lines; leave a torn last line out."""
    whole = raw[: raw.rfind(b"\n") + 1]
    try:  # one parse for the whole file (a line never holds a raw newline): twice as fast
        records = json.loads(b"[" + whole[:-1].replace(b"\n", b",") + b"]")
    except ValueError:
        records = None
    if records and all(
        type(r) is dict and r.get("seq") == first + n for n, r in enumerate(records)
    ):
        return records, len(whole)
    return parse_line_by_line(raw, first)


def parse_line_by_line(raw: bytes, first: int) -> tuple[list[dict], int]:
    """Parse a segment line by line, telling a torn last line from damage."""
    lines = raw.split(b"\n")  # the part after the last newline is b"" unless an append was cut
    records: list[dict] = []
    for n, line in enumerate(lines[:-1]):
        try:
            record = json.loads(line)
        except ValueError:
            if n == len(lines) - 2 and lines[-1] == b"" and records:
                break  # the last line's newline landed, its bytes did not: a cut append too
            raise CorruptFile(f"line {n + 1} is not JSON") from None
        if not isinstance(record, dict) or record.get("seq") != first + n:
            raise CorruptFile(f"line {n + 1} is not the press with seq {first + n}")
        records.append(record)
    if not records:  # a segment is created with its first press whole
        raise CorruptFile("no whole press")
    return records, sum(len(line) + 1 for line in lines[: len(records)])


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


def lines_of(records: list[dict]) -> bytes:
    """Return records as a line segment's bytes."""
    return b"".join(encode(record) + b"\n" for record in records)


class Segment:
    """The growing segment: presses appended as lines, each fsync'd before append returns."""

    def __init__(self, path: Path, records: list[dict], size: int):
        self.path, self.first = path, records[0]["seq"]
        self._records, self._size = records, size  # what the file holds, up to its whole lines
        self._fd: int | None = None

    @classmethod
    def start(cls, folder: Path, record: dict) -> Segment:
        """Create a segment holding record, whole, before returning (two fsyncs)."""
        data = lines_of([record])
        path = write_atomic(segment_path(folder, record["seq"]), data, mode=FILE_MODE)
        return cls(path, [dict(record)], len(data))

    @classmethod
    def reopen(cls, path: Path, first: int) -> Segment:
        """Take up a line segment again; raise CorruptFile if damaged, OSError if unreadable."""
        return cls(path, *read_lines(path, first))

    @property
    def count(self) -> int:
        """Return how many presses the segment holds."""
        return len(self._records)

    def records(self) -> list[dict]:
        """Return this segment's presses, ascending seq (copies, from memory)."""
        return [dict(record) for record in self._records]

    def append(self, record: dict) -> None:
        """Store one press durably: one line written after the last whole one, then fsync."""
        line = encode(record) + b"\n"
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY)
        if os.fstat(self._fd).st_size != self._size:
            os.ftruncate(self._fd, self._size)  # a torn line from a cut or a failed write
        written = 0
        while written < len(line):
            written += os.pwrite(self._fd, line[written:], self._size + written)
        os.fsync(self._fd)
        self._records.append(dict(record))
        self._size += len(line)

    def close(self) -> None:
        """Release the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def store_sealed(folder: Path, records: list[dict]) -> None:
    """Write a whole sealed segment in one atomic write (for importing history and benchmarks)."""
    write_atomic(segment_path(folder, records[0]["seq"]), lines_of(records), mode=FILE_MODE)
