"""Every figure of a page or a report comes from one snapshot: the parts add up under live ingest."""

from __future__ import annotations

import threading
import time
from datetime import date

from hailong.server.reporting.figures import FigureCache
from hailong.server.reporting.periods import custom
from hailong.server.reporting.reading import read_report
from hailong.server.reporting.settings import ReportSettings
from tests.server.batches import press, store
from tests.server.report_world import (
    world_engine,  # noqa: F401 - the `engine` fixture
)

MARCH = custom(date(2024, 3, 1), date(2024, 3, 31))
SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh")
SEEN = 4  # distinct totals the builds must see, so that presses really arrived meanwhile
BUILD_AT_LEAST_S = 3.0  # many builds, many chances to catch a torn read
BUILD_AT_MOST_S = 60.0  # a slow machine builds fewer per second: wait for SEEN, bounded


class Writer(threading.Thread):
    """Store presses through the batch writer, one small batch after another, until stopped."""

    def __init__(self, engine):
        super().__init__(daemon=True)
        self.engine, self.stop, self.stored, self.error = engine, threading.Event(), 0, None

    def run(self):
        seq = 0
        try:
            while not self.stop.is_set():
                seq += 1
                # Some at night (out of hours), on both counters and none, every level.
                hour = 22 if seq % 3 == 0 else 9 + seq % 8
                day = 1 + seq % 28
                ts = f"2024-03-{day:02d}T{hour:02d}:{seq % 60:02d}:00.000+07:00"
                counter = ("Q1", "Q2", None)[seq % 3]
                store(
                    self.engine, [press("live-1", seq, ts=ts, rating=1 + seq % 4, counter=counter)]
                )
                self.stored += 1
        except Exception as exc:  # the test fails on it below, not silently in a thread
            self.error = exc


def built_while_writing(engine, build, total) -> list:
    """Build `build()` over and over while presses arrive, until SEEN distinct totals; return them."""
    writer = Writer(engine)
    writer.start()
    found, totals = [], set()
    start = time.monotonic()
    try:
        while time.monotonic() - start < BUILD_AT_MOST_S and (
            len(totals) < SEEN or time.monotonic() - start < BUILD_AT_LEAST_S
        ):
            found.append(build())
            totals.add(total(found[-1]))
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert not writer.is_alive(), "the writer stopped"
    assert writer.error is None, writer.error
    assert len(totals) >= SEEN, f"the builds saw presses arrive: {sorted(totals)}"
    return found


def test_every_page_s_parts_add_up_to_its_total_under_live_ingest(engine):
    cache = FigureCache()
    pages = built_while_writing(
        engine,
        lambda: cache.figures(engine, MARCH, SETTINGS, date(2024, 4, 1)),
        lambda page: page.data.totals.total,
    )
    for page in pages:
        total = page.data.totals.total
        assert sum(row.stats.total for row in page.counters) == total
        assert sum(page.data.totals.counts.values()) == total
        assert sum(map(sum, page.heat)) == total
        assert page.heat_max <= total
        assert page.data.screening.accepted == total
        assert page.data.screening.outside_hours <= total


def test_every_report_s_parts_add_up_to_its_total_under_live_ingest(engine):
    reports = built_while_writing(
        engine, lambda: read_report(engine, MARCH, SETTINGS), lambda data: data.totals.total
    )
    for data in reports:
        total = data.totals.total
        assert sum(row.stats.total for row in data.fields) == total
        officials = sum(row.result.stats.total for row in data.officials)
        assert officials + data.unattributed.total == total
        assert data.screening.accepted == total
        assert data.screening.outside_hours <= total
