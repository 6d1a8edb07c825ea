"""Reports count every refused message: stored ones and those only counted beyond the allowance."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert

from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.settings import report_settings
from hailong.server.storage.schema import quarantine, quarantine_hours
from tests.server.report_world import at, build_world, ms


def test_rejects_beyond_the_hourly_allowance_are_in_the_reports_count(engine):
    build_world(engine)
    settings = report_settings(None, "Asia/Ho_Chi_Minh")
    with engine.connect() as conn:
        before = build_report(conn, parse_period("2024-03"), settings, date(2024, 4, 5))
    hour = ms(at("2024-03-12", "09:00"))
    with engine.begin() as conn:
        conn.execute(insert(quarantine).values(
            received_ms=hour + 5, topic="hailong/v1/k1/press", device="k1", seq=None,
            kind="invalid", reason="press: not valid JSON", payload=b"x" * 1024, length=60_000,
            sha256="0" * 64))  # fmt: skip
        conn.execute(insert(quarantine_hours).values(device="k1", hour_ms=hour, kept=1, dropped=1_999,
                                                     dropped_bytes=1_999 * 60_000))  # fmt: skip
        # the next month's hour is not March's
        conn.execute(insert(quarantine_hours).values(device="k1", hour_ms=ms(at("2024-04-02", "09:00")),
                                                     kept=0, dropped=7, dropped_bytes=7))  # fmt: skip
    with engine.connect() as conn:
        after = build_report(conn, parse_period("2024-03"), settings, date(2024, 4, 5))
    assert after.screening.quarantined == before.screening.quarantined + 2_000
