"""Seed the demo's collector like a real commune office: reference data, a roster and history.

The demo should show the product as an office sees it after a season of use: the default fields,
named officials, three counters with a duty roster that changed hands once, dossier counts per
field and month, and three months of ratings at office-hour pacing (a citizen every quarter of an
hour or so per counter; bursts and out-of-hours presses rare, as they are). The live kiosks then
press on top of that. History belongs to the kiosks the office used before today's demo kiosks
("may-cu-N"): their sequence numbers never meet the live kiosks' journals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from hailong.protocol import Press, format_ts
from hailong.server.epoch import to_ms
from hailong.server.reference import catalogue as reference
from hailong.server.reference import dossiers
from hailong.server.storage.db import fields, presses

ACTOR = "demo"
FIELDS = (
    ("ho-tich", "Hộ tịch"), ("chung-thuc", "Chứng thực"), ("nuoi-con-nuoi", "Nuôi con nuôi"),
    ("dat-dai", "Đất đai"), ("ldtbxh", "Lao động - Thương binh và Xã hội"),
    ("thi-dua", "Thi đua - Khen thưởng"), ("giao-duc", "Giáo dục và Đào tạo"),
    ("nong-nghiep", "Nông nghiệp"), ("van-hoa", "Văn hóa"), ("khac", "Khác"),
)  # fmt: skip
OFFICIALS = (
    ("cb-01", "Nguyễn Thị Lan"), ("cb-02", "Trần Văn Hùng"), ("cb-03", "Lê Thị Mai"),
    ("cb-04", "Phạm Quốc Bảo"), ("cb-05", "Hoàng Thị Thu"),
)  # fmt: skip


@dataclass(frozen=True)
class Counter:
    """A counter of the demo office: what it serves and who served there."""

    code: str
    name: str
    fields: tuple[tuple[str, float], ...]  # field code, share of its citizens
    before: str  # official on duty for the first weeks
    now: str  # official on duty since the handover (and today)
    old_kiosk: str  # the kiosk whose history it keeps
    kiosk: str  # the live demo kiosk


COUNTERS = (
    Counter("Q1", "Quầy 1 - Hộ tịch, chứng thực", (("ho-tich", 0.7), ("chung-thuc", 0.3)),
            "cb-04", "cb-01", "may-cu-1", "quay-1"),
    Counter("Q2", "Quầy 2 - Đất đai, nông nghiệp", (("dat-dai", 0.8), ("nong-nghiep", 0.2)),
            "cb-02", "cb-02", "may-cu-2", "quay-2"),
    Counter("Q3", "Quầy 3 - Lao động, xã hội, văn hóa",
            (("ldtbxh", 0.6), ("giao-duc", 0.2), ("van-hoa", 0.1), ("khac", 0.1)),
            "cb-03", "cb-05", "may-cu-3", "quay-3"),
)  # fmt: skip
# Level weights, best first (4, 3, 2, 1): most citizens are satisfied; cb-03 less so.
LEVELS = (4, 3, 2, 1)
WEIGHTS = {"cb-03": (35, 35, 18, 12)}
USUAL = (55, 30, 10, 5)
OPEN = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
MEAN_GAP_MIN = 25  # minutes between citizens at one counter: about 18 a day
HISTORY_DAYS = 92


def seed_office(engine: Engine, tz: str, today: date, seed: int = 2024) -> bool:
    """Fill an empty demo database; return False (and change nothing) if it holds fields already."""
    zone, rng = ZoneInfo(tz), random.Random(seed)
    with engine.begin() as conn:
        if conn.execute(select(fields.c.code).limit(1)).first() is not None:
            return False
        _reference(conn)
        first = today - timedelta(days=HISTORY_DAYS)
        handover = first + timedelta(days=HISTORY_DAYS // 2)
        _roster(conn, first, handover, zone, tz)
        rows = _history(first, handover, today, zone, rng)
        conn.execute(insert(presses), rows)
        _dossiers(conn, rows, zone, rng, today)
        for c in COUNTERS:
            reference.set_device_counter(conn, c.kiosk, c.code, ACTOR)
    return True


def _reference(conn) -> None:
    for code, name in FIELDS:
        reference.add_field(conn, code, name, ACTOR)
    for code, name in OFFICIALS:
        reference.add_official(conn, code, name, ACTOR)
    for c in COUNTERS:
        reference.add_counter(conn, c.code, c.name, ACTOR, field=c.fields[0][0])


def _roster(conn, first: date, handover: date, zone: ZoneInfo, tz: str) -> None:
    for c in COUNTERS:
        start = datetime.combine(first, time(7, 0), zone)
        reference.assign(conn, c.code, c.before, start, ACTOR, tz=tz)
        if c.now != c.before:
            later = datetime.combine(handover, time(7, 0), zone)
            reference.assign(conn, c.code, c.now, later, ACTOR, tz=tz)


def _history(first: date, handover: date, today: date, zone: ZoneInfo, rng) -> list[dict]:
    """Return the old kiosks' presses, one row per citizen, in each kiosk's seq order."""
    rows = []
    for c in COUNTERS:
        seq, day = 0, first
        while day < today:
            official = c.before if day < handover else c.now
            for moment in _arrivals(day, zone, rng):
                seq += 1
                rows.append(_row(c, seq, moment, official, rng))
            day += timedelta(days=1)
    return rows


def _arrivals(day: date, zone: ZoneInfo, rng) -> list[datetime]:
    """Return one counter's citizens of a working day; rarely one just after closing."""
    if day.weekday() >= 5:
        return []
    found = []
    for opens, closes in OPEN:
        at = datetime.combine(day, opens, zone) + timedelta(minutes=rng.expovariate(1 / 8))
        end = datetime.combine(day, closes, zone)
        while at < end:
            found.append(at)
            at += timedelta(minutes=max(1.5, rng.expovariate(1 / MEAN_GAP_MIN)))
    if rng.random() < 0.03:  # someone who finished late
        found.append(
            datetime.combine(day, time(17, 0), zone) + timedelta(minutes=rng.randint(3, 20))
        )
    return found


