"""Follow-up reasons laid over report_world's office (March 2024), with the figures worked out by hand.

k7 at Q1 (no roster: counted for the official it sends, cb-01), Hộ tịch, Wed 13/03 from 09:00:
  1/r1 1/r1 2/r3 2/skipped 4 1/r2 (excluded by staff) 1/r4 (test mode) 3/r1 (not a low level)
k8 at Q2 sends cb-01, but the roster has cb-02 there from 16/03: Đất đai, Wed 20/03 from 09:00:
  1/r4 2/r2 2/r2 1/skipped
April: k7 1/r3 on 02/04 (outside March). k7's stored Config carries the labels in force.
report_world's own low ratings answered nothing: Hộ tịch 2 (cb-01) + 1 (cb-02), Đất đai 2 (cb-03).
"""

from __future__ import annotations

import json

from sqlalchemy import insert

from hailong.server.storage import db
from tests.server.report_world import at, ms, press_row, series

LABELS = ("Chờ quá lâu", "Thái độ chưa tốt", "Hướng dẫn chưa rõ", "Lý do khác")
K7 = [(1, 1), (1, 1), (2, 3), (2, None), (4, None), (1, 2), (1, 4), (3, 1)]
K8 = [(1, 4), (2, 2), (2, 2), (1, None)]
EXCLUDED_SEQ, TEST_SEQ = 6, 7

# name, low ratings, reasons 1..4, no answer: fields and officials as the report orders them
FIELDS = (("Đất đai", 6, (0, 2, 0, 1), 3), ("Hộ tịch", 7, (2, 0, 1, 0), 4))
OFFICIALS = (
    ("Lê Hoàng Ánh", 2, (0, 0, 0, 0), 2),
    ("Nguyễn Văn An", 6, (2, 0, 1, 0), 3),
    ("Trần Thị Bích", 5, (0, 2, 0, 1), 2),
)
TOTAL = ("Tổng cộng", 13, (2, 2, 1, 1), 7)


def _presses(device, counter, official, field, start, pairs) -> list[dict]:
    """Return press rows of one kiosk, 10 minutes apart, with their reasons."""
    times = series(start, 10, [rating for rating, _ in pairs])
    return [
        press_row(device, seq, rating, when, counter=counter, official=official, field=field,
                  reason=reason, mode="test" if (device, seq) == ("k7", TEST_SEQ) else "live")
        for seq, ((when, rating), (_r, reason)) in enumerate(zip(times, pairs, strict=True), 1)
    ]  # fmt: skip


def add_reasons(engine) -> None:
    """Add the presses with reasons, the exclusion and k7's Config to a report_world database."""
    rows = _presses("k7", "Q1", "cb-01", "ho-tich", at("2024-03-13", "09:00"), K7)
    rows += _presses("k8", "Q2", "cb-01", "dat-dai", at("2024-03-20", "09:00"), K8)
    rows.append(press_row("k7", len(K7) + 1, 1, at("2024-04-02", "09:00"), counter="Q1",
                          official="cb-01", field="ho-tich", reason=3))  # fmt: skip
    config = json.dumps({"v": 1, "counter": "Q1", "reasons": list(LABELS)}, ensure_ascii=False)
    with engine.begin() as conn:
        conn.execute(insert(db.presses), rows)
        conn.execute(insert(db.corrections).values(
            device="k7", seq=EXCLUDED_SEQ, action="exclude", reason="Bấm thử khi lắp máy",
            actor="vp-thongke", at_ms=ms(at("2024-03-21", "09:00"))))  # fmt: skip
        conn.execute(insert(db.devices).values(device="k7", acked_upto=len(K7) + 1, config=config))
