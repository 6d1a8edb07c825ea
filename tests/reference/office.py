"""The reference office's catalogue, placements, duty roster and dossier counts, set through the services.

Counters: Q1 (Hộ tịch) with kiosks k1 and k4, Q2 (Chứng thực) with k2, Q3 (Đất đai) with k3;
k5 was never placed, so its own counter (Q2) and official (cb-05) stand. The roster hands Q1
from cb-01 to cb-02 at an exact instant (DUTY_HANDOVER), Q3 has nobody from 01/09 to 01/10/2025.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hailong.server.epoch import to_ms
from hailong.server.reference import catalogue, dossiers
from hailong.server.reporting.settings import ReportSettings

HCM = timezone(timedelta(hours=7))
ZONE = "Asia/Ho_Chi_Minh"
ACTOR = "vp-thongke"
FIELDS = (("ho-tich", "Hộ tịch"), ("chung-thuc", "Chứng thực"), ("dat-dai", "Đất đai"),
          ("lao-dong", "Lao động - Thương binh và Xã hội"), ("khac", "Khác"),
          ("van-hoa", "Văn hóa"))  # fmt: skip
INACTIVE = ("van-hoa",)
OFFICIALS = (("cb-01", "Nguyễn Văn An"), ("cb-02", "Trần Thị Bích"), ("cb-03", "Lê Hoàng Ánh"),
             ("cb-04", "Phạm Đức Thắng"), ("cb-05", "Võ Thị Ngọc"))  # fmt: skip
COUNTERS = (
    ("Q1", "Quầy 1", "ho-tich"),
    ("Q2", "Quầy 2", "chung-thuc"),
    ("Q3", "Quầy 3", "dat-dai"),
)
PLACED = {"k1": "Q1", "k4": "Q1", "k2": "Q2", "k3": "Q3"}
PLACED_FROM = datetime(2024, 11, 1, tzinfo=HCM)  # before the first press
# k3 stands at Q2 from mid-March to mid-April 2025, to the ms; it still sends Q3 (its own setting).
KIOSK_MOVES = (("k3", "Q2", datetime(2025, 3, 14, 12, 0, tzinfo=HCM)),
               ("k3", "Q3", datetime(2025, 4, 15, 9, 0, tzinfo=HCM)))  # fmt: skip
DUTY_HANDOVER = datetime(2025, 6, 16, 10, 30, tzinfo=HCM)  # cb-01 → cb-02 at Q1, to the ms
# (counter, official or None to release, local start)
ROSTER = (
    ("Q1", "cb-01", datetime(2024, 11, 1, tzinfo=HCM)),
    ("Q2", "cb-03", datetime(2024, 11, 1, tzinfo=HCM)),
    ("Q3", "cb-04", datetime(2024, 11, 1, tzinfo=HCM)),
    ("Q1", "cb-02", DUTY_HANDOVER),
    ("Q3", None, datetime(2025, 9, 1, tzinfo=HCM)),
    ("Q3", "cb-05", datetime(2025, 10, 1, tzinfo=HCM)),
)
# Dossiers resolved per field and month; Đất đai misses 02 and 03/2025, Lao động has none.
MONTHS = tuple(f"{y}-{m:02d}" for y, m in [(2024, 12)] + [(2025, m) for m in range(1, 13)])
DOSSIERS = {
    "ho-tich": {m: 60 + (7 * i) % 25 for i, m in enumerate(MONTHS)},
    "chung-thuc": {m: 55 + (11 * i) % 30 for i, m in enumerate(MONTHS)},
    "dat-dai": {m: 45 + i for i, m in enumerate(MONTHS) if m not in ("2025-02", "2025-03")},
    "khac": {"2025-05": 0, "2025-11": 9},
}


# The report settings the flags are judged by: a Saturday morning, Tết and 2/9 closed, bursts of
# more than 3 presses within 10 s. The reference reads these constants, never the product's rules.
OFFICE_HOURS = (("07:30", "11:30"), ("13:30", "17:00"))
SATURDAY_HOURS = (("07:30", "11:30"),)
HOLIDAYS = ("2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-09-02")
BURST_WINDOW_S, BURST_MAX = 10, 3
MIN_SAMPLE = 20
# Reports published while presses still arrive (dataset.py publishes them in its timeline):
# the cut-off month 07 on 28/07/2025 and calendar July on 28/08/2025, at 06:00.
PUBLICATIONS = (("cutoff", datetime(2025, 7, 28, 6, tzinfo=HCM)),
                ("calendar", datetime(2025, 8, 28, 6, tzinfo=HCM)))  # fmt: skip


def report_settings() -> ReportSettings:
    """Return the report settings every reference test builds its reports with."""
    return ReportSettings(
        time_zone=ZONE, min_sample=MIN_SAMPLE, unit_name="Ủy ban nhân dân xã An Bình",
        place="An Bình", office_hours=OFFICE_HOURS, saturday_hours=SATURDAY_HOURS,
        holidays=HOLIDAYS, burst_window_s=BURST_WINDOW_S, burst_max=BURST_MAX,
    )  # fmt: skip


def build_office(engine) -> None:
    """Enter the catalogue, placements, roster and dossier counts as staff would."""
    with engine.begin() as conn:
        for code, name in FIELDS:
            catalogue.add_field(conn, code, name, ACTOR)
        for code in INACTIVE:
            catalogue.set_field(conn, code, ACTOR, active=False)
        for code, name in OFFICIALS:
            catalogue.add_official(conn, code, name, ACTOR)
        for code, name, field in COUNTERS:
            catalogue.add_counter(conn, code, name, ACTOR, field)
        for device, counter in PLACED.items():
            catalogue.set_device_counter(conn, device, counter, ACTOR, at_ms=to_ms(PLACED_FROM))
        for device, counter, moved in KIOSK_MOVES:
            catalogue.set_device_counter(conn, device, counter, ACTOR, at_ms=to_ms(moved), tz=ZONE)
        for counter, official, start in ROSTER:
            if official is None:
                catalogue.release(conn, counter, start, ACTOR, tz=ZONE)
            else:
                catalogue.assign(conn, counter, official, start, ACTOR, tz=ZONE)
        for field, months in DOSSIERS.items():
            for month, resolved in months.items():
                dossiers.set_count(conn, field, month, resolved, ACTOR)
