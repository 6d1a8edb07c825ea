"""Table L (bổ sung): late arrivals for periods already published, as typed cells.

Shown only when some presses arrived late (reporting/late.py); the published report of their
own period never changes, so they are counted here, in the report of the period they arrived in.
"""

from __future__ import annotations

from hailong.server.reporting.data import ReportData
from hailong.server.reporting.formats.cells import Column, Table, level_cells, level_columns
from hailong.server.reporting.periods import format_dmy

CODE = "L"
TITLE = "Bảng bổ sung. Lượt đánh giá đến muộn của kỳ đã công bố"


def late_table(data: ReportData) -> Table | None:
    """Return table L, one row per published period with late arrivals; None when there are none."""
    if not data.late:
        return None
    columns = (
        Column("name", "Kỳ đã công bố", width=24),
        Column("published_on", "Ngày công bố", width=12),
        Column("ratings", "Lượt đánh giá bổ sung", width=10),
        *level_columns(),
        Column("rate_pct", "Tỷ lệ hài lòng", width=10),
    )
    rows = tuple(
        (f"Bổ sung {row.period.title_vi}", format_dmy(row.published_on), row.stats.total,
         *level_cells(row.stats), row.stats.rate)
        for row in data.late
    )  # fmt: skip
    keys = tuple(f"late {row.period.label}" for row in data.late)
    notes = (
        "Lượt bấm trong kỳ đã công bố nhưng đến máy chủ sau ngày công bố (kiosk mất kết nối, "
        "lượt được xác định lại thời gian): không làm thay đổi báo cáo đã công bố, được tính riêng "
        "ở đây, trong báo cáo của kỳ mà chúng đến.",
    )
    return Table(CODE, TITLE, "L. Bổ sung", columns, rows, keys, notes=notes)
