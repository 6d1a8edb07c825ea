"""Tables A–D of a report as typed cells: every format shows the same cells its own way.

The cells are typed (formats/cells.py): every format writes the same cell its own way.
"""

from __future__ import annotations

from hailong.server.reporting.coverage import CoverageTotal, month_text
from hailong.server.reporting.data import FieldRow, OfficialRow, ReportData, Screening
from hailong.server.reporting.formats.cells import (
    Column,
    Delta,
    Table,
    level_cells,
    level_columns,
    points,
)
from hailong.server.reporting.formats.frame import (
    months_note,
    previous_line,
)
from hailong.server.reporting.formats.late_table import late_table
from hailong.server.reporting.formats.reasons_table import reasons_tables
from hailong.server.reporting.metrics import (
    BEST_FIRST,
    LEVEL_NAMES,
)

REPLY_NOTE = "Giải trình: ý kiến của chính cán bộ về kết quả của mình, viết trước khi công bố."


def report_tables(data: ReportData) -> tuple[Table, ...]:
    """Return tables A, B, R1–R2 (reasons, when asked), C, C2, D and L (late, when any)."""
    late = late_table(data)
    return (
        fields_table(data),
        officials_table(data),
        *reasons_tables(data),
        totals_table(data),
        screening_table(data),
        remarks_table(data),
        *((late,) if late else ()),
    )


def fields_table(data: ReportData) -> Table:
    """Table A: ratings against resolved dossiers, per field."""
    target = data.settings.coverage_target * 100
    columns = (
        Column("no", "TT", width=6),
        Column("name", "Lĩnh vực", width=24),
        Column("dossiers", "Hồ sơ đã giải quyết", width=10),
        Column("ratings", "Lượt đánh giá", width=10),
        Column("coverage_pct", "Tỷ lệ đánh giá / hồ sơ", width=10),
        Column("needed", "Lượt còn thiếu", width=9),
        *level_columns(),
        Column("rate_pct", "Tỷ lệ hài lòng", width=10),
    )
    rows = [_field_cells(i, row) for i, row in enumerate(data.fields, start=1)]
    rows += _coverage_total_rows(data)
    marked = {
        (i, "coverage_pct") for i, r in enumerate(data.fields) if r.coverage.meets_target is False
    }
    if data.field_total.meets_target is False:
        marked.add((len(data.fields), "coverage_pct"))
    notes = (
        f"Tỷ lệ đánh giá / hồ sơ = lượt đánh giá ÷ hồ sơ đã giải quyết; chỉ tiêu: trên {_num(target)}% "
        "ở từng lĩnh vực. Ô tô màu: chưa đạt chỉ tiêu; lượt còn thiếu: số lượt cần thêm để vượt chỉ tiêu.",
        "Dòng các lĩnh vực có số hồ sơ chỉ tính các lĩnh vực đã nhập số hồ sơ; chỉ đạt khi mọi lĩnh "
        "vực đều đạt, lượt còn thiếu là tổng lượt còn thiếu của các lĩnh vực.",
        "—: chưa nhập số hồ sơ đã giải quyết của lĩnh vực; lượt đánh giá của lĩnh vực đó và lượt "
        "không ghi lĩnh vực không tính vào tỷ lệ.",
        *missing_note(data.field_total),
        months_note(data),
    )
    keys = tuple(r.code or "none" for r in data.fields) + ("coverage", "outside coverage", "total")
    totals = frozenset(range(len(data.fields), len(rows)))
    return Table("A", "Bảng A. Kết quả theo lĩnh vực", "A. Theo lĩnh vực", columns, tuple(rows),
                 keys, frozenset(marked), totals, notes)  # fmt: skip


def missing_note(total: CoverageTotal) -> tuple[str, ...]:
    """Name the months whose dossier counts were not entered (never read as zero)."""
    if not total.missing_months:
        return ()
    names = ", ".join(month_text(m) for m in total.missing_months)
    return (f"Chưa nhập số hồ sơ: {names} (không tính là 0).",)


def _coverage_total_rows(data: ReportData) -> list[tuple]:
    """Return the measured fields' total, the ratings outside the ratio, and the grand total."""
    cov, blank = data.field_total, [None] * (2 * len(BEST_FIRST))
    measured = f"Các lĩnh vực có số hồ sơ ({cov.met_text})"
    outside = "Lượt không tính vào tỷ lệ (không ghi lĩnh vực, lĩnh vực chưa nhập số hồ sơ)"
    return [
        ("", measured, cov.dossiers, cov.ratings, cov.percent, cov.needed, *blank, None),
        ("", outside, None, cov.outside, None, None, *blank, None),
        ("", "Tổng cộng", None, data.totals.total, None, None, *level_cells(data.totals),
         data.totals.rate),
    ]  # fmt: skip


