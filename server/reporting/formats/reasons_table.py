"""Table R: the reasons given for low ratings, per field (R1) and per official (R2), as typed cells.

Shown only while some kiosk asks for reasons or some press answered (reporting/reasons.py).
Columns are keyed by the reason number (reason_1 … reason_4), so a machine reading the CSV
keeps its meaning when staff rename a label; the heading shows the label in force.
"""

from __future__ import annotations

from hailong.server.reporting.data import ReportData
from hailong.server.reporting.formats.cells import Column, Table
from hailong.server.reporting.metrics import LEVEL_NAMES
from hailong.server.reporting.reasons import LOW_RATINGS, REASONS, ReasonRow, Reasons

SHEET = "R. Lý do chưa hài lòng"
NO_ANSWER = "Không trả lời"


def reasons_tables(data: ReportData) -> tuple[Table, ...]:
    """Return tables R1 (by field) and R2 (by official); none while reasons are off."""
    found = data.reasons
    if found is None:
        return ()
    return (
        _table("R1", "Bảng R1. Lý do chưa hài lòng theo lĩnh vực", "Lĩnh vực", found.fields, found),
        _table("R2", "Bảng R2. Lý do chưa hài lòng theo cán bộ", "Cán bộ", found.officials, found),
    )


def _table(code: str, title: str, who: str, rows: tuple[ReasonRow, ...], found: Reasons) -> Table:
    """Lay out one grouping's rows and the total."""
    columns = (
        Column("no", "TT", width=6),
        Column("name", who, width=24),
        Column("ratings", "Lượt " + " + ".join(LEVEL_NAMES[n] for n in LOW_RATINGS), width=14),
        *(Column(f"reason_{n}", f"{n}. {found.labels[n - 1]}", "Lý do", 14) for n in REASONS),
        Column("no_answer", NO_ANSWER, "Lý do", 12),
    )
    cells = [_cells(i, row) for i, row in enumerate(rows, start=1)]
    cells.append(_cells("", found.total))
    keys = tuple(row.code or "none" for row in rows) + ("total",)
    notes = (
        f"Lý do được hỏi sau các mức {_levels_text()}; đánh số 1–4 theo nút bấm từ trái sang. "
        f"{NO_ANSWER}: người dân bỏ qua hoặc hết thời gian chờ.",
        "Chỉ tính các lượt đánh giá được tính trong báo cáo (không tính lượt bấm thử, lượt bị "
        "loại ra); lượt được tính cho cán bộ trực tại quầy theo lịch trực.",
    )
    return Table(code, title, SHEET, columns, tuple(cells), keys,
                 totals=frozenset({len(cells) - 1}), notes=notes)  # fmt: skip


def _cells(number, row: ReasonRow) -> tuple:
    """Return one row's cells: its low ratings, each reason's count, and the unanswered."""
    return (number, row.name, row.total, *row.counts, row.no_answer)


def _levels_text() -> str:
    """Name the levels that ask for a reason: "Không hài lòng, Bình thường"."""
    return ", ".join(f'"{LEVEL_NAMES[level]}"' for level in LOW_RATINGS)
