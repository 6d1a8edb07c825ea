"""Keep text from becoming a spreadsheet formula: the OWASP rule, for CSV and XLSX downloads.

A field name typed by an admin or an official code sent by a kiosk may begin with "=", "+", "-"
or "@"; a spreadsheet opening the file would run it (=HYPERLINK, =WEBSERVICE, DDE). In CSV such
text gets a leading apostrophe; in XLSX it is stored as a string, never as a formula. Numbers,
negative ones included, stay numbers.
"""

from __future__ import annotations

import re

from openpyxl import Workbook

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")


def neutralise(text: str) -> str:
    """Return text a spreadsheet shows as it is: a quote before a would-be formula."""
    if text.startswith(TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def store_as_text(book: Workbook) -> None:
    """Turn every cell openpyxl took for a formula (text starting with "=") back into text."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
