"""The report upward's tables as typed cells (cells.py), in Vietnamese or English.

P1 ranks the offices (ratings, shares, rate, the previous period); P2 gives each office's
coverage per field and "k/n lĩnh vực đạt"; P3 sums each field across the province; P4 names
the offices below the coverage target or silent. Every figure is read from ProvinceReport.
"""

from __future__ import annotations

from hailong.server.reporting.coverage import month_text
from hailong.server.reporting.data import NO_FIELD, NO_FIELD_NAME
from hailong.server.reporting.formats.cells import (
    Column,
    Table,
    level_cells,
    level_columns,
    points,
    thousands,
)
from hailong.server.reporting.formats.province_words import report_text
from hailong.server.reporting.metrics import fmt_pct
from hailong.server.reporting.province import (
    BELOW_TARGET,
    NO_DOSSIERS,
    SILENT,
    OfficeRow,
    ProvinceReport,
)

PROVINCE_KEY = "province"


def province_tables(report: ProvinceReport, lang: str = "vi") -> tuple[Table, ...]:
    """Return tables P1–P4 of the report upward."""
    return (
        offices_table(report, lang),
        coverage_table(report, lang),
        fields_table(report, lang),
        flagged_table(report, lang),
    )


def offices_table(report: ProvinceReport, lang: str = "vi") -> Table:
    """P1: each office's ratings, shares and rate against its previous period, ranked fairly."""
    columns = (
        Column("no", "TT", width=5),
        Column("code", report_text("Mã đơn vị", lang), width=10),
        Column("name", report_text("Đơn vị", lang), width=24),
        Column("ratings", report_text("Lượt đánh giá", lang), width=10),
        *_levels(lang),
        Column("rate_pct", report_text("Tỷ lệ hài lòng", lang), width=10),
        Column("previous_rate_pct", report_text("Tỷ lệ hài lòng kỳ trước", lang), width=10),
        Column("change_points", report_text("Tăng (+) / giảm (−), điểm %", lang), width=10),
        Column("rank", report_text("Xếp hạng", lang), width=8),
    )
    rows = [_office_cells(i, row) for i, row in enumerate(report.offices, start=1)]
    t, trend = report.totals, report.trend
    rows.append(("", "", report_text("Toàn tỉnh", lang), t.total, *level_cells(t), t.rate,
                 trend.previous.rate, points(trend.rate_diff), None))  # fmt: skip
    keys = tuple(row.code for row in report.offices) + (PROVINCE_KEY,)
    minimum = report.settings.min_sample
    notes = (
        report_text("Tỷ lệ và xếp hạng chỉ tính khi đơn vị có từ {n} lượt đánh giá trở lên "
            "(—: chưa đủ mẫu, chỉ nêu số lượt).", lang, n=minimum),
        report_text("Xếp hạng theo tỷ lệ hài lòng đã hiệu chỉnh về mức chung của toàn tỉnh, để vài lượt "
            "đánh giá không xếp trên hàng nghìn lượt; đơn vị bằng điểm nhau cùng hạng.", lang),
        report_text("Dòng toàn tỉnh cộng số lượt của các đơn vị rồi tính tỷ lệ, không lấy trung bình các "
            "tỷ lệ. Kỳ trước: {title}.", lang, title=report.previous.title_vi),
    )  # fmt: skip
    return Table("P1", report_text("Bảng 1. Kết quả theo đơn vị", lang), report_text("1. Theo đơn vị", lang),
                 columns, tuple(rows), keys, totals=frozenset({len(rows) - 1}),
                 notes=notes)  # fmt: skip


