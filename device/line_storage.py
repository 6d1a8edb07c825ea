"""A TinyDB Storage keeping one table as JSON lines, where adding documents is one append + fsync.

`TinyDB(path, storage=JSONLinesStorage)` holds its default table in a file of one compact JSON
document per line, each carrying its own id (the `seq` field), ids consecutive from the first
line's. TinyDB hands a storage the whole database on every change; this one compares it with what
it last wrote: documents added after the last id are appended as lines and the file fsync'd (a new
file is written whole: temp file, fsync, rename, folder fsync); any other change (an edited or
removed document) rewrites the file atomically the same way. A torn last line (a cut append, never
acknowledged) is left out when read and cut off before the next append. One owner, one thread.
"""

from __future__ import annotations

import json
import logging
import os
from copy import deepcopy
from itertools import islice
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from hailong.protocol.files import write_atomic

log = logging.getLogger(__name__)

ID = "seq"  # the field of each line that holds its document's id
DEFAULT_TABLE = "_default"  # TinyDB's; the only table a line file holds
FILE_MODE = 0o600  # the kiosk's records are for its own service user only


class CorruptFile(ValueError):
    """Raise when a journal file exists but does not hold what the journal wrote."""


def encode(data: Any) -> bytes:
    """Serialise data as compact UTF-8 JSON; NaN and non-JSON types raise."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def lines_of(records: list[dict]) -> bytes:
    """Return records as a line file's bytes."""
    return b"".join(encode(record) + b"\n" for record in records)


def read_lines(path: Path, first: int | None) -> tuple[list[dict], bytes]:
    """Read a line file: its documents and their whole lines (a torn last line is noted)."""
    raw = path.read_bytes()
    records, size = parse_lines(raw, first)
    if size < len(raw):
        log.warning("journal segment %s ends in a torn line (a write cut short): left out after "
                    "seq %d", path.name, records[-1][ID])  # fmt: skip
    return records, raw[:size]


def parse_lines(raw: bytes, first: int | None) -> tuple[list[dict], int]:
    """Return a line file's documents and the length of their lines; leave a torn last line out."""
    whole = raw[: raw.rfind(b"\n") + 1]
    try:  # one parse for the whole file (a line never holds a raw newline): twice as fast
        records = json.loads(b"[" + whole[:-1].replace(b"\n", b",") + b"]")
    except ValueError:
        records = None
    if records and type(records[0]) is dict:
        start = records[0].get(ID) if first is None else first
        if type(start) is int and all(
            type(r) is dict and r.get(ID) == start + n for n, r in enumerate(records)
        ):
            return records, len(whole)
    return parse_line_by_line(raw, first)


def parse_line_by_line(raw: bytes, first: int | None) -> tuple[list[dict], int]:
    """Parse a line file line by line, telling a torn last line from damage."""
    lines = raw.split(b"\n")  # the part after the last newline is b"" unless an append was cut
    records: list[dict] = []
    for n, line in enumerate(lines[:-1]):
        try:
            record = json.loads(line)
        except ValueError:
            if n == len(lines) - 2 and lines[-1] == b"" and records:
                break  # the last line's newline landed, its bytes did not: a cut append too
            raise CorruptFile(f"line {n + 1} is not JSON") from None
        if first is None and n == 0 and isinstance(record, dict):
            first = record.get(ID)
        if not isinstance(record, dict) or type(first) is not int or record.get(ID) != first + n:
            raise CorruptFile(f"line {n + 1} is not the document with {ID} {first}+{n}")
        records.append(record)
    if not records:  # a file is created with its first document whole
        raise CorruptFile("no whole document")
    return records, sum(len(line) + 1 for line in lines[: len(records)])


