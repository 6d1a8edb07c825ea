"""Write a report as an Excel workbook: one sheet per table, real numbers with number formats."""

from __future__ import annotations

from datetime import date, datetime, time
from io import BytesIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from hailong.server.reporting.data import ReportData
from hailong.server.reporting.formats.cells import Delta, Points, Table
from hailong.server.reporting.formats.formula import store_as_text
from hailong.server.reporting.formats.frame import RECIPIENTS_LABEL, Frame, build_frame
from hailong.server.reporting.formats.tables import report_tables

FONT = "Times New Roman"  # what the office's Excel has; LibreOffice maps it to Liberation Serif
FORMATS = {"int": "#,##0", "pct": "0.0%", "points": "+0.0;-0.0;0.0", "delta": "+#,##0;-#,##0;0"}
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
BELOW_TARGET = PatternFill("solid", fgColor="FFC7CE")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
BODY = Font(name=FONT, size=11)  # shared: a national table has tens of thousands of cells
TOTAL = Font(name=FONT, size=11, bold=True)


def xlsx_bytes(data: ReportData) -> bytes:
    """Return the workbook's bytes; the same data always gives the same bytes."""
    book = Workbook()
    tables = {t.code: t for t in report_tables(data)}
    frame = build_frame(data)
    first = book.active
    first.title = tables["A"].sheet
    row = write_frame(first, frame, len(tables["A"].columns))
    write_table(first, tables["A"], row + 1)
    write_table(book.create_sheet(tables["B"].sheet), tables["B"], 1)
    if "R1" in tables:  # the reasons for low ratings, only while kiosks ask for them
        reasons = book.create_sheet(tables["R1"].sheet)
        write_table(reasons, tables["R2"], write_table(reasons, tables["R1"], 1) + 2, freeze=False)
    totals = book.create_sheet(tables["C"].sheet)
    below = write_table(totals, tables["C"], 1)
    below = write_table(totals, tables["C2"], below + 2, freeze=False)
    if "L" in tables:  # late arrivals for published periods, only when there are some
        write_table(totals, tables["L"], below + 2, freeze=False)
    remarks = book.create_sheet(tables["D"].sheet)
    write_signature(remarks, frame, write_table(remarks, tables["D"], 1) + 2)
    return workbook_bytes(book, frame, data.issued)


def workbook_bytes(book: Workbook, frame: Frame, issued: date) -> bytes:
    """Return a finished workbook's bytes, stamped with the issue date: same data, same bytes."""
    store_as_text(book)  # a name like =HYPERLINK(…) from a kiosk or a form is text, not a formula
    moment = datetime.combine(issued, time(8))
    book.properties.creator = "hailong"
    book.properties.title = " ".join(frame.title)
    book.properties.created = book.properties.modified = moment
    out = BytesIO()
    # Not book.save(): it stamps "modified" with the clock, and zip entries carry the clock too.
    ExcelWriter(book, _FixedTimeZip(out, moment)).save()
    return out.getvalue()