def coverage_table(report: ProvinceReport, lang: str = "vi") -> Table:
    """P2: each office's ratings ÷ resolved dossiers per field, and its k/n fields met."""
    fields = [f for f in report.fields if f.code != NO_FIELD]
    group = report_text("Tỷ lệ đánh giá / hồ sơ theo lĩnh vực", lang)
    columns = (
        Column("no", "TT", width=5),
        Column("name", report_text("Đơn vị", lang), width=24),
        *(Column(f"field:{f.code}", f.name, group, width=9) for f in fields),
        Column("coverage_pct", report_text("Các lĩnh vực có số hồ sơ", lang), width=10),
        Column("fields_met", report_text("Lĩnh vực đạt", lang), width=9),
        Column("needed", report_text("Lượt còn thiếu", lang), width=9),
    )
    rows, marked = [], set()
    for i, row in enumerate(report.offices):
        cells = [row.coverage[f.code].percent if f.code in row.coverage else None for f in fields]
        marked |= {(i, f"field:{f.code}") for f in fields
                   if f.code in row.coverage and row.coverage[f.code].meets_target is False}  # fmt: skip
        cov = row.field_total
        if cov.meets_target is False:
            marked.add((i, "coverage_pct"))
        rows.append((i + 1, row.name, *cells, cov.percent, _met(cov), cov.needed))
    cov, last = report.field_total, len(rows)
    marked |= {(last, f"field:{f.code}") for f in fields if f.coverage.meets_target is False}
    if cov.meets_target is False:
        marked.add((last, "coverage_pct"))
    rows.append(("", report_text("Toàn tỉnh (cộng số lượt và số hồ sơ)", lang),
                 *(f.coverage.percent for f in fields), cov.percent, _met(cov), cov.needed))  # fmt: skip
    target = fmt_pct(report.settings.coverage_target * 100, lang, digits=0)
    notes = (
        report_text("Chỉ tiêu: trên {target} số hồ sơ đã giải quyết ở từng lĩnh vực; ô tô màu: chưa đạt. "
            "Lĩnh vực đạt: số lĩnh vực đạt / số lĩnh vực có số hồ sơ; đơn vị chỉ đạt khi mọi "
            "lĩnh vực đều đạt.", lang, target=target),
        report_text("—: đơn vị chưa nhập số hồ sơ của lĩnh vực. Dòng toàn tỉnh chỉ cộng các đơn vị đã "
            "nhập số hồ sơ của lĩnh vực đó; một lĩnh vực có thể đạt khi cộng lại dù có đơn vị "
            "chưa đạt.", lang),
        *_missing_notes(report, lang),
    )  # fmt: skip
    keys = tuple(row.code for row in report.offices) + (PROVINCE_KEY,)
    return Table("P2", report_text("Bảng 2. Tỷ lệ đánh giá trên hồ sơ đã giải quyết", lang),
                 report_text("2. Theo lĩnh vực và đơn vị", lang), columns, tuple(rows), keys,
                 frozenset(marked), frozenset({last}), notes)  # fmt: skip


def fields_table(report: ProvinceReport, lang: str = "vi") -> Table:
    """P3: each field summed over the province, and how many offices meet it."""
    columns = (
        Column("no", "TT", width=5),
        Column("name", report_text("Lĩnh vực", lang), width=24),
        Column("dossiers", report_text("Hồ sơ đã giải quyết", lang), width=10),
        Column("measured", report_text("Lượt đánh giá (đơn vị có số hồ sơ)", lang), width=10),
        Column("coverage_pct", report_text("Tỷ lệ đánh giá / hồ sơ", lang), width=10),
        Column("needed", report_text("Lượt còn thiếu", lang), width=9),
        Column("offices_met", report_text("Đơn vị đạt", lang), width=9),
        Column("ratings", report_text("Tổng lượt đánh giá", lang), width=10),
        Column("rate_pct", report_text("Tỷ lệ hài lòng", lang), width=10),
    )
    rows, marked = [], set()
    for i, f in enumerate(report.fields):
        cov = f.coverage
        measured = cov.ratings if cov.dossiers is not None else None
        met = f"{f.offices_met}/{f.offices_measured}" if f.offices_measured else None
        name = report_text(NO_FIELD_NAME, lang) if f.code == NO_FIELD else f.name
        rows.append((i + 1, name, cov.dossiers, measured, cov.percent, cov.needed, met,
                     f.stats.total, f.stats.rate))  # fmt: skip
        if cov.meets_target is False:
            marked.add((i, "coverage_pct"))
    cov, t = report.field_total, report.totals
    met = f" ({_met(cov)} {report_text('lĩnh vực đạt', lang)})" if cov.fields else ""
    rows.append(("", f"{report_text('Toàn tỉnh', lang)}{met}",
                 cov.dossiers, cov.ratings, cov.percent, cov.needed, None, t.total, t.rate))  # fmt: skip
    if cov.meets_target is False:
        marked.add((len(rows) - 1, "coverage_pct"))
    notes = (
        report_text("Lượt không tính vào tỷ lệ (không ghi lĩnh vực, hoặc đơn vị chưa nhập số hồ sơ của "
            "lĩnh vực): {n}.", lang, n=thousands(cov.outside, lang)),
        report_text("Đơn vị đạt: số đơn vị đạt chỉ tiêu ở lĩnh vực / số đơn vị có số hồ sơ của lĩnh vực.",
            lang),
    )  # fmt: skip
    keys = tuple(f.code or "none" for f in report.fields) + (PROVINCE_KEY,)
    return Table("P3", report_text("Bảng 3. Tổng hợp theo lĩnh vực", lang), report_text("3. Theo lĩnh vực", lang),
                 columns, tuple(rows), keys, frozenset(marked), frozenset({len(rows) - 1}),
                 notes)  # fmt: skip


