"""An office's row of the report upward, read with only what the row shows.

office_figures(build_report(…)) reads an office's whole report: officials and duty, reasons,
late arrivals, attribution marks, each a pass over the office's presses. The report upward shows
none of those: its row is the accepted ratings per field and level, the previous period's per
level, the dossier counts, and the ratings within office hours. This reads exactly those, with
build_report's own steps (its counting, exclusions, flags and table A), so the figures are the
same by construction (tests/server/test_province_database.py compares both on every backend).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from hailong.server.reporting.data import (
    _count_period,
    _field_rows,
    _level_stats,
    _rollup_mode,
    dossier_months,
)
from hailong.server.reporting.metrics import LEVELS
from hailong.server.reporting.periods import Period
from hailong.server.reporting.province import FieldFigures, OfficeFigures
from hailong.server.reporting.settings import ReportSettings


def office_row(conn: Connection, code: str, name: str, period: Period,
               settings: ReportSettings) -> OfficeFigures:  # fmt: skip
    """Return the office acted for's figures of `period`, as office_figures would take them."""
    mode = _rollup_mode(conn)
    now = _count_period(conn, period, settings, mode, flags=True)
    before = _count_period(conn, period.previous(), settings, mode, flags=False)
    totals = _level_stats(now.by_field)
    rows, total = _field_rows(conn, now.by_field, dossier_months(period), settings.coverage_target)
    fields = tuple(FieldFigures(r.code, r.name, dict(r.stats.counts), r.coverage.dossiers)
                   for r in rows if r.stats.total or r.coverage.dossiers is not None)  # fmt: skip
    outside = min(_outside_hours(now, settings), totals.total)
    previous = _level_stats(before.by_field).counts
    return OfficeFigures(code, name, period.label, dict(totals.counts),
                         {level: int(previous.get(level, 0)) for level in LEVELS}, fields,
                         totals.total - outside, total.missing_months)  # fmt: skip


def _outside_hours(counted, settings: ReportSettings) -> int:
    """Count the accepted presses of the period outside office hours, as _flags does.

    _flags judges each candidate as a Rating with metrics (and looks for bursts, which the row
    does not show): the candidates sorted by time, the first flag_limit of them. The same
    candidates inside the period that are accepted (live, not excluded) and outside the hours
    are counted here from the rows, each time judged by integer arithmetic (judge_ms).
    """
    rows = counted.gathered.candidates.values()
    if len(rows) > settings.flag_limit:  # the same prefix as _flags' (a stable sort of the same)
        rows = sorted(rows, key=lambda row: row[3])[: settings.flag_limit]
    start, end = counted.bounds
    out = {(r.device, r.seq) for r in counted.excluded if r.excluded is not None}
    is_open = settings.office.judge_ms(start, end)
    return sum(1 for device, seq, _rating, at_ms, _c, _f, mode, _o in rows
               if start <= at_ms < end and mode != "test" and (device, seq) not in out
               and not is_open(at_ms))  # fmt: skip
