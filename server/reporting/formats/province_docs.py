"""The report upward in XLSX, PDF and CSV: the NĐ 30/2020 frame and the writers of every report.

The frame is the province's own ([province] in the report settings: the sending body, its
recipients and signer); the tables are province_tables.py's. Each writer is the office
report's own (xlsx.py, pdf.py, csv.py) laid over other tables; the same report and language
always give the same bytes.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hailong.protocol.files import write_atomic
from hailong.server.reporting.formats.cells import cell_value
from hailong.server.reporting.formats.formula import neutralise
from hailong.server.reporting.formats.frame import Frame, frame_for
from hailong.server.reporting.formats.province_tables import province_tables, summary_text
from hailong.server.reporting.formats.province_words import report_text
from hailong.server.reporting.province import ProvinceReport

SUBJECT = "TỔNG HỢP KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG CỦA TỔ CHỨC, CÔNG DÂN TẠI CÁC ĐƠN VỊ"
FORMATS = ("xlsx", "pdf", "csv")
CSV_HEADER = ("period", "table", "row_key", "row_name", "column", "value")
REPORT_MODE = 0o644


def province_frame(report: ProvinceReport) -> Frame:
    """Lay out the frame from the [province] settings; refuse one without its sender."""
    return frame_for(report.settings.province, report.period, report.issued, SUBJECT)


def render_province(report: ProvinceReport, fmt: str, lang: str = "vi") -> bytes:
    """Return the report upward in one format ("xlsx", "pdf" or "csv")."""
    writers = {"xlsx": province_xlsx, "pdf": province_pdf, "csv": province_csv}
    if fmt not in writers:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {FORMATS}")
    return writers[fmt](report, lang)


def write_province(report: ProvinceReport, fmt: str, path: str | os.PathLike,
                   lang: str = "vi") -> Path:  # fmt: skip
    """Write the report upward atomically; return the path."""
    return write_atomic(Path(path), render_province(report, fmt, lang), mode=REPORT_MODE)


def province_xlsx(report: ProvinceReport, lang: str = "vi") -> bytes:
    """Return the workbook: the frame and table 1 on the first sheet, one sheet per table."""
    from openpyxl import Workbook

    from hailong.server.reporting.formats import xlsx

    frame = province_frame(report)
    first, *rest = province_tables(report, lang)
    book = Workbook()
    sheet = book.active
    sheet.title = first.sheet
    xlsx.write_table(sheet, first, xlsx.write_frame(sheet, frame, len(first.columns)) + 1)
    for table in rest[:-1]:
        xlsx.write_table(book.create_sheet(table.sheet), table, 1)
    last = book.create_sheet(rest[-1].sheet)
    below = xlsx.write_table(last, rest[-1], 1)
    xlsx.write_signature(last, frame, below + 2, report_text("Nơi nhận:", lang))
    return xlsx.workbook_bytes(book, frame, report.issued)


def province_pdf(report: ProvinceReport, lang: str = "vi") -> bytes:
    """Return the A4 PDF: frame, overview, tables 1–4, recipients and signer."""
    from hailong.server.reporting.formats import pdf

    frame = province_frame(report)
    moment = datetime.combine(report.issued, time(8), ZoneInfo(report.settings.zone))
    doc = pdf.new_document(frame, moment)
    pdf.write_frame(doc, frame)
    pdf.section(doc, report_text("I. KẾT QUẢ CHUNG", lang))
    pdf.paragraph(doc, summary_text(report, lang))
    for number, table in zip(("II", "III", "IV", "V"), province_tables(report, lang), strict=True):
        pdf.section(doc, f"{number}. {table.title.split('. ', 1)[1].upper()}")
        pdf.write_table(doc, table, lang=lang)
    pdf.write_signature(doc, frame, report_text("Nơi nhận:", lang))
    return bytes(doc.output())


def province_csv(report: ProvinceReport, lang: str = "vi") -> bytes:
    """Return one long CSV (period, table, row_key, row_name, column, value), as csv.py writes."""
    from hailong.server.reporting.formats.csv import BOM

    label = report.period.label
    rows = [(label, "meta", key, "", "value", value) for key, value in _meta(report)]
    for table in province_tables(report, lang):
        keys = [c.key for c in table.columns]
        for key, cells in zip(table.keys, table.rows, strict=True):
            name = str(cells[keys.index("name")])
            for column, value in zip(table.columns, cells, strict=True):
                if column.key not in ("no", "name"):
                    rows.append((label, table.code, key, name, column.key, cell_value(value)))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(tuple(neutralise(value) for value in row) for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")


def _meta(report: ProvinceReport) -> list[tuple[str, str]]:
    """Describe the report: who sends it, which period, which rules."""
    s = report.settings
    return [
        ("unit", s.province.unit_name),
        ("title", " ".join(province_frame(report).title)),
        ("start", report.period.start.isoformat()),
        ("end", report.period.end.isoformat()),
        ("convention", report.period.convention),
        ("previous", report.previous.label),
        ("issued", report.issued.isoformat()),
        ("offices", str(len(report.offices))),
        ("coverage_target_pct", cell_value(s.coverage_target * 100)),
        ("min_sample", str(s.min_sample)),
    ]
