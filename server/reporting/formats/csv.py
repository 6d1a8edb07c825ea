"""Write a report as one CSV for machines: a long table of (table, row, column, value).

One file rather than one per table: a period's report stays a single download, and every
table, including the remarks and the report's own description ("meta"), reads the same way.
Columns: period, table, row_key, row_name, column, value. Values are plain: digits with a
dot for decimals, percentages rounded to one decimal as printed, empty when not shown
(a held-back rate, a missing dossier count). UTF-8 with a BOM so that Excel reads the
Vietnamese letters right; lines end in CRLF as RFC 4180 says. Text that a spreadsheet would run as
a formula is neutralised (formula.py).
"""

from __future__ import annotations

import csv
import io

from hailong.server.reporting.data import ReportData
from hailong.server.reporting.formats.cells import cell_value
from hailong.server.reporting.formats.formula import neutralise
from hailong.server.reporting.formats.frame import build_frame
from hailong.server.reporting.formats.tables import report_tables

HEADER = ("period", "table", "row_key", "row_name", "column", "value")
BOM = "\ufeff"


def csv_bytes(data: ReportData) -> bytes:
    """Return the report as UTF-8 CSV bytes starting with a BOM."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(tuple(neutralise(value) for value in row) for row in rows(data))
    return (BOM + out.getvalue()).encode("utf-8")


def rows(data: ReportData) -> list[tuple[str, ...]]:
    """Return every CSV row after the header."""
    label = data.period.label
    found = [(label, "meta", key, "", "value", value) for key, value in _meta(data)]
    for table in report_tables(data):
        for key, cells in zip(table.keys, table.rows, strict=True):
            name = _row_name(table, cells)
            for column, value in zip(table.columns, cells, strict=True):
                if column.key not in ("no", "name", "measure", "code"):
                    found.append((label, table.code, key, name, column.key, cell_value(value)))
    return found


def _row_name(table, cells) -> str:
    """Return the row's human name: the field, the official, or the measure."""
    keys = [c.key for c in table.columns]
    for wanted in ("name", "measure", "text"):
        if wanted in keys:
            return str(cells[keys.index(wanted)]) if wanted != "text" else ""
    return ""


def _meta(data: ReportData) -> list[tuple[str, str]]:
    """Describe the report: who, which period, which convention, when issued."""
    frame = build_frame(data)
    return [
        ("unit", data.settings.unit_name),
        ("title", " ".join(frame.title)),
        ("start", data.period.start.isoformat()),
        ("end", data.period.end.isoformat()),
        ("convention", data.period.convention),
        ("previous", data.previous.label),
        ("issued", data.issued.isoformat()),
        ("dossier_months", " ".join(data.dossier_months)),
        ("coverage_target_pct", cell_value(data.settings.coverage_target * 100)),
        ("min_sample", str(data.settings.min_sample)),
    ]
