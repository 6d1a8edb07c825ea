"""Read a report from one snapshot, its rollups stored just before (a snapshot never writes)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from hailong.server.reporting.data import ReportData, build_report
from hailong.server.reporting.periods import Period
from hailong.server.reporting.rollup import refresh
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.snapshot import snapshot


def prepare(engine: Engine, period: Period, settings: ReportSettings) -> None:
    """Store the rollups the report of `period` (and its trend's period) will read."""
    with engine.connect() as conn:
        for shown in (period.previous(), period):
            refresh(conn, shown.start, shown.end, settings.flag_rules)


def read_report(engine: Engine, period: Period, settings: ReportSettings,
                issued: date | None = None) -> ReportData:  # fmt: skip
    """Return the report of `period`, every figure from one snapshot of the database."""
    prepare(engine, period, settings)
    with snapshot(engine) as conn:
        return build_report(conn, period, settings, issued=issued)
