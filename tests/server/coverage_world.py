"""The issue's example of a flattering coverage total, in the first quarter of 2025.

Three fields have dossier counts for 01/2025 only (60, 40 and 300) and each is below the 80%
target on its own row (40, 30 and 200 ratings: 66,7%, 75,0%, 66,7%). 100 ratings carry no
field and 80 are in a field without counts. The old total divided all 450 ratings by the 400
dossiers (112,5%, "met"); the honest one measures 270 ÷ 400 = 67,5%, 0/3 fields met, 9 + 3 + 41
= 53 ratings short, 180 ratings outside the ratio, and names 02/2025 and 03/2025 as missing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from hailong.server.storage import db
from tests.server.report_world import at, press_row

PERIOD = "2025-Q1"
FIELDS = (("cv-a", "Lĩnh vực A", 60, 40), ("cv-b", "Lĩnh vực B", 40, 30),
          ("cv-c", "Lĩnh vực C", 300, 200), ("cv-d", "Lĩnh vực D", None, 80))  # fmt: skip
UNFIELDED = 100
EXPECTED = {"fields": 3, "met": 0, "ratings": 270, "dossiers": 400, "percent": 67.5,
            "needed": 53, "outside": 180, "missing": ("2025-02", "2025-03")}  # fmt: skip


def build_coverage_world(engine, device: str = "cv1") -> None:
    """Add the example's fields, dossier counts and 450 satisfied ratings of January 2025."""
    start = at("2025-01-06", "08:00")
    plan = [(code, n) for code, _name, _d, n in FIELDS] + [(None, UNFIELDED)]
    rows, seq = [], 0
    for field, count in plan:
        for _ in range(count):
            seq += 1
            # Two minutes apart: spread out, so no burst flag interferes.
            when = start + timedelta(minutes=2 * seq)
            rows.append(press_row(device, seq, 4, when, counter="QCV", field=field))
    with engine.begin() as conn:
        conn.execute(insert(db.presses), rows)
        conn.execute(
            insert(db.fields), [{"code": c, "name": n, "active": True} for c, n, _d, _r in FIELDS]
        )
        conn.execute(insert(db.dossier_counts), [
            {"field": c, "month": "2025-01", "resolved": d} for c, _n, d, _r in FIELDS if d is not None
        ])  # fmt: skip