def officials_table(data: ReportData) -> Table:
    """Table B: each official's ratings, with rates and ranks held back below the minimum.

    A "Giải trình" column holds the officials' replies, when any official wrote one.
    """
    minimum = data.settings.min_sample
    replied = any(row.reply for row in data.officials)
    columns = (
        Column("no", "TT", width=6),
        Column("code", "Mã cán bộ", width=12),
        Column("name", "Họ và tên", width=20),
        Column("ratings", "Lượt đánh giá", width=10),
        *level_columns(),
        Column("rate_pct", "Tỷ lệ hài lòng", width=10),
        Column("rank", "Xếp hạng", width=8),
        *((Column("reply", "Giải trình", width=36),) if replied else ()),
    )
    reply = (lambda row: (row.reply or None,)) if replied else (lambda row: ())
    rows = [(*_official_cells(i, row), *reply(row)) for i, row in enumerate(data.officials, 1)]
    keys = [row.code for row in data.officials]
    if data.unattributed.total:
        rows.append(("", "", "Chưa xác định cán bộ", data.unattributed.total,
                     *level_cells(data.unattributed, False), None, None,
                     *((None,) if replied else ())))  # fmt: skip
        keys.append("unattributed")
    notes = (
        f"Tỷ lệ và xếp hạng chỉ tính khi cán bộ có từ {minimum} lượt đánh giá trở lên "
        "(—: chưa đủ mẫu, chỉ nêu số lượt).",
        "Xếp hạng theo tỷ lệ hài lòng đã hiệu chỉnh về mức chung của đơn vị, để vài lượt đánh giá "
        "không xếp trên hàng trăm lượt. Đây là một căn cứ tham khảo, không phải kết quả xếp loại.",
        "Lượt đánh giá được tính cho cán bộ trực tại quầy của kiosk theo lịch trực, không theo mã "
        "kiosk gửi kèm; quầy chưa có lịch trực thì theo mã gửi kèm.",
        *((REPLY_NOTE,) if replied else ()),
    )
    return Table("B", "Bảng B. Kết quả theo cán bộ, công chức", "B. Theo cán bộ", columns,
                 tuple(rows), tuple(keys), notes=notes)  # fmt: skip


def totals_table(data: ReportData) -> Table:
    """Table C: the period's totals against the previous period's."""
    trend = data.trend
    now, before = trend.current, trend.previous
    columns = (
        Column("measure", "Chỉ tiêu", width=34),
        Column("current", data.period.title_vi, width=14),
        Column("previous", data.previous.title_vi, width=14),
        Column("change", "Tăng (+) / giảm (−)", width=14),
    )
    rows = [("Tổng số lượt đánh giá", now.total, before.total, Delta(trend.total_diff))]
    keys = ["total"]
    for level in BEST_FIRST:
        name = LEVEL_NAMES[level]
        rows.append((f"{name} (lượt)", now.counts[level], before.counts[level],
                     Delta(now.counts[level] - before.counts[level])))  # fmt: skip
        rows.append((f"{name} (tỷ lệ)", now.shares[level], before.shares[level],
                     points(trend.share_diffs[level])))  # fmt: skip
        keys += [f"level_{level}", f"level_{level}_pct"]
    rows.append(("Tỷ lệ hài lòng", now.rate, before.rate, points(trend.rate_diff)))
    keys.append("rate_pct")
    notes = (previous_line(data), "Tỷ lệ tăng/giảm tính bằng điểm phần trăm.")
    return Table("C", "Bảng C. So sánh với kỳ trước", "C. So với kỳ trước", columns, tuple(rows),
                 tuple(keys), totals=frozenset({0, len(rows) - 1}), notes=notes)  # fmt: skip


