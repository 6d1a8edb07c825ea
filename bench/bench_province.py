"""Time the report upward's own part: consolidating 100 offices and writing XLSX, PDF and CSV.

Run: .venv/bin/python bench/bench_province.py [--offices 100] [--fields 10] [--repeat 5]

Reading each office's figures from the database is build_report's (bench_reports.py, and the
office model's benchmark on PostgreSQL); this measures what comes after: `consolidate` and the
three writers, for a year's figures of --offices offices with --fields fields each. The baseline
in the same run is openpyxl writing the same number of cells, plain, to a workbook (the floor of
any XLSX of this size). Each figure is the median of --repeat runs after a warm-up. Exit status 1
when the whole (consolidate + the three formats) misses the issue's 10 s.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from datetime import date

from openpyxl import Workbook

from hailong.server.reporting.formats.province_docs import render_province
from hailong.server.reporting.formats.province_tables import province_tables
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.province import FieldFigures, OfficeFigures, consolidate
from hailong.server.reporting.settings import ProvinceFrame, ReportSettings

GOAL_S = 10.0
FIELDS = ("Hộ tịch", "Chứng thực", "Nuôi con nuôi", "Đất đai", "Lao động - Thương binh và Xã hội",
          "Thi đua - Khen thưởng", "Giáo dục và Đào tạo", "Nông nghiệp", "Văn hóa", "Khác")  # fmt: skip


def office(rng: random.Random, number: int, fields: int) -> OfficeFigures:
    """Return one office's year: ~20,000 ratings over its fields, dossiers near 80 % coverage."""
    rows, total = [], dict.fromkeys((1, 2, 3, 4), 0)
    for f in range(fields):
        counts = {
            level: rng.randrange(10, 2000) * w for level, w in ((4, 6), (3, 3), (2, 1), (1, 1))
        }
        rated = sum(counts.values())
        dossiers = None if rng.random() < 0.05 else int(rated / rng.uniform(0.7, 0.95))
        rows.append(FieldFigures(f"f{f:02d}", FIELDS[f % len(FIELDS)] + ("" if f < 10 else f" {f}"),
                                 counts, dossiers))  # fmt: skip
        for level in total:
            total[level] += counts[level]
    previous = {level: n * rng.randrange(80, 120) // 100 for level, n in total.items()}
    in_hours = 0 if number % 37 == 0 else sum(total.values())
    return OfficeFigures(f"xa-{number:03d}", f"Xã số {number}", "2024", total, previous,
                         tuple(rows), in_hours)  # fmt: skip


def median_s(run, repeat: int) -> float:
    """Return the median wall time of run() over `repeat` runs after one warm-up."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plain_cells(report) -> None:
    """Write every cell of the tables to a plain workbook: the baseline."""
    book = Workbook()
    for table in province_tables(report):
        sheet = book.create_sheet(table.sheet)
        for cells in table.rows:
            sheet.append([None if v is None else v if isinstance(v, (int, float)) else str(v)
                          for v in cells])  # fmt: skip
    book.save(io.BytesIO())


def main(argv: list[str] | None = None) -> int:
    """Measure, print the figures beside the baseline, and judge the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=100)
    parser.add_argument("--fields", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rng = random.Random(15)
    offices = [office(rng, n, args.fields) for n in range(1, args.offices + 1)]
    period = parse_period("2024")
    settings = ReportSettings(time_zone="Asia/Ho_Chi_Minh", province=ProvinceFrame(
        unit_name="Sở Nội vụ", place="An Giang"))  # fmt: skip
    issued = date(2024, 12, 28)
    report = consolidate(period, offices, settings, issued)
    figures = {"consolidate": median_s(lambda: consolidate(period, offices, settings, issued),
                                       args.repeat)}  # fmt: skip
    for fmt in ("csv", "xlsx", "pdf"):
        figures[fmt] = median_s(lambda fmt=fmt: render_province(report, fmt), args.repeat)
    baseline = median_s(lambda: plain_cells(report), args.repeat)
    whole = sum(figures.values())
    print(f"report upward, {args.offices} offices × {args.fields} fields, median of {args.repeat}:")
    for name, seconds in figures.items():
        print(f"  {name:<12} {seconds * 1000:9.1f} ms")
    print(f"  {'all':<12} {whole * 1000:9.1f} ms   (goal ≤ {GOAL_S:.0f} s)")
    print(f"  baseline: openpyxl, the same cells plain  {baseline * 1000:9.1f} ms")
    if whole > GOAL_S:
        print(f"MISSED: {whole:.2f} s > {GOAL_S} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
