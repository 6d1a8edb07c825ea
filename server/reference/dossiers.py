"""Resolved dossiers per field and month: import from CSV/XLSX, entry by hand, sums for coverage.

An import is all-or-nothing: every row is checked first and any problem, listed line by line,
leaves the database as it was. See docs/dossier-import.md for the columns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from hailong.protocol.i18n import N_, Text
from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.reference.audit import check_actor, record
from hailong.server.reference.sheets import ImportErrors, ImportProblem, read_table
from hailong.server.storage.db import dossier_counts, fields

MAX_RESOLVED = 10**9
HEADER_SCAN = 20  # exports often put a title block above the table
# Accepted headers per column, compared after fold(): English, Vietnamese, and Vietnamese typed
# without diacritics (fold() removes them, so one entry covers "Tháng" and "Thang").
HEADERS = {
    "field": ("field", "Lĩnh vực"),
    "month": ("month", "Tháng"),
    "resolved": ("resolved", "Số hồ sơ đã giải quyết", "Đã giải quyết"),
}
TOTAL_LABELS = {"tong", "tong cong", "cong", "total"}  # folded; such lines are skipped
_MONTH_ISO = re.compile(r"(\d{4})-(\d{1,2})")
_MONTH_VN = re.compile(r"(\d{1,2})/(\d{4})")
_PLAIN = re.compile(r"\d+")
_GROUPED = re.compile(r"\d{1,3}(?:([.,\u00a0\u202f ])\d{3})(?:\1\d{3})*")
# The columns' names in messages about a form's values (an imported file's own labels name its).
_LABELS = {"field": N_("Lĩnh vực"), "month": N_("Tháng"), "resolved": N_("Số hồ sơ đã giải quyết")}
_MISSING = N_("còn trống")


@dataclass(frozen=True)
class ImportResult:
    """What a successful import did."""

    rows: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class _Row:
    line: int
    field: str
    month: str
    resolved: int


def fold(text: str) -> str:
    """Return text for loose matching: no diacritics (đ → d), no case, single spaces."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = bare.replace("đ", "d").replace("Đ", "D").casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def import_file(conn: Connection, path: str | Path, actor: str) -> ImportResult:
    """Check every row of a CSV or XLSX file, then store them all; raise ImportErrors otherwise."""
    check_actor(actor)
    path = Path(path)
    rows = _check_rows(read_table(path), _FieldIndex(conn))
    existing = _existing(conn, rows)
    changed = 0
    at = now_ms()
    for row in rows:
        before = existing.get((row.field, row.month))
        if before != row.resolved:
            _write(conn, row.field, row.month, before, row.resolved, actor, "import", at)
            changed += 1
    result = ImportResult(len(rows), changed, len(rows) - changed)
    record(conn, actor, "import", "dossier_file", path.name, None, vars(result), at)
    return result


def set_count(conn: Connection, field: str, month: str, resolved, actor: str) -> bool:
    """Enter one field's resolved dossiers for a month; return whether anything changed."""
    check_actor(actor)
    problems: list[Text] = []

    def complain(column: str):
        return lambda p: problems.append(Text("{column}: {problem}", column=Text(_LABELS[column]),
                                              problem=p))  # fmt: skip

    code = _FieldIndex(conn).find(str(field), complain("field"))
    month_text = parse_month(month, complain("month"))
    count = parse_resolved(resolved, complain("resolved"))
    if problems:
        raise InputError("{problems}", problems=problems)
    key = (dossier_counts.c.field == code) & (dossier_counts.c.month == month_text)
    key = key & scope.owned(dossier_counts)
    before = conn.execute(select(dossier_counts.c.resolved).where(key)).scalar()
    if before == count:
        return False
    action = "create" if before is None else "update"
    _write(conn, code, month_text, before, count, actor, action)
    return True


def counts_for(conn: Connection, first_month: str, last_month: str) -> dict[str, int]:
    """Return resolved dossiers per field summed over the months first..last (YYYY-MM)."""
    first, last = (parse_month(m, _raise) for m in (first_month, last_month))
    query = (
        select(dossier_counts.c.field, func.sum(dossier_counts.c.resolved))
        .where(dossier_counts.c.month.between(first, last), scope.visible(dossier_counts))
        .group_by(dossier_counts.c.field)
        .order_by(dossier_counts.c.field)
    )
    return {field: int(total) for field, total in conn.execute(query)}