class JSONLinesStorage(Storage):
    """Keep TinyDB's default table as JSON lines: appended documents cost one write and one fsync."""

    def __init__(self, path: str | os.PathLike, *, first: int | None = None, **_: Any):
        self.path, self._first = Path(path), first  # first: the id the file must start with
        self._docs: dict[str, dict] | None = None  # what the file holds, private: never handed out
        self._nested: set[str] = set()  # ids of documents holding a list or dict (copied deeply)
        self._size = 0  # the length of the file's whole lines: the next append goes there
        self._exists = False

    def load(self) -> None:
        """Read the file (if any) into memory; raise CorruptFile if damaged, OSError if unreadable."""
        try:
            records, raw = read_lines(self.path, self._first)
        except FileNotFoundError:
            records, raw, self._exists = [], b"", False
        else:
            self._exists = True
        self._docs, self._nested, self._size = {}, set(), 0
        self._took(raw, records)

    def __len__(self) -> int:
        """Return how many documents the file holds."""
        if self._docs is None:
            self.load()
        return len(self._docs)

    def read(self) -> dict | None:
        """Return the database as TinyDB expects it: copies, so that TinyDB's edits show in write."""
        if self._docs is None:
            self.load()
        if not self._docs:
            return None
        nested = self._nested  # most presses are flat: a shallow copy is a whole copy
        return {DEFAULT_TABLE: {key: deepcopy(doc) if key in nested else dict(doc)
                                for key, doc in self._docs.items()}}  # fmt: skip

    def write(self, data: dict) -> None:
        """Store data durably: append added documents if that is the only change, else rewrite."""
        if self._docs is None:
            self.load()
        table = table_of(data)
        old, count = self._docs, len(self._docs)
        kept = self._exists and list(islice(table, count)) == list(old)
        kept = kept and all(table[key] == doc for key, doc in old.items())  # ≤ 256: cheap enough
        if kept and len(table) == count:
            return  # nothing changed
        if kept:
            added = list(islice(table.items(), count, None))
            check_ids(added, next(reversed(old.values()))[ID] + 1 if old else self._start(table))
            self._append([doc for _, doc in added])
        else:
            check_ids(list(table.items()), self._start(table))
            self._rewrite(list(table.values()))

    def close(self) -> None:
        """Release the file (nothing is held between writes)."""

    def _start(self, table: dict) -> Any:
        """Return the id the file must start with: its owner's, the file's, or the first new one."""
        if self._first is not None:
            return self._first
        return next(iter(self._docs.values()) if self._docs else iter(table.values()))[ID]

    def _append(self, docs: list[dict]) -> None:
        """Append docs as lines after the last whole one, then fsync."""
        data = lines_of(docs)
        # Opened for each append, never held: a journal left unclosed must not keep a descriptor.
        fd = os.open(self.path, os.O_WRONLY)
        try:
            size = self._size
            if os.fstat(fd).st_size != size:
                os.ftruncate(fd, size)  # a torn line from a cut or a failed write
            written = 0
            while written < len(data):
                written += os.pwrite(fd, data[written:], size + written)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._took(data)

    def _rewrite(self, docs: list[dict]) -> None:
        """Replace the file whole, atomically (temp file, fsync, rename, folder fsync)."""
        data = lines_of(docs)
        write_atomic(self.path, data, mode=FILE_MODE)
        self._exists, self._docs, self._nested, self._size = True, {}, set(), 0
        self._took(data)

    def _took(self, added: bytes, records: list[dict] | None = None) -> None:
        """Note that the file grew by added (parsed anew unless given: nothing is shared)."""
        if records is None:
            records = json.loads(b"[" + added[:-1].replace(b"\n", b",") + b"]")
        for record in records:
            key = str(record[ID])
            self._docs[key] = record
            if any(isinstance(value, (list, dict)) for value in record.values()):
                self._nested.add(key)
        self._size += len(added)


def table_of(data: dict) -> dict[str, dict]:
    """Return the default table of TinyDB's data; refuse what a line file cannot hold."""
    if any(docs for name, docs in data.items() if name != DEFAULT_TABLE):
        raise ValueError(f"a line file holds only TinyDB's {DEFAULT_TABLE!r} table")
    table = data.get(DEFAULT_TABLE)
    if not table:  # the file's name may be the proof that its first id was used: keep it
        raise ValueError("a line file holds at least one document")
    return table


def check_ids(items: list[tuple[str, dict]], start: Any) -> None:
    """Refuse documents that do not carry consecutive ids from start, each under its own id."""
    for n, (key, doc) in enumerate(items):
        if type(doc.get(ID)) is not int or doc[ID] != start + n or key != str(start + n):
            raise ValueError(f"document {key} must carry {ID} {start + n}, not {doc.get(ID)!r} "
                             "(a line file's ids are consecutive)")  # fmt: skip