def screening_table(data: ReportData) -> Table:
    """Table C (continued): presses received, filtered with reasons, and flagged."""
    columns = (
        Column("measure", "Số liệu thu nhận", width=34),
        Column("current", data.period.title_vi, width=14),
        Column("previous", data.previous.title_vi, width=14),
    )
    now, before = data.screening, data.previous_screening
    reasons = sorted(set(now.filtered) | set(before.filtered), key=lambda r: (r != "test", r))
    rows = [("Lượt bấm ghi nhận", now.raw, before.raw)]
    keys = ["raw"]
    for reason in reasons:
        rows.append((_reason(reason), now.filtered.get(reason, 0), before.filtered.get(reason, 0)))
        keys.append(f"filtered: {reason}")
    rows += [
        ("Lượt đánh giá được tính", now.accepted, before.accepted),
        ("Gắn cờ, vẫn tính: ngoài giờ làm việc", now.outside_hours, None),
        ("Gắn cờ, vẫn tính: bấm dồn dập", now.bursts, None),
        ("Gắn cờ, vẫn tính: ghi cán bộ khác lịch trực", now.official_mismatch, None),
        ("Gắn cờ, vẫn tính: hồ sơ đánh giá ở quầy khác cùng phút", now.dossier_collisions, None),
        ("Tin nhắn bị từ chối (không phải lượt đánh giá)", now.quarantined, before.quarantined),
    ]
    keys += ["accepted", "flag: outside hours", "flag: burst", "flag: official mismatch",
             "flag: dossier collision", "quarantined"]  # fmt: skip
    notes = _screening_notes(data.settings, now)
    return Table("C2", "Số liệu thu nhận, sàng lọc và gắn cờ", "C. So với kỳ trước", columns,
                 tuple(rows), tuple(keys), totals=frozenset({keys.index("accepted")}),
                 notes=notes)  # fmt: skip


def remarks_table(data: ReportData) -> Table:
    """Table D: the staff's remarks and proposals, one paragraph a row."""
    paragraphs = [p.strip() for p in data.remarks.splitlines() if p.strip()]
    rows = tuple((p,) for p in paragraphs) or (("(Chưa có nhận xét, kiến nghị cho kỳ này.)",),)
    columns = (Column("text", "Nhận xét, kiến nghị", width=110),)
    keys = tuple(f"paragraph {i}" for i in range(1, len(rows) + 1))
    return Table("D", "Bảng D. Nhận xét, kiến nghị", "D. Nhận xét, kiến nghị", columns, rows, keys)


def _field_cells(number: int, row: FieldRow) -> tuple:
    """Return one field's cells."""
    cov = row.coverage
    return (number, row.name, cov.dossiers, row.stats.total, cov.percent, cov.needed,
            *level_cells(row.stats), row.stats.rate)  # fmt: skip


def _official_cells(number: int, row: OfficialRow) -> tuple:
    """Return one official's cells; a held-back official shows counts only."""
    r = row.result
    return (number, row.code, row.name, r.sample, *level_cells(r.stats, not r.held_back),
            r.rate_shown, r.rank)  # fmt: skip


def _reason(reason: str) -> str:
    """Name a filter reason in Vietnamese."""
    if reason == "test":
        return "Loại ra: bấm thử (chế độ kiểm tra)"
    return f"Loại ra: {reason.removeprefix('excluded: ')}"


def _screening_notes(settings, now: Screening) -> tuple[str, ...]:
    """Explain the flags, and say when they are only minimums."""
    hours = "; ".join(f"{a}–{b}" for a, b in settings.office_hours) + ", thứ Hai đến thứ Sáu"
    if settings.saturday_hours:
        hours += "; thứ Bảy: " + "; ".join(f"{a}–{b}" for a, b in settings.saturday_hours)
    notes = [
        f"Giờ làm việc: {hours}. Bấm dồn dập: hơn {settings.burst_max} lượt "
        f"trên một máy trong {_num(settings.burst_window_s)} giây. Lượt gắn cờ vẫn được tính; "
        "lượt loại ra có ghi lý do, không lượt nào bị xoá.",
        "Ghi cán bộ khác lịch trực: lượt bấm ghi một cán bộ khác với người trực tại quầy của kiosk "
        "theo lịch trực; lượt được tính cho người trực. Hồ sơ đánh giá ở quầy khác cùng phút: "
        "lượt đánh giá sau không bị loại theo quy tắc một hồ sơ một lượt, cần cán bộ xem xét.",
    ]
    if not now.complete:
        notes.append(f"Số lượt gắn cờ là số tối thiểu: đã xét {settings.flag_limit} lượt đầu.")
    return tuple(notes)


def _num(value: float) -> str:
    """Write 80.0 as "80" and 7.5 as "7,5"."""
    return f"{value:g}".replace(".", ",")
