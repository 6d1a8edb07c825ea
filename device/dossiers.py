"""What the kiosk learns from its sealed segments at start, through a cache: dossier codes, ages.

At most one rating per dossier, ever: the kiosk learns the codes from its journal when it starts.
Reading every segment cost 0.29 s with 100,000 presses on the development machine, over 2 s at a
Pi's eighth of a core and most of the start (bench/bench_kiosk.py). Sealed segments never change,
so each one's codes and newest press time are kept in the state folder's dossiers.json, keyed by
the segment's first seq and checked against its file's size and modification time; only the newest
segment and those the cache does not know are read. The newest press times go to the journal, so
that its daily prune reads no segment either. The cache is never the only copy of anything: a
missing, damaged or stale one is rebuilt from the segments.
"""

from __future__ import annotations

import logging
from datetime import UTC
from pathlib import Path
from typing import Any

from hailong.device.journal import Journal
from hailong.device.segments import CorruptFile, encode, newest_press_time, press_time, read_json
from hailong.protocol.files import write_atomic

log = logging.getLogger(__name__)

CACHE_NAME = "dossiers.json"


def used_dossiers(journal: Journal, cache: Path | None = None) -> set[str]:
    """Return the dossier codes rated live in the journal; tell it each sealed segment's age."""
    known = load_cache(cache) if cache is not None else {}
    files = journal.segment_files()
    fresh: dict[str, dict] = {}
    used: set[str] = set()
    for n, (first, path) in enumerate(files):
        sealed, key, stamp = n < len(files) - 1, str(first), file_stamp(path)
        entry = known.get(key)
        if not (sealed and stamp is not None and entry is not None and entry["stamp"] == stamp):
            records = journal.segment(first)  # a damaged one is moved aside: forgotten
            entry = {"stamp": stamp, "codes": live_codes(records), "newest": None}
            if records and sealed and stamp is not None:
                entry["newest"] = newest_press_time(records, path).astimezone(UTC).isoformat()
        if sealed and entry["newest"] is not None:
            fresh[key] = entry
            journal.remember_newest(first, press_time(entry["newest"]))
        used.update(entry["codes"])
    if cache is not None and fresh != known:
        save_cache(cache, fresh)
    return used


def live_codes(records: list[dict]) -> list[str]:
    """Return the dossier codes of the live presses among records."""
    return [r["dossier"] for r in records if r.get("dossier") and r.get("mode") == "live"]


def file_stamp(path: Path) -> list[int] | None:
    """Return a file's size and modification time in nanoseconds, or None if it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def load_cache(path: Path) -> dict[str, dict]:
    """Return the cache's well-formed entries; none when it is absent or damaged."""
    try:
        data = read_json(path)
    except (CorruptFile, OSError) as error:
        log.warning("dossier cache %s unreadable, rebuilding it: %s", path, error)
        return {}
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, dict):
        return {}
    return {key: entry for key, entry in segments.items() if well_formed(entry)}


def well_formed(entry: Any) -> bool:
    """Tell whether a cache entry holds a stamp of two integers, a list of codes and a time."""
    if not isinstance(entry, dict) or not isinstance(entry.get("codes"), list):
        return False
    stamp = entry.get("stamp")
    return (
        isinstance(stamp, list) and len(stamp) == 2 and all(type(v) is int for v in stamp)
        and all(isinstance(code, str) for code in entry["codes"])
        and press_time(entry.get("newest")) is not None  # an entry from before 2026-12 lacks it
    )  # fmt: skip


def save_cache(path: Path, segments: dict[str, dict]) -> None:
    """Replace the cache; a failure only costs the next start a longer read."""
    try:
        write_atomic(path, encode({"v": 1, "segments": segments}), mode=0o600)
    except OSError as error:
        log.warning("cannot write the dossier cache %s: %s", path, error)
