"""The report in its three formats: XLSX for staff, PDF for posting and sending, CSV for machines.

Each format is a thin adapter over the same tables (tables.py) and frame (frame.py); each
renders to bytes, and the same ReportData always renders to the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hailong.protocol.files import write_atomic
from hailong.server.reporting.data import ReportData

FORMATS = ("xlsx", "pdf", "csv")
REPORT_MODE = 0o644  # a published report is for everyone


def render(data: ReportData, fmt: str) -> bytes:
    """Return the report in one format ("xlsx", "pdf" or "csv")."""
    return _renderer(fmt)(data)


def write_report(data: ReportData, fmt: str, path: str | os.PathLike) -> Path:
    """Write the report to `path` atomically (temp file, fsync, rename); return the path."""
    return write_atomic(Path(path), render(data, fmt), mode=REPORT_MODE)


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
