"""Read the figures back out of each output channel: XLSX cells, CSV rows, PDF text, HTML tables."""

from __future__ import annotations

import csv
import io
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import load_workbook

from tests.reference.expect import Pct, vi

SCREENING_LABELS = {
    "raw": "Lượt bấm ghi nhận",
    "accepted": "Lượt đánh giá được tính",
    "filtered: test": "Loại ra: bấm thử (chế độ kiểm tra)",
    "flag: official mismatch": "Gắn cờ, vẫn tính: ghi cán bộ khác lịch trực",
    "flag: dossier collision": "Gắn cờ, vẫn tính: hồ sơ đánh giá ở quầy khác cùng phút",
}
CLOSING = {"coverage": "Các lĩnh vực có số hồ sơ (", "outside coverage": "Lượt không tính vào tỷ lệ",
           "total": "Tổng cộng"}  # fmt: skip


def screening_label(key: str) -> str:
    """Return the printed label of a screening row from its CSV key."""
    return SCREENING_LABELS.get(key) or "Loại ra: " + key.removeprefix("filtered: excluded: ")


def xlsx_sheets(path: Path) -> dict[str, list[tuple]]:
    """Return each sheet's rows as tuples of values."""
    book = load_workbook(path, read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def xlsx_agrees(cells: tuple, expected: list) -> bool:
    """Tell whether XLSX values match printed cells: counts equal, fractions to the printed decimal."""
    if len(cells) != len(expected):
        return False
    return all(_xlsx_cell(c, e) for c, e in zip(cells, expected, strict=True))


def _xlsx_cell(cell, expected) -> bool:
    if expected is None:
        return cell in (None, "—")
    if isinstance(expected, Pct):
        # A zero share reads back as the integer 0.
        return isinstance(cell, int | float) and abs(cell * 100 - float(expected)) <= 0.05 + 1e-9
    return cell == expected


def xlsx_points(cell: float) -> str:
    """Print an XLSX change in percentage points as the reference does: "+3.3", "-0.5", "0.0"."""
    text = str(Decimal(repr(cell)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if text.strip("-") == "0.0":
        return "0.0"
    return text if text.startswith("-") else f"+{text}"


def csv_cells(raw: bytes) -> dict[tuple[str, str, str], str]:
    """Return (table, row_key, column) -> value of a report's CSV."""
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
    return {(r["table"], r["row_key"], r["column"]): r["value"] for r in rows}


def pdf_lines(path: Path) -> list[list[str]]:
    """Return the PDF's text (pdftotext -layout) as whitespace-split lines."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True, timeout=60).stdout  # fmt: skip
    return [line.split() for line in text.splitlines()]


def pdf_has_row(lines: list[list[str]], expected: list, before: str | None = None) -> bool:
    """Tell whether a line ends with the printed cells (optionally followed by one more token)."""
    want = [vi(c) for c in expected]
    for tokens in lines:
        tail = tokens[-len(want) - 1 : -1] if before else tokens[-len(want) :]
        if tail == want:
            return True
    return False


class Tables(HTMLParser):
    """Collect every table row of a page as (row id, [cell texts])."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str | None, list[str]]] = []
        self.ids: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._id: str | None = None
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs).get("id")
        if tag == "tr":
            self.rows.append((found, []))
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        if found and tag not in ("tr",):
            self._open.append((tag, found))
            self.ids[found] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for _tag, name in self._open:
            self.ids[name] += data


def html_tables(html: str) -> Tables:
    """Parse a page's tables and the text of its elements with ids."""
    parser = Tables()
    parser.feed(html)
    parser.ids = {k: " ".join(v.split()) for k, v in parser.ids.items()}
    return parser
