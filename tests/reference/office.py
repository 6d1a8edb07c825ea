"""The reference office's catalogue, placements, duty roster and dossier counts, set through the services.

Counters: Q1 (Hộ tịch) with kiosks k1 and k4, Q2 (Chứng thực) with k2, Q3 (Đất đai) with k3;
k5 was never placed, so its own counter (Q2) and official (cb-05) stand. The roster hands Q1
from cb-01 to cb-02 at an exact instant (DUTY_HANDOVER), Q3 has nobody from 01/09 to 01/10/2025.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hailong.server.reference import catalogue, dossiers

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
            catalogue.set_device_counter(conn, device, counter, ACTOR)
        for counter, official, start in ROSTER:
            if official is None:
                catalogue.release(conn, counter, start, ACTOR, tz=ZONE)
            else:
                catalogue.assign(conn, counter, official, start, ACTOR, tz=ZONE)
        for field, months in DOSSIERS.items():
            for month, resolved in months.items():
                dossiers.set_count(conn, field, month, resolved, ACTOR)
