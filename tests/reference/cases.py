"""The presses placed on purpose: period borders, time offsets, re-dating, dossiers, duty, marks."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.reference.dataset import Event, health_item
from tests.reference.office import DUTY_HANDOVER, HCM, PUBLICATIONS

MS = timedelta(milliseconds=1)
# boot -> (mono, true instant) of its first synced reading; sub-millisecond digits on purpose.
ANCHORS = {"k3-b2": (86400.2503, datetime(2025, 4, 1, 0, 0, 5, tzinfo=HCM))}
ANCHOR_RECEIVED = datetime(2025, 4, 1, 0, 0, 6, tzinfo=HCM)
TECH, CHILD = "Kỹ thuật viên bấm thử", "Trẻ em bấm nghịch"
MARKS = (("tech-session", TECH), ("mark-dossier", TECH), ("child", CHILD))


def special_events() -> list[Event]:
    """Return every case a report could get wrong."""
    return [*border_events(), *redated_events(), *dossier_events(), *duty_events(),
            *marked_events(), *hours_events(), *burst_events(), *late_events()]  # fmt: skip


def border_events() -> list[Event]:
    """Presses 1 ms before and at every calendar and cut-off border, in +07:00 and Z."""
    found = []
    for year, month in [(2024, 12)] + [(2025, m) for m in range(1, 13)] + [(2026, 1)]:
        for day in (1, 15):
            border = datetime(year, month, day, tzinfo=HCM)
            found += [
                Event("k1", border - MS, 1, "ho-tich", mode="live"),
                Event("k2", border - MS, 2, None, utc=True),  # the same instant, written in UTC
                Event("k1", border, 4, "chung-thuc", utc=True),
                Event("k3", border, 3, "dat-dai", dossier=f"HS-B{year}{month:02d}{day:02d}"),
                Event("k2", border + MS, 1, "dat-dai", mode="test"),
            ]
    return found


def redated_events() -> list[Event]:
    """Unsynced presses of k3 around midnight 31/03–01/04/2025, re-dated by the anchor.

    Those pressed before 00:00:04 reach the collector before the anchor does (re-dated in the
    database); the later ones after it (re-dated as they are stored). A k5 boot never anchors:
    its press keeps the wrong clock (year 2000) and falls in no period.
    """
    start = datetime(2025, 3, 31, 23, 59, 51, tzinfo=HCM)
    found = [Event("k3", start + timedelta(seconds=2 * i), 1 + i % 4, "dat-dai", boot="k3-b2")
             for i in range(10)]  # fmt: skip
    later = datetime(2025, 4, 1, 8, 0, tzinfo=HCM)
    found += [Event("k3", later + timedelta(milliseconds=1500 * i), 4, "dat-dai", boot="k3-b2")
              for i in range(5)]  # a burst, re-dated as stored  # fmt: skip
    found.append(Event("k5", datetime(2025, 6, 3, 9, 0, tzinfo=HCM), 1, None, boot="k5-lost"))
    return found


def health_messages() -> list:
    """Return (delivery instant, Health) for every anchored boot."""
    return [
        (ANCHOR_RECEIVED, health_item("k3", boot, mono, at, ANCHOR_RECEIVED))
        for boot, (mono, at) in ANCHORS.items()
    ]


def dossier_events() -> list[Event]:
    """One rating per dossier: a late earlier one, a same-counter repeat, a collision, a test."""
    day = lambda d, h, m=0, s=0: datetime(2025, *d, h, m, s, tzinfo=HCM)  # noqa: E731
    return [
        Event("k1", day((5, 7), 10), 2, "ho-tich", dossier="HS-LATE"),
        Event("k4", day((5, 6), 9), 4, "ho-tich", dossier="HS-LATE", delay=timedelta(days=9)),
        Event("k1", day((7, 10), 9), 4, "ho-tich", dossier="HS-SAMEQ"),
        Event("k4", day((7, 10), 9, 0, 20), 1, "ho-tich", dossier="HS-SAMEQ"),
        Event("k2", day((7, 10), 9), 3, "chung-thuc", dossier="HS-COLL"),
        Event("k3", day((7, 10), 9, 0, 30), 1, "dat-dai", dossier="HS-COLL"),
        Event("k2", day((8, 5), 9), 4, "chung-thuc", dossier="HS-MARK", tag="mark-dossier"),
        Event("k3", day((8, 5), 10), 2, "chung-thuc", dossier="HS-MARK"),
        Event("k2", day((9, 3), 9), 1, "chung-thuc", dossier="HS-TM", mode="test"),
        Event("k1", day((9, 3), 10), 3, "ho-tich", dossier="HS-TM"),
    ]


def duty_events() -> list[Event]:
    """Presses at Q1 1 ms before, at, and 1 ms after the handover from cb-01 to cb-02."""
    return [
        Event("k1", DUTY_HANDOVER - MS, 2, "ho-tich", official="cb-01"),
        Event("k1", DUTY_HANDOVER, 1, "ho-tich", official="cb-01"),  # names the one gone
        Event("k4", DUTY_HANDOVER + MS, 3, "ho-tich", official="cb-02"),
    ]


def marked_events() -> list[Event]:
    """A technician's session and a child's press, which staff mark as tests."""
    session = datetime(2025, 2, 12, 7, 0, tzinfo=HCM)
    return [
        *[
            Event("k1", session + timedelta(seconds=10 * i), 1, "ho-tich", tag="tech-session")
            for i in range(3)
        ],  # fmt: skip
        Event("k2", datetime(2025, 10, 20, 10, 0, tzinfo=HCM), 1, "chung-thuc", tag="child"),
    ]


def hours_events() -> list[Event]:
    """Presses on Saturday, Sunday, holidays and 1 ms either side of each opening and closing."""
    at = lambda d, h, m=0, ms=0: datetime(2025, *d, h, m, tzinfo=HCM) + ms * MS  # noqa: E731
    return [
        *[Event("k2", at((3, 8), h, m, ms), 3, "chung-thuc")  # Saturday: open in the morning
          for h, m, ms in ((9, 0, 0), (11, 29, 59_999), (11, 30, 0), (14, 0, 0))],
        Event("k2", at((3, 9), 9), 4, "chung-thuc"),  # Sunday
        Event("k1", at((9, 2), 9), 4, "ho-tich"),  # Quốc khánh
        Event("k3", at((1, 28), 10), 2, "dat-dai"),  # Tết
        *[Event("k1", at((5, 20), h, m, ms), 4, "ho-tich")  # a Tuesday's four edges
          for h, m, ms in ((7, 29, 59_999), (7, 30, 0), (11, 29, 59_999), (11, 30, 0),
                           (13, 29, 59_999), (13, 30, 0), (16, 59, 59_999), (17, 0, 0))],
    ]  # fmt: skip


def burst_events() -> list[Event]:
    """Four presses within exactly 10 s (a burst), within 10.001 s (none), one of them a test
    (none: tests never count), and four straddling the cut-off border of 15/05/2025."""
    at = lambda d, s: datetime(2025, *d, 10, tzinfo=HCM) + timedelta(seconds=s)  # noqa: E731
    border = datetime(2025, 5, 15, tzinfo=HCM)
    return [
        *[Event("k2", at((5, 21), s), 1, "chung-thuc") for s in (0, 3, 6, 10)],
        *[Event("k2", at((5, 22), s), 1, "chung-thuc") for s in (0, 3, 6, 10.001)],
        *[Event("k2", at((5, 23), s), 2, "chung-thuc", mode="test" if s == 4 else "live")
          for s in (0, 2, 4, 6)],
        *[Event("k3", border + timedelta(seconds=s), 4, "dat-dai") for s in (-3, -1.5, 1.5, 3)],
    ]  # fmt: skip


def late_events() -> list[Event]:
    """Presses of k2 delivered after their period was published (PUBLICATIONS): bổ sung.

    Pressed in the cut-off month 07 and delivered in month 08; pressed in calendar July after
    the cut-off month ended and delivered in September; pressed in both and delivered in
    October, one of them a test press (never counted, late or not).
    """
    cutoff_at, calendar_at = (moment for _convention, moment in PUBLICATIONS)
    groups = (  # (pressed from, ratings, delivered); rating 0 stands for a test press
        (datetime(2025, 7, 10, 9, tzinfo=HCM), (4, 4, 3, 1, 2), cutoff_at + timedelta(days=8)),
        (datetime(2025, 7, 20, 10, tzinfo=HCM), (4, 3, 4), calendar_at + timedelta(days=6)),
        (datetime(2025, 7, 11, 14, tzinfo=HCM), (1, 4, 0), calendar_at + timedelta(days=43)),
    )
    found = []
    for start, ratings, delivered in groups:
        for i, rating in enumerate(ratings):
            when = start + timedelta(minutes=i)
            mode = "test" if rating == 0 else "live"
            found.append(Event("k2", when, rating or 4, "chung-thuc", mode=mode,
                               delay=delivered - when))  # fmt: skip
    return found