def _row(c: Counter, seq: int, moment: datetime, official: str, rng) -> dict:
    """Return one stored press, its payload the bytes the kiosk would have sent."""
    field = rng.choices([f for f, _ in c.fields], [w for _, w in c.fields])[0]
    rating = rng.choices(LEVELS, WEIGHTS.get(official, USUAL))[0]
    press = Press(device=c.old_kiosk, seq=seq, rating=rating, ts=format_ts(moment), synced=True,
                  boot=f"{c.old_kiosk}-boot", mono=float(seq * 60), counter=c.code,
                  official=official, field=field)  # fmt: skip
    at_ms = to_ms(moment)
    return {
        "device": press.device, "seq": seq, "rating": rating, "reason": None, "ts": press.ts,
        "at_ms": at_ms, "synced": True, "redated": False, "boot": press.boot, "mono": press.mono,
        "counter": c.code, "official": official, "field": field, "dossier": None, "mode": "live",
        "received_ms": at_ms + 400, "payload": press.to_bytes(), "sig": None,
    }  # fmt: skip


def _dossiers(conn, rows: list[dict], zone: ZoneInfo, rng, today: date) -> None:
    """Enter resolved dossiers per field and month: ratings cover 70–95 % of them, as in life."""
    rated: dict[tuple[str, str], int] = {}
    for row in rows:
        month = datetime.fromtimestamp(row["at_ms"] / 1000, zone).strftime("%Y-%m")
        rated[row["field"], month] = rated.get((row["field"], month), 0) + 1
    for (field, month), count in sorted(rated.items()):
        if month == today.strftime("%Y-%m"):
            continue  # the month is not over: its count is entered after it ends
        dossiers.set_count(conn, field, month, round(count / rng.uniform(0.7, 0.95)), ACTOR)
