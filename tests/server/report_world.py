"""A small office whose March 2024 report is worked out by hand in test_report_data.py.

Asia/Ho_Chi_Minh is UTC+7 all year. Office hours 07:30–11:30 and 13:30–17:00, Monday–Friday.

k1 at counter Q1 sends official cb-01; k3 also stands at Q1 and sends cb-01; k2 at Q2 sends
no official, so the duty roster decides: cb-03 until 16/03 00:00, cb-02 from then on.

February (previous period), k1, Mon 05/02 from 08:00 every 10 min, Hộ tịch: 4 4 3 3 3 2 1 1.
March:
  A  k1 Fri 01/03 00:30  Đất đai      4               out of hours (00:30 is still 29/02 in UTC)
  B  k1 Mon 04/03 08:00… Hộ tịch      4 4 4 4 3 3 3 2 1 4  (every 10 min)
  C  k1 Mon 04/03 12:00  Hộ tịch      3               out of hours (lunch)
  D  k1 Tue 05/03 14:00… Chứng thực   4 3 3 2 4 4      (every 20 min; the 2 is excluded)
  E  k1 Sat 09/03 09:00  Hộ tịch      4               out of hours (Saturday)
  F  k1 Mon 11/03 08:00… Hộ tịch      1 1 1            test mode
  G  k3 Thu 07/03 09:00:00, :02, :04, :06, :08  Chứng thực  4 4 4 4 4  (burst; the first excluded)
  H  k2 Wed 06/03 09:00… Đất đai      3 3 4 1 1        (every 15 min) -> cb-03
  I  k2 Mon 18/03 10:00… Hộ tịch      4 4 3 2          (every 15 min) -> cb-02
  J  k2 Mon 18/03 11:00  no field     3                                  -> cb-02
April: k1 Mon 01/04 09:00 Hộ tịch 1 (outside March).
Dossiers resolved: Hộ tịch 02/2024: 50, 03/2024: 20; Chứng thực 03/2024: 10; Đất đai 03/2024: 8.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from hailong.server.storage import db

HCM = timezone(timedelta(hours=7))
FIELDS = (("ho-tich", "Hộ tịch", True), ("chung-thuc", "Chứng thực", True),
          ("dat-dai", "Đất đai", True), ("khac", "Khác", True), ("van-hoa", "Văn hóa", False))  # fmt: skip
OFFICIALS = (("cb-01", "Nguyễn Văn An"), ("cb-02", "Trần Thị Bích"), ("cb-03", "Lê Hoàng Ánh"))
REMARKS = "Tỷ lệ đánh giá lĩnh vực Hộ tịch còn thấp.\nĐề nghị bố trí thêm máy tại quầy 2."


def at(day: str, clock: str) -> datetime:
    """Return a local time in Hồ Chí Minh City: at("2024-03-04", "08:00")."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=HCM)


def series(start: datetime, minutes: float, ratings: list[int]) -> list[tuple[datetime, int]]:
    """Return (time, rating) pairs `minutes` apart from `start`."""
    return [(start + timedelta(minutes=minutes * i), r) for i, r in enumerate(ratings)]


def ms(moment: datetime) -> int:
    """Return UTC epoch milliseconds."""
    return int(moment.timestamp() * 1000)