def write_frame(sheet: Worksheet, frame: Frame, width: int) -> int:
    """Write the administrative header across `width` columns; return the last row used."""
    split = max(3, width // 3)
    left = [(frame.parent, False), (frame.unit, True), (frame.number, False)]
    if not frame.parent:
        left = left[1:] + [("", False)]
    right = [(frame.nation, True), (frame.motto, True), (frame.place_date, False)]
    for row, ((ltext, lbold), (rtext, rbold)) in enumerate(zip(left, right, strict=True), 1):
        _merged(sheet, row, 1, split, ltext, Font(name=FONT, bold=lbold, size=12))
        italic = row == 3
        font = Font(
            name=FONT, bold=rbold, italic=italic, size=12, underline="single" if row == 2 else None
        )
        _merged(sheet, row, split + 1, width, rtext, font)
    lines = (*frame.title, frame.range_line, *([frame.addressees] if frame.addressees else []))
    for offset, line in enumerate(lines):
        is_range = offset == len(frame.title)
        font = Font(name=FONT, bold=not is_range, italic=is_range, size=13)
        _merged(sheet, 5 + offset, 1, width, line, font)
    return 5 + len(lines)


def write_table(sheet: Worksheet, table: Table, top: int, freeze: bool = True) -> int:
    """Write a table's title, two heading rows, cells and notes; return the last row used."""
    sheet.cell(top, 1, table.title).font = Font(name=FONT, bold=True, size=12)
    head = top + 1
    first = head + _headings(sheet, table, head)
    for r, cells in enumerate(table.rows):
        for c, (column, value) in enumerate(zip(table.columns, cells, strict=True), 1):
            shown, kind = _typed(value)
            cell = sheet.cell(first + r, c, shown)
            marked = (r, column.key) in table.marked
            cell.style = _style(sheet.parent, kind, r in table.totals, marked)
    if freeze:  # the sheet's main table sets the widths and keeps its headings in view
        for c, column in enumerate(table.columns, 1):
            sheet.column_dimensions[get_column_letter(c)].width = column.width
        sheet.freeze_panes = sheet.cell(first, 1)
    last = first + len(table.rows) - 1
    for n, note in enumerate(table.notes, 1):
        _merged(
            sheet,
            last + n,
            1,
            len(table.columns),
            note,
            Font(name=FONT, italic=True, size=10),
            WRAP,
        )
    _page_setup(sheet, len(table.columns))
    return last + len(table.notes)


def write_signature(
    sheet: Worksheet, frame: Frame, top: int, label: str = RECIPIENTS_LABEL
) -> None:
    """Write the recipients on the left and the signer on the right, below the remarks."""
    sheet.cell(top, 1, label).font = Font(name=FONT, bold=True, italic=True, size=12)
    for n, line in enumerate(frame.recipients, 1):
        sheet.cell(top + n, 1, line).font = Font(name=FONT, size=11)
    sheet.column_dimensions["B"].width = 40
    for n, line in enumerate(frame.signer):
        cell = sheet.cell(top + n, 2, line)
        cell.font, cell.alignment = Font(name=FONT, bold=True, size=12), CENTER
    # Five empty rows under the title: room for the signature and the seal.
    name = sheet.cell(top + len(frame.signer) + 6, 2, frame.signer_name)
    name.font, name.alignment = Font(name=FONT, bold=True, size=12), CENTER


def _headings(sheet: Worksheet, table: Table, row: int) -> int:
    """Write the heading rows and return how many: two where columns share a heading."""
    if not any(column.group for column in table.columns):
        for c, column in enumerate(table.columns, 1):
            _heading(sheet, row, c, row, c, column.heading)
        return 1
    c = 1
    while c <= len(table.columns):
        column = table.columns[c - 1]
        span = 1
        while (
            column.group
            and c + span <= len(table.columns)
            and table.columns[c + span - 1].group == column.group
        ):
            span += 1
        if column.group:
            _heading(sheet, row, c, row, c + span - 1, column.group)
            for k in range(span):
                _heading(sheet, row + 1, c + k, row + 1, c + k, table.columns[c + k - 1].heading)
        else:
            _heading(sheet, row, c, row + 1, c, column.heading)
        c += span
    sheet.row_dimensions[row + 1].height = 30
    return 2


def _heading(sheet: Worksheet, r1: int, c1: int, r2: int, c2: int, text: str) -> None:
    """Write one heading cell, merged over a block, boxed and shaded."""
    if (r1, c1) != (r2, c2):
        sheet.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            sheet.cell(r, c).border, sheet.cell(r, c).fill = BOX, HEADER_FILL
    cell = sheet.cell(r1, c1, text)
    cell.font, cell.alignment = Font(name=FONT, bold=True, size=11), CENTER


def _typed(value) -> tuple[object, str]:
    """Return what a cell holds and its kind; percentages become real fractions (0.827)."""
    if value is None:
        return "—", "none"
    kind = next((k for k in (Points, Delta, int, float) if isinstance(value, k)), str)
    if kind is float:
        return float(value) / 100, "pct"  # Excel's 0.0% shows it as 82.7%
    if kind is Points:
        return float(value), "points"
    if kind in (Delta, int):
        return int(value), "delta" if kind is Delta else "int"
    return str(value), "text"


def _style(book, kind: str, bold: bool, marked: bool) -> str:
    """Return the name of the cell style for a kind of value, registering it on first use.

    Named styles are set once per workbook; styling each cell with its own Font, Border and
    Fill objects costs seconds on a national table of tens of thousands of cells.
    """
    name = f"hailong-{kind}{'-bold' if bold else ''}{'-marked' if marked else ''}"
    if name not in book.named_styles:
        align = {"none": Alignment(horizontal="center"), "text": WRAP}.get(kind, Alignment())
        book.add_named_style(NamedStyle(
            name=name, font=TOTAL if bold else BODY, border=BOX, alignment=align,
            number_format=FORMATS.get(kind, "General"), fill=BELOW_TARGET if marked else PatternFill(),
        ))  # fmt: skip
    return name


def _merged(
    sheet: Worksheet, row: int, c1: int, c2: int, text: str, font: Font, align=CENTER
) -> None:
    """Write text across columns c1..c2 of one row."""
    if c2 > c1:
        sheet.merge_cells(start_row=row, start_column=c1, end_row=row, end_column=c2)
    cell = sheet.cell(row, c1, text)
    cell.font, cell.alignment = font, align


def _page_setup(sheet: Worksheet, columns: int) -> None:
    """Print on A4, landscape for wide tables, one page wide."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if columns > 6 else "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


class _FixedTimeZip(ZipFile):
    """A zip whose entries all carry one time, so that unchanged data gives unchanged bytes."""

    def __init__(self, target: BytesIO, moment: datetime):
        super().__init__(target, "w", ZIP_DEFLATED)
        self.moment = moment.timetuple()[:6]

    def writestr(self, name, data, *args, **kwargs) -> None:
        """Write one entry, stamped with the fixed time."""
        super().writestr(self._entry(name), data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs) -> None:
        """Copy a file in (openpyxl writes each sheet to a temp file first), fixed time."""
        with open(filename, "rb") as source:
            self.writestr(arcname or filename, source.read())

    def open(self, name, mode="r", *args, **kwargs):
        """Open one entry; one opened for writing is stamped with the fixed time."""
        return super().open(self._entry(name) if mode == "w" else name, mode, *args, **kwargs)

    def _entry(self, name):
        """Return a ZipInfo with the fixed time for a name (a ZipInfo is kept as it is)."""
        if isinstance(name, ZipInfo):
            return name
        entry = ZipInfo(name, date_time=self.moment)
        entry.compress_type = ZIP_DEFLATED
        return entry
