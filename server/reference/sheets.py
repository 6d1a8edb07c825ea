"""Read the rows of a table file staff bring: CSV (UTF-8, with or without BOM) or XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from hailong.protocol.i18n import Text
from hailong.server.errors import InputError
from hailong.server.translations import CATALOGUE

SNIFF_LINES = 20  # the header may sit under a title block


class ImportErrors(InputError):
    """Raise when an imported file has problems; `problems` holds "line N: column: problem"."""

    def __init__(self, problems: list[Text]):
        super().__init__("Tệp có {n} lỗi; chưa nhập dòng nào:", n=len(problems))
        self.problems = problems

    def lines(self, language: str) -> list[str]:
        """Return every problem in a language, one line each."""
        return [problem.render(CATALOGUE.translator(language)) for problem in self.problems]

    def say(self, language: str) -> str:
        """Return the count and every problem, a line each."""
        return "\n".join([super().say(language), *self.lines(language)])


def ImportProblem(line: int, message: str, /, **values) -> Text:  # noqa: N802 (reads as a message)
    """Return one problem of an imported file, with the line it is on."""
    return Text("Dòng {line}: {problem}", line=line, problem=Text(message, **values))


def read_table(path: Path) -> list[tuple[int, list]]:
    """Return (line number, cells) for every row of a CSV or the first sheet of an XLSX."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError("{name}: hãy chọn tệp .csv hoặc .xlsx", name=path.name)
    try:
        return _read_csv(path.read_bytes()) if suffix == ".csv" else _read_xlsx(path)
    except OSError as exc:
        raise InputError("Không đọc được {path}: {problem}", path=str(path),
                         problem=exc.strerror or str(exc)) from None  # fmt: skip


def _read_csv(data: bytes) -> list[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportErrors(
            [ImportProblem(line, "tệp không phải văn bản UTF-8; hãy lưu dạng “CSV UTF-8”")]
        ) from None
    head = text.splitlines()[:SNIFF_LINES]
    # Excel in a Vietnamese locale separates with ";" (the comma is the decimal mark).
    delimiter = max(",;\t", key=lambda d: max((line.count(d) for line in head), default=0))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    for cells in reader:
        rows.append((start, cells))
        start = reader.line_num + 1
    return rows


def _read_xlsx(path: Path) -> list[tuple[int, list]]:
    # openpyxl is the collector's only XLSX dependency; import it when an XLSX arrives.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        problem = ImportProblem(1, "không đọc được tệp XLSX ({problem})", problem=str(exc))
        raise ImportErrors([problem]) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some exporters write a wrong size; read what is there
        return [(n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()
