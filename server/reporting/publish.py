"""Publish on the 28th: write every report due into the publication folder, update the board.

Layout: <folder>/<period label>/bao-cao-hai-long-<label>.{xlsx,pdf,csv} and <folder>/board.json.
Running again is safe: a file whose content would not change is left untouched (same bytes,
same modification time); one that would is replaced atomically (temp file, then rename).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from hailong.protocol.files import write_atomic
from hailong.server.reporting.data import ReportData, ReportSettings, build_report
from hailong.server.reporting.formats import FORMATS, REPORT_MODE, render
from hailong.server.reporting.metrics import BEST_FIRST, fmt_pct
from hailong.server.reporting.periods import Period, due_on

BOARD = "board.json"
STEM = "bao-cao-hai-long"


def publish(
    engine: Engine, day: date, folder: Path, settings: ReportSettings, convention: str = "calendar"
) -> list[Path]:
    """Write the reports due on `day` and the board; return every file that now holds them."""
    written: list[Path] = []
    entries = []
    for period in due_on(day, convention):
        with engine.connect() as conn:
            data = build_report(conn, period, settings, issued=day)
        paths = [
            write_if_changed(report_path(folder, period, fmt), render(data, fmt)) for fmt in FORMATS
        ]
        written += paths
        entries.append(board_entry(data, [p.relative_to(folder) for p in paths]))
    if entries:
        written.append(update_board(folder / BOARD, day, settings, entries))
    return written


def report_path(folder: Path, period: Period, fmt: str) -> Path:
    """Return the stable name of a period's report in one format."""
    return folder / period.label / f"{STEM}-{period.label}.{fmt}"


def write_if_changed(path: Path, content: bytes) -> Path:
    """Write `content` atomically unless the file already holds exactly that."""
    if path.exists() and path.read_bytes() == content:
        return path
    return write_atomic(path, content, mode=REPORT_MODE)


def board_entry(data: ReportData, files: list[Path]) -> dict:
    """Return what the public board shows of one report: totals, shares, rate, coverage."""
    totals, cov = data.totals, data.field_total
    return {
        "period": data.period.label,
        "kind": data.period.kind,
        "convention": data.period.convention,
        "title": data.period.title_vi,
        "from": data.period.start.isoformat(),
        "to": data.period.end.isoformat(),
        "ratings": totals.total,
        "counts": {str(level): totals.counts[level] for level in BEST_FIRST},
        "shares_pct": {str(level): _pct(totals.shares[level]) for level in BEST_FIRST},
        "rate_pct": _pct(totals.rate),
        "previous": {"period": data.previous.label, "rate_pct": _pct(data.trend.previous.rate)},
        "coverage_pct": _pct(cov.percent),
        "coverage_target_pct": _pct(data.settings.coverage_target * 100),
        "files": {path.suffix[1:]: path.as_posix() for path in files},
    }


def update_board(path: Path, day: date, settings: ReportSettings, entries: list[dict]) -> Path:
    """Write board.json for the publication of `day`, unless a later one is already shown."""
    if path.exists():
        try:
            shown = date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["published"])
        except (ValueError, KeyError, TypeError):
            shown = None  # unreadable: replace it
        if shown is not None and shown > day:
            return path  # a rerun for an earlier 28th must not take the newer figures down
    board = {"published": day.isoformat(), "unit": settings.unit_name, "reports": entries}
    text = json.dumps(board, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return write_if_changed(path, text.encode("utf-8"))


def _pct(value: float | None) -> float | None:
    """Round a percentage as the printed report does (half up, one decimal)."""
    return None if value is None else float(fmt_pct(value, "en").removesuffix("%"))
