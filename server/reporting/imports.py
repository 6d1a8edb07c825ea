"""The province's imported exports: idempotent, and a replacement is a record, never silent.

Importing a file verifies it (exchange.read_export) and files it under its office and period.
The same file again is "already imported" and changes nothing. A different export of the same
office and period is refused unless it is newer and the import says --replace; then the old
file is kept beside the new one and the replacement is logged. Published figures are records.

The storage sits behind ImportStore. FolderStore keeps the files in a folder:
  <folder>/<period>-<convention>/<office>.json                   the export in force
  <folder>/<period>-<convention>/<office>.replaced-<sha12>.json  every export it replaced
  <folder>/imports.jsonl                               one line per import that changed anything
A database table takes its place once the office model lands (it will hold the same columns).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from hailong.protocol.files import fsync_folder, write_atomic
from hailong.server.reporting.exchange import ExchangeError, Export, read_export
from hailong.server.reporting.periods import Period

IMPORTED, ALREADY, REPLACED = "imported", "already imported", "replaced"
LOG = "imports.jsonl"


@dataclass(frozen=True)
class Imported:
    """What an import did: imported, already imported, or replaced (with the old file's digest)."""

    outcome: str
    export: Export
    replaced_sha256: str | None = None


class ImportStore(Protocol):
    """Where the province keeps imported exports (a folder now, a table with the office model)."""

    def current(self, office: str, period: Period, keys: Mapping[str, bytes]) -> Export | None:
        """Return the export in force for an office and period, verified again."""

    def put(self, export: Export, raw: bytes, replacing: Export | None, now: datetime) -> None:
        """Keep an export as the one in force, keeping and logging any it replaces."""

    def exports(self, period: Period, keys: Mapping[str, bytes]) -> list[Export]:
        """Return every export in force for a period, verified again."""


def import_file(store: ImportStore, raw: bytes, keys: Mapping[str, bytes], *,
                replace: bool = False, now: datetime | None = None) -> Imported:  # fmt: skip
    """Verify an exported file and keep it; refuse an altered one or an unasked replacement."""
    export = read_export(raw, keys)
    office, period = export.figures.code, export.period.label
    held = store.current(office, export.period, keys)
    if held is not None and held.sha256 == export.sha256:
        return Imported(ALREADY, export)
    if held is not None:
        if export.generated <= held.generated:
            raise ExchangeError(
                "Đơn vị {office}, kỳ {period}: đã nhập một tệp xuất lúc {held}, mới hơn hoặc cùng "
                "lúc với tệp này ({this}); không thay.",
                office=office,
                period=period,
                held=_when(held),
                this=_when(export),
            )
        if not replace:
            raise ExchangeError(
                "Đơn vị {office}, kỳ {period}: đã nhập tệp xuất lúc {held}; tệp này xuất lúc {this}. "
                "Số liệu đã nhập là hồ sơ: chỉ thay khi chạy lại với --replace.",
                office=office,
                period=period,
                held=_when(held),
                this=_when(export),
            )
    store.put(export, raw, held, now or datetime.now(UTC))
    if held is None:
        return Imported(IMPORTED, export)
    return Imported(REPLACED, export, held.sha256)


class FolderStore:
    """Imported exports as files in one folder (see the module's layout)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def current(self, office: str, period: Period, keys: Mapping[str, bytes]) -> Export | None:
        """Return the export in force, read and verified from its file."""
        path = self._path(office, period)
        return _read(path, keys) if path.exists() else None

    def put(self, export: Export, raw: bytes, replacing: Export | None, now: datetime) -> None:
        """Keep the old file under its digest, then put the new one in force, then log."""
        office, period = export.figures.code, export.period.label
        path = self._path(office, export.period)
        if replacing is not None:
            kept = path.with_name(f"{office}.replaced-{replacing.sha256[:12]}.json")
            write_atomic(kept, path.read_bytes())
        write_atomic(path, raw)
        line = {"at": now.astimezone(UTC).isoformat(timespec="seconds"), "office": office,
                "period": period, "outcome": REPLACED if replacing else IMPORTED,
                "sha256": export.sha256,
                "replaced_sha256": replacing.sha256 if replacing else None}  # fmt: skip
        with open(self.folder / LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            log.flush()
            os.fsync(log.fileno())
        fsync_folder(self.folder)

    def exports(self, period: Period, keys: Mapping[str, bytes]) -> list[Export]:
        """Return every export in force for a period (an altered stored file is refused)."""
        folder = self.folder / _period_dir(period)
        paths = sorted(p for p in folder.glob("*.json") if ".replaced-" not in p.name)
        return [_read(path, keys) for path in paths]

    def _path(self, office: str, period: Period) -> Path:
        """Return where the export in force for an office and period lives."""
        return self.folder / _period_dir(period) / f"{office}.json"


def _read(path: Path, keys: Mapping[str, bytes]) -> Export:
    """Read a stored export again, and refuse one filed under another office or period."""
    export = read_export(path.read_bytes(), keys)
    if (export.figures.code, _period_dir(export.period)) != (path.stem, path.parent.name):
        raise ExchangeError("{path}: tệp không thuộc đơn vị và kỳ của chỗ nó được cất", path=path)
    return export


def _period_dir(period: Period) -> str:
    """Name a period's folder: its label (a custom range's ".." spelled out) and convention."""
    return f"{period.label.replace('..', '_to_')}-{period.convention}"


def _when(export: Export) -> str:
    """Write when an export was made, in UTC."""
    return export.generated.strftime("%d/%m/%Y %H:%M:%S UTC")
