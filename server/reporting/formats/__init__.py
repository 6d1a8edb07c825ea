"""The report in its three formats: XLSX for staff, PDF for posting and sending, CSV for machines.

Each format is a thin adapter over the same tables (tables.py) and frame (frame.py); each
renders to bytes, and the same ReportData always renders to the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from hailong.server.reporting.data import ReportData

FORMATS = ("xlsx", "pdf", "csv")


def render(data: ReportData, fmt: str) -> bytes:
    """Return the report in one format ("xlsx", "pdf" or "csv")."""
    return _renderer(fmt)(data)


def write_report(data: ReportData, fmt: str, path: str | os.PathLike) -> Path:
    """Write the report to `path` atomically (temp file, fsync, rename); return the path."""
    return write_atomic(Path(path), render(data, fmt))


def write_atomic(path: Path, content: bytes) -> Path:
    """Replace `path` with `content` so that a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it private; a published report is for everyone
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def _renderer(fmt: str) -> Callable[[ReportData], bytes]:
    """Import only the adapter asked for: openpyxl and fpdf2 are slow to load."""
    if fmt == "xlsx":
        from hailong.server.reporting.formats.xlsx import xlsx_bytes

        return xlsx_bytes
    if fmt == "pdf":
        from hailong.server.reporting.formats.pdf import pdf_bytes

        return pdf_bytes
    if fmt == "csv":
        from hailong.server.reporting.formats.csv import csv_bytes

        return csv_bytes
    raise ValueError(f"unknown report format {fmt!r}; expected one of {FORMATS}")
