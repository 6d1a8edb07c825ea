"""Write a report as an A4 PDF in the administrative frame, with an embedded Unicode serif font.

A little over ~300 lines: one document's layout, top to bottom (frame, sections, tables, chart,
signature); the cells, fonts and frame text it lays out live in their own modules.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from hailong.server.reporting.data import ReportData
from hailong.server.reporting.formats.cells import Table, cell_text
from hailong.server.reporting.formats.fonts import FAMILY, find_fonts
from hailong.server.reporting.formats.frame import (
    LEVEL_COLOURS,
    RECIPIENTS_LABEL,
    Frame,
    build_frame,
)
from hailong.server.reporting.formats.tables import report_tables
from hailong.server.reporting.metrics import BEST_FIRST, LEVEL_NAMES, fmt_pct, fmt_points

MARGINS = (30, 20, 15)  # left, top, right in mm, as NĐ 30 asks
BAR_COLOURS = {level: tuple(bytes.fromhex(hex_)) for level, hex_ in LEVEL_COLOURS.items()}
BELOW_TARGET = (255, 199, 206)
WHITE = (255, 255, 255)
SIGNATURE_HEIGHT = 58  # mm: recipients beside the signer's title, signature space and name
SIGNATURE_ROOM = 30  # mm between the signer's title and name: the signature and the seal
HEADING_FILL = (231, 230, 230)


class ReportPDF(FPDF):
    """An A4 page numbered at the top from page 2, as administrative documents are."""

    def header(self) -> None:
        """Print the page number centred at the top of every page but the first."""
        if self.page_no() > 1:
            self.set_font(FAMILY, "", 12)
            self.set_y(10)
            self.cell(0, 5, str(self.page_no()), align="C")
            self.set_y(MARGINS[1])


def pdf_bytes(data: ReportData) -> bytes:
    """Return the PDF's bytes; the same data always gives the same bytes."""
    frame = build_frame(data)
    pdf = new_document(frame, datetime.combine(data.issued, time(8), ZoneInfo(data.settings.zone)))
    write_frame(pdf, frame)
    tables = {t.code: t for t in report_tables(data)}
    section(pdf, "I. KẾT QUẢ CHUNG")
    paragraph(pdf, summary_text(data))
    bar_chart(pdf, data)
    for number, code in (("II", "A"), ("III", "B"), ("IV", "C")):
        section(pdf, f"{number}. {tables[code].title.upper()}")
        write_table(pdf, tables[code])
        if code == "B" and "R1" in tables:  # reasons for low ratings, only while kiosks ask
            write_table(pdf, tables["R1"], title=True)
            write_table(pdf, tables["R2"], title=True)
    write_table(pdf, tables["C2"], title=True)
    if "L" in tables:  # late arrivals for published periods, only when there are some
        write_table(pdf, tables["L"], title=True)
    remarks = [text for (text,) in tables["D"].rows]
    # The signature never stands alone on a page: the remarks go over with it if need be.
    if pdf.will_page_break(_paragraphs_height(pdf, remarks) + SIGNATURE_HEIGHT + 12):
        pdf.add_page()
    section(pdf, "V. NHẬN XÉT, KIẾN NGHỊ")
    for text in remarks:
        paragraph(pdf, text)
    write_signature(pdf, frame)
    return bytes(pdf.output())


def new_document(frame: Frame, moment: datetime) -> ReportPDF:
    """Start an A4 document with NĐ 30 margins, the serif font and fixed metadata (`moment`)."""
    pdf = ReportPDF(format="A4", unit="mm")
    pdf.set_margins(*MARGINS)
    pdf.set_auto_page_break(True, margin=20)
    for style, path in find_fonts().items():
        pdf.add_font(FAMILY, style, str(path))
    # The issue date, not the clock: the same report is the same file.
    pdf.set_creation_date(moment)
    pdf.set_title(" ".join(frame.title))
    pdf.set_creator("hailong")
    pdf.add_page()
    return pdf