def flagged_table(report: ProvinceReport, lang: str = "vi") -> Table:
    """P4: the offices below the coverage target, silent in office hours, or with no counts."""
    columns = (
        Column("no", "TT", width=5),
        Column("name", report_text("Đơn vị", lang), width=30),
        Column("reason", report_text("Cần lưu ý", lang), width=70),
    )
    flagged = [row for row in report.offices if row.flags]
    rows = tuple((i, row.name, "; ".join(_flag_text(row, flag, lang) for flag in row.flags))
                 for i, row in enumerate(flagged, start=1))  # fmt: skip
    keys = tuple(row.code for row in flagged)
    if not rows:
        rows, keys = (("", report_text("(Không có đơn vị nào.)", lang), ""),), ("none",)
    marked = frozenset((i, "reason") for i in range(len(flagged)))
    return Table("P4", report_text("Bảng 4. Đơn vị cần lưu ý", lang), report_text("4. Cần lưu ý", lang), columns,
                 rows, keys, marked)  # fmt: skip


def summary_text(report: ProvinceReport, lang: str = "vi") -> str:
    """Say in one paragraph how many offices reported, how satisfied people were, what is short."""
    t, cov = report.totals, report.field_total
    ranked = sum(1 for row in report.offices if row.ranking.rank is not None)
    text = report_text("Tổng hợp {n} đơn vị, {ranked} đơn vị đủ mẫu để xếp hạng; {total} lượt đánh giá "
               "được tính, tỷ lệ hài lòng toàn tỉnh {rate} (kỳ trước {before}).", lang,
               n=len(report.offices), ranked=ranked, total=thousands(t.total, lang), rate=fmt_pct(t.rate, lang),
               before=fmt_pct(report.trend.previous.rate, lang))  # fmt: skip
    if cov.fields:
        text += " " + report_text("Tỷ lệ đánh giá trên hồ sơ của các lĩnh vực có số hồ sơ: {pct}, {met} "
                          "lĩnh vực đạt.", lang, pct=fmt_pct(cov.percent, lang), met=_met(cov))  # fmt: skip
    below = sum(1 for row in report.offices if BELOW_TARGET in row.flags)
    silent = sum(1 for row in report.offices if SILENT in row.flags)
    return text + " " + report_text("{below} đơn vị chưa đạt chỉ tiêu, {silent} đơn vị không có lượt đánh "
                            "giá trong giờ làm việc.", lang, below=below, silent=silent)  # fmt: skip


def _levels(lang: str) -> list[Column]:
    """Return the level columns with their names in the report's language."""
    return [Column(c.key, report_text(c.heading, lang), report_text(c.group, lang), c.width)
            for c in level_columns()]  # fmt: skip


def _office_cells(number: int, row: OfficeRow) -> tuple:
    """Return one office's cells; one held back below the minimum shows counts only."""
    r, trend = row.ranking, row.trend
    shown = not r.held_back
    return (number, row.code, row.name, r.sample, *level_cells(r.stats, shown), r.rate_shown,
            trend.previous.rate if shown else None, points(trend.rate_diff) if shown else None,
            r.rank)  # fmt: skip


def _met(cov) -> str | None:
    """Return "k/n" fields met, or None when nothing is measured."""
    return f"{cov.met}/{cov.fields}" if cov.fields else None


def _flag_text(row: OfficeRow, flag: str, lang: str) -> str:
    """Say why an office is singled out."""
    if flag == BELOW_TARGET:
        return report_text("chưa đạt chỉ tiêu đánh giá trên hồ sơ ({met} lĩnh vực đạt, còn thiếu {n} "
                   "lượt)", lang, met=_met(row.field_total), n=thousands(row.field_total.needed, lang))  # fmt: skip
    if flag == SILENT:
        return report_text("không có lượt đánh giá nào trong giờ làm việc", lang)
    assert flag == NO_DOSSIERS
    return report_text("chưa nhập số hồ sơ đã giải quyết", lang)


def _missing_notes(report: ProvinceReport, lang: str) -> tuple[str, ...]:
    """Name, per office, the months whose dossier counts were not entered (never read as 0)."""
    lines = [f"{row.name}: {', '.join(month_text(m) for m in row.missing_months)}"
             for row in report.offices if row.missing_months]  # fmt: skip
    if not lines:
        return ()
    return (
        report_text("Chưa nhập số hồ sơ (không tính là 0): {lines}.", lang, lines="; ".join(lines)),
    )