def monthly(conn: Connection, year: int) -> list[tuple[str, str, int]]:
    """Return (field, month, resolved) for every month of a year."""
    query = (
        select(dossier_counts.c.field, dossier_counts.c.month, dossier_counts.c.resolved)
        .where(dossier_counts.c.month.between(f"{year:04d}-01", f"{year:04d}-12"))
        .where(scope.owned(dossier_counts))
        .order_by(dossier_counts.c.field, dossier_counts.c.month)
    )
    return [tuple(r) for r in conn.execute(query)]


def parse_month(value, fail) -> str | None:
    """Return "YYYY-MM" from YYYY-MM, MM/YYYY or a spreadsheet date; else call fail(problem)."""
    if isinstance(value, date):
        year, month = value.year, value.month
    else:
        text = "" if value is None else str(value).strip()
        iso, vn = _MONTH_ISO.fullmatch(text), _MONTH_VN.fullmatch(text)
        if not text:
            return fail(Text(_MISSING))
        if not (iso or vn):
            return fail(Text("“{text}” không phải tháng: hãy viết YYYY-MM (2024-03) hoặc MM/YYYY "
                             "(03/2024)", text=text))  # fmt: skip
        year, month = (int(iso[1]), int(iso[2])) if iso else (int(vn[2]), int(vn[1]))
    if not (1 <= month <= 12 and 2000 <= year <= 2099):
        return fail(
            Text("“{value}” không phải tháng trong khoảng 2000-01 đến 2099-12", value=value)
        )
    return f"{year:04d}-{month:02d}"