def write_frame(pdf: FPDF, frame: Frame) -> None:
    """Print the unit (left), the national motto (right), the date, title and period."""
    right = _right_block_width(pdf, frame)
    left = pdf.epw - right
    top = pdf.get_y()
    below = max(_unit_block(pdf, frame, left), _motto_block(pdf, frame, left, top))
    pdf.set_y(below + 8)
    for n, line in enumerate(frame.title):
        pdf.set_font(FAMILY, "B", 14 if n == 0 else 13)
        pdf.multi_cell(0, 6.5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "I", 13)
    pdf.multi_cell(0, 6.5, frame.range_line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if frame.addressees:
        pdf.ln(3)
        pdf.set_font(FAMILY, "", 13)
        pdf.multi_cell(0, 6.5, frame.addressees, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _unit_block(pdf: FPDF, frame: Frame, width: float) -> float:
    """Print the governing body, the unit (underlined) and the number; return the bottom."""
    lines = [(frame.parent, ""), (frame.unit, "B")] if frame.parent else [(frame.unit, "B")]
    for text, style in lines:
        pdf.set_font(FAMILY, style, 12)
        pdf.multi_cell(width, 5.5, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _rule(pdf, pdf.l_margin + width / 2, pdf.get_y() + 0.5, pdf.get_string_width(frame.unit) / 3)
    pdf.set_font(FAMILY, "", 13)
    pdf.set_y(pdf.get_y() + 2)
    pdf.cell(width, 6, frame.number, align="C")
    return pdf.get_y() + 6


def _motto_block(pdf: FPDF, frame: Frame, left: float, top: float) -> float:
    """Print the nation, the motto (underlined) and the place and date; return the bottom."""
    width = pdf.epw - left
    pdf.set_xy(pdf.l_margin + left, top)
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(width, 5.5, frame.nation, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 13)
    pdf.cell(width, 6, frame.motto, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    centre = pdf.l_margin + left + width / 2
    _rule(pdf, centre, pdf.get_y() + 0.3, pdf.get_string_width(frame.motto))
    pdf.set_xy(pdf.l_margin + left, pdf.get_y() + 3)
    pdf.set_font(FAMILY, "I", 13)
    pdf.cell(width, 6, frame.place_date, align="C")
    return pdf.get_y() + 6


def section(pdf: FPDF, title: str) -> None:
    """Print a numbered section heading, starting a page when too little room is left."""
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(0, 6.5, title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _paragraphs_height(pdf: FPDF, texts: list[str]) -> float:
    """Return how tall the paragraphs will print."""
    pdf.set_font(FAMILY, "", 13)
    lines = sum(
        len(pdf.multi_cell(0, 6.5, "      " + t, dry_run=True, output="LINES")) for t in texts
    )
    return lines * 6.5 + len(texts)


def paragraph(pdf: FPDF, text: str) -> None:
    """Print a justified body paragraph with a first-line indent."""
    pdf.set_font(FAMILY, "", 13)
    pdf.multi_cell(0, 6.5, "      " + text, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def summary_text(data: ReportData) -> str:
    """Say in one paragraph what was received, what counted and how satisfied people were."""
    s, trend = data.screening, data.trend
    text = (
        f"Trong kỳ, hệ thống ghi nhận {cell_text(s.raw)} lượt bấm; {cell_text(s.accepted)} lượt "
        f"đánh giá được tính, {cell_text(s.raw - s.accepted)} lượt bị loại ra có ghi lý do. "
        f"Tỷ lệ hài lòng (Rất hài lòng và Hài lòng) đạt {fmt_pct(data.totals.rate)}"
    )
    if trend.rate_diff is not None:
        shown = fmt_points(trend.rate_diff)  # the rounded figure decides the word
        word = {"+": "tăng", "-": "giảm"}.get(shown[0], "không đổi")
        amount = f" {shown[1:]} điểm phần trăm" if shown[0] in "+-" else ""
        text += f", {word}{amount} so với kỳ trước ({fmt_pct(trend.previous.rate)})"
    cov = data.field_total
    if cov.ratio is not None:
        target = fmt_pct(data.settings.coverage_target * 100, digits=0)
        text += (
            f". Tỷ lệ lượt đánh giá trên hồ sơ đã giải quyết của các lĩnh vực có số hồ sơ: "
            f"{fmt_pct(cov.percent)} (chỉ tiêu: trên {target} ở từng lĩnh vực; {cov.met_text}"
            f"{'' if cov.meets_target else f', còn thiếu {cell_text(cov.needed)} lượt'})"
        )
    return text + "."


def bar_chart(pdf: FPDF, data: ReportData) -> None:
    """Draw one horizontal bar per level, scaled to 100%, with counts and shares beside."""
    stats = data.totals
    label_w, value_w, bar_h, gap = 34.0, 36.0, 6.0, 2.5
    scale_w = pdf.epw - label_w - value_w
    if pdf.will_page_break(4 * (bar_h + gap) + 12):
        pdf.add_page()
    x0, y = pdf.l_margin + label_w, pdf.get_y() + 2
    _grid(pdf, x0, y, scale_w, 4 * (bar_h + gap))
    pdf.set_font(FAMILY, "", 11)
    for level in BEST_FIRST:
        share = stats.shares[level] or 0.0
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w - 2, bar_h, LEVEL_NAMES[level], align="R")
        pdf.set_fill_color(*BAR_COLOURS[level])
        if share > 0:
            pdf.rect(x0, y, scale_w * share / 100, bar_h, style="F")
        pdf.set_xy(x0 + scale_w + 2, y)
        pdf.cell(
            value_w - 2, bar_h, f"{cell_text(stats.counts[level])} ({fmt_pct(stats.shares[level])})"
        )
        y += bar_h + gap
    pdf.set_fill_color(255, 255, 255)  # tables fill with the current colour: leave white
    pdf.set_y(y + 6)


def write_table(pdf: FPDF, table: Table, title: bool = False, lang: str = "vi") -> None:
    """Print a table with its two heading rows, its marked cells and its notes."""
    if title:
        pdf.set_font(FAMILY, "B", 12)
        pdf.multi_cell(0, 6, table.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    wide = len(table.columns) > 6
    size = 7.5 if wide else 11
    total = sum(c.width for c in table.columns)
    widths = [pdf.epw * c.width / total for c in table.columns]
    pdf.set_font(FAMILY, "", size)
    heading = FontFace(emphasis="BOLD", fill_color=HEADING_FILL, size_pt=size)
    grouped = any(c.group for c in table.columns)
    with pdf.table(col_widths=widths, num_heading_rows=2 if grouped else 1, headings_style=heading,
                   line_height=size * 0.5, text_align="CENTER", padding=0.8,
                   align="LEFT") as out:  # fmt: skip
        _headings(out, table, grouped)
        for r, cells in enumerate(table.rows):
            row = out.row()
            for column, value in zip(table.columns, cells, strict=True):
                # Every cell names its fill: fpdf2 otherwise paints some with a neighbour's.
                fill = BELOW_TARGET if (r, column.key) in table.marked else WHITE
                bold = "BOLD" if r in table.totals else None
                align = "LEFT" if isinstance(value, str) and value else "RIGHT"
                style = FontFace(emphasis=bold, fill_color=fill, size_pt=size)
                row.cell(
                    cell_text(value, lang), align="CENTER" if value is None else align, style=style
                )
    pdf.set_font(FAMILY, "I", 10)
    for note in table.notes:
        pdf.multi_cell(0, 5, note, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def write_signature(pdf: FPDF, frame: Frame, label: str = RECIPIENTS_LABEL) -> None:
    """Print the recipients (left) and the signer (right) together, on a new page if needed."""
    if pdf.will_page_break(SIGNATURE_HEIGHT):
        pdf.add_page()
    pdf.ln(4)
    top, left = pdf.get_y(), pdf.epw * 0.45
    pdf.set_font(FAMILY, "BI", 12)
    pdf.cell(left, 6, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 11)
    for line in frame.recipients:
        pdf.multi_cell(left, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin + left, top)
    pdf.set_font(FAMILY, "B", 13)
    for line in frame.signer:
        pdf.cell(pdf.epw - left, 6.5, line, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + SIGNATURE_ROOM)
    pdf.set_x(pdf.l_margin + left)
    pdf.cell(pdf.epw - left, 6.5, frame.signer_name, align="C")


def _headings(out, table: Table, grouped: bool) -> None:
    """Add the heading rows: a shared heading over its columns, or one cell two rows tall."""
    first = out.row()
    second = out.row() if grouped else None
    c = 0
    while c < len(table.columns):
        column = table.columns[c]
        span = 1
        while (
            column.group
            and c + span < len(table.columns)
            and table.columns[c + span].group == column.group
        ):
            span += 1
        if column.group:
            first.cell(column.group, colspan=span)
            for k in range(span):
                second.cell(table.columns[c + k].heading)
        else:
            first.cell(column.heading, rowspan=2 if grouped else 1)
        c += span


def _right_block_width(pdf: FPDF, frame: Frame) -> float:
    """Return the width the national motto block needs; the unit's block takes the rest."""
    widths = []
    for text, style, size in (
        (frame.nation, "B", 12),
        (frame.motto, "B", 13),
        (frame.place_date, "I", 13),
    ):
        pdf.set_font(FAMILY, style, size)
        widths.append(pdf.get_string_width(text))
    return min(max(widths) + 4, pdf.epw * 0.6)


def _grid(pdf: FPDF, x0: float, y: float, width: float, height: float) -> None:
    """Draw light vertical lines at 0, 25, 50, 75 and 100% with their labels below."""
    pdf.set_draw_color(200, 200, 200)
    pdf.set_font(FAMILY, "", 8)
    for step in range(5):
        x = x0 + width * step / 4
        pdf.line(x, y - 1, x, y + height)
        pdf.set_xy(x - 6, y + height)
        pdf.cell(12, 4, f"{step * 25}%", align="C")
    pdf.set_draw_color(0, 0, 0)


def _rule(pdf: FPDF, centre: float, y: float, length: float) -> None:
    """Draw the short line NĐ 30 puts under the unit's name and under the motto."""
    pdf.set_line_width(0.3)
    pdf.line(centre - length / 2, y, centre + length / 2, y)
    pdf.set_line_width(0.2)