# (device, counter, official sent, field, mode, [(time, rating), ...]) in each device's order.
BATCHES = (
    ("k1", "Q1", "cb-01", "ho-tich", "live", series(at("2024-02-05", "08:00"), 10, [4, 4, 3, 3, 3, 2, 1, 1])),
    ("k1", "Q1", "cb-01", "dat-dai", "live", [(at("2024-03-01", "00:30"), 4)]),
    ("k1", "Q1", "cb-01", "ho-tich", "live", series(at("2024-03-04", "08:00"), 10, [4, 4, 4, 4, 3, 3, 3, 2, 1, 4])),
    ("k1", "Q1", "cb-01", "ho-tich", "live", [(at("2024-03-04", "12:00"), 3)]),
    ("k1", "Q1", "cb-01", "chung-thuc", "live", series(at("2024-03-05", "14:00"), 20, [4, 3, 3, 2, 4, 4])),
    ("k1", "Q1", "cb-01", "ho-tich", "live", [(at("2024-03-09", "09:00"), 4)]),
    ("k1", "Q1", "cb-01", "ho-tich", "test", series(at("2024-03-11", "08:00"), 1, [1, 1, 1])),
    ("k1", "Q1", "cb-01", "ho-tich", "live", [(at("2024-04-01", "09:00"), 1)]),
    ("k3", "Q1", "cb-01", "chung-thuc", "live", series(at("2024-03-07", "09:00"), 2 / 60, [4] * 5)),
    ("k2", "Q2", None, "dat-dai", "live", series(at("2024-03-06", "09:00"), 15, [3, 3, 4, 1, 1])),
    ("k2", "Q2", None, "ho-tich", "live", series(at("2024-03-18", "10:00"), 15, [4, 4, 3, 2])),
    ("k2", "Q2", None, None, "live", [(at("2024-03-18", "11:00"), 3)]),
)  # fmt: skip
EXCLUDED = (("k1", 24, "Kỹ thuật viên bấm thử"), ("k3", 1, "Trẻ em bấm nghịch"))


def press_row(device: str, seq: int, rating: int, when: datetime, **extra) -> dict:
    """Return a presses row as ingest stores it."""
    row = {
        "device": device, "seq": seq, "rating": rating, "reason": None,
        "ts": when.isoformat(timespec="milliseconds"), "at_ms": ms(when), "synced": True,
        "redated": False, "boot": f"boot-{device}", "mono": float(seq), "counter": None,
        "official": None, "field": None, "dossier": None, "mode": "live",
        "received_ms": ms(when) + 500, "payload": b"{}", "sig": None,
    }  # fmt: skip
    return row | extra


def build_world(engine) -> None:
    """Fill an empty database with the office described above."""
    seqs: dict[str, int] = {}
    rows = []
    for device, counter, official, field, mode, presses in BATCHES:
        for when, rating in presses:
            seqs[device] = seqs.get(device, 0) + 1
            rows.append(press_row(device, seqs[device], rating, when, counter=counter,
                                  official=official, field=field, mode=mode))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(db.presses), rows)
        conn.execute(insert(db.fields), [{"code": c, "name": n, "active": a} for c, n, a in FIELDS])
        conn.execute(
            insert(db.officials), [{"code": c, "name": n, "active": True} for c, n in OFFICIALS]
        )
        conn.execute(
            insert(db.counters),
            [{"code": "Q1", "name": "Quầy 1"}, {"code": "Q2", "name": "Quầy 2"}],
        )
        conn.execute(insert(db.duty), [
            {"counter": "Q2", "official": "cb-03", "start_ms": ms(at("2024-01-01", "00:00")),
             "end_ms": ms(at("2024-03-16", "00:00"))},
            {"counter": "Q2", "official": "cb-02", "start_ms": ms(at("2024-03-16", "00:00")), "end_ms": None},
        ])  # fmt: skip
        conn.execute(insert(db.dossier_counts), [
            {"field": "ho-tich", "month": "2024-02", "resolved": 50},
            {"field": "ho-tich", "month": "2024-03", "resolved": 20},
            {"field": "chung-thuc", "month": "2024-03", "resolved": 10},
            {"field": "dat-dai", "month": "2024-03", "resolved": 8},
        ])  # fmt: skip
        conn.execute(insert(db.corrections), [
            {"device": d, "seq": s, "action": "exclude", "reason": r, "actor": "vp-thongke",
             "at_ms": ms(at("2024-03-20", "09:00"))} for d, s, r in EXCLUDED
        ])  # fmt: skip
        conn.execute(insert(db.remarks).values(period="2024-03", text=REMARKS, actor="vp-thongke"))
        conn.execute(insert(db.quarantine).values(
            received_ms=ms(at("2024-03-12", "10:00")), topic="hailong/v1/k9/press", device="k9",
            kind="invalid", reason="not JSON", payload=b"garbage",
        ))  # fmt: skip


@pytest.fixture(name="engine")
def world_engine(database_url):
    """The office of report_world.py in a fresh database: a test module imports this to use it."""
    engine = db.open_database(database_url)
    build_world(engine)
    yield engine
    engine.dispose()