def parse_resolved(value, fail) -> int | None:
    """Return a non-negative whole number (1.234 and 1,234 read as thousands); else fail."""
    if isinstance(value, bool):
        return fail(Text("“{value}” không phải số", value=value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            return fail(Text(_MISSING))
        if text.startswith("-"):
            return fail(Text("{text} là số âm; số hồ sơ phải từ 0 trở lên", text=text))
        if not (_PLAIN.fullmatch(text) or _GROUPED.fullmatch(text)):
            return fail(Text("“{text}” không phải số nguyên hồ sơ (ví dụ 125)", text=text))
        number = int(re.sub(r"\D", "", text))
    if not 0 <= number <= MAX_RESOLVED:
        return fail(Text("{number} phải từ 0 đến {max}", number=number, max=MAX_RESOLVED))
    return number


class _FieldIndex:
    """Find a field by code, or by name without regard to case and diacritics."""

    def __init__(self, conn: Connection):
        rows = conn.execute(select(fields.c.code, fields.c.name, fields.c.active)).all()
        self.codes = {code: code for code, _, _ in rows}
        self.loose: dict[str, list[tuple[bool, str]]] = {}
        for code, name, active in rows:
            for key in {fold(code), fold(name)}:
                self.loose.setdefault(key, []).append((not active, code))

    def find(self, text: str, fail) -> str | None:
        """Return the field's code, or call fail(problem)."""
        text = unicodedata.normalize("NFC", text).strip()
        if not text:
            return fail(Text(_MISSING))
        if text in self.codes:
            return text
        matches = sorted(set(self.loose.get(fold(text), [])))
        best = [code for inactive, code in matches if inactive == matches[0][0]] if matches else []
        if len(best) == 1:
            return best[0]
        if best:
            return fail(Text("“{text}” khớp nhiều lĩnh vực ({codes}); hãy dùng mã", text=text,
                             codes=", ".join(best)))  # fmt: skip
        return fail(Text("Không có lĩnh vực “{text}” (mã và tên có trong danh sách lĩnh vực)",
                         text=text))  # fmt: skip


def _check_rows(table: list[tuple[int, list]], index: _FieldIndex) -> list[_Row]:
    header_line, columns = _find_header(table)
    problems: list[Text] = []
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in table:
        if line <= header_line or all(_blank(c) for c in cells) or _is_total(cells, columns):
            continue
        row = _check_row(line, cells, columns, index, problems)
        if row is None:
            continue
        key = (row.field, row.month)
        if key in seen:
            problems.append(ImportProblem(line, "{column}: {field} {month} đã có ở dòng {other}",
                                          column=columns["month"][1], field=row.field,
                                          month=row.month, other=seen[key]))  # fmt: skip
        seen.setdefault(key, line)
        rows.append(row)
    if not rows and not problems:
        problems.append(
            ImportProblem(header_line, "tệp không có dòng số liệu nào dưới dòng tiêu đề")
        )
    if problems:
        raise ImportErrors(problems)
    return rows


def _check_row(line, cells, columns, index, problems) -> _Row | None:
    parsers = {
        "field": lambda value, fail: index.find("" if value is None else str(value), fail),
        "month": parse_month,
        "resolved": parse_resolved,
    }
    found = {}
    for name, (position, label) in columns.items():
        value = cells[position] if position < len(cells) else None
        found[name] = parsers[name](value, _complaint(problems, line, label))
    if any(v is None for v in found.values()):
        return None
    return _Row(line, found["field"], found["month"], found["resolved"])


def _complaint(problems: list[Text], line: int, column: str):
    """Return a fail(problem) that appends the problem with its line and column, and gives None."""
    return lambda problem: problems.append(
        ImportProblem(line, "{column}: {problem}", column=column, problem=problem)
    )


def _find_header(table: list[tuple[int, list]]) -> tuple[int, dict[str, tuple[int, str]]]:
    """Return the header's line and, per column, its position and the file's own label."""
    accepted = {fold(label): name for name, labels in HEADERS.items() for label in labels}
    best: tuple[int, dict] | None = None
    for line, cells in table[:HEADER_SCAN]:
        columns: dict[str, tuple[int, str]] = {}
        for position, cell in enumerate(cells):
            name = accepted.get(fold(str(cell))) if not _blank(cell) else None
            if name in columns:
                raise ImportErrors([ImportProblem(line, "{column}: cột này xuất hiện hai lần",
                                                  column=cell)])  # fmt: skip
            if name:
                columns[name] = (position, str(cell).strip())
        if len(columns) == len(HEADERS):
            return line, columns
        if len(columns) >= 2 and best is None:
            best = (line, columns)
    if best is not None:
        missing = ", ".join(sorted(set(HEADERS) - set(best[1])))
        raise ImportErrors(
            [ImportProblem(best[0], "dòng tiêu đề thiếu cột {columns}", columns=missing)]
        )
    raise ImportErrors([ImportProblem(1, "không có dòng tiêu đề với các cột Lĩnh vực, Tháng, Số hồ sơ "
                                         "đã giải quyết (field, month, resolved)")])  # fmt: skip


def _existing(conn: Connection, rows: list[_Row]) -> dict[tuple[str, str], int]:
    months = sorted({row.month for row in rows})
    query = select(dossier_counts.c.field, dossier_counts.c.month, dossier_counts.c.resolved)
    found = conn.execute(
        query.where(dossier_counts.c.month.in_(months), scope.owned(dossier_counts))
    )
    return {(field, month): resolved for field, month, resolved in found}


def _write(conn, field, month, before, resolved, actor, action, at=None) -> None:
    at = now_ms() if at is None else at
    key = (dossier_counts.c.field == field) & (dossier_counts.c.month == month)
    key = key & scope.owned(dossier_counts)
    if before is None:
        values = {"field": field, "month": month, "resolved": resolved, "updated_ms": at}
        values |= scope.owner()
        conn.execute(dossier_counts.insert().values(values))
    else:
        conn.execute(update(dossier_counts).where(key).values(resolved=resolved, updated_ms=at))
    old = None if before is None else {"field": field, "month": month, "resolved": before}
    new = {"field": field, "month": month, "resolved": resolved}
    record(conn, actor, action, "dossier_count", f"{field}/{month}", old, new, at)


def _is_total(cells: list, columns: dict[str, tuple[int, str]]) -> bool:
    """Tell a totals line ("Tổng cộng") that exports put under the table."""
    position = columns["field"][0]
    cell = cells[position] if position < len(cells) else None
    return not _blank(cell) and fold(str(cell)) in TOTAL_LABELS


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _raise(problem: str):
    raise InputError(problem)
