"""Time the yearly XLSX report and one month's summary, each beside a plain GROUP BY.

Run: .venv/bin/python bench/bench_reports.py [--db var/bench/reports.db] [--presses 5000000]

The database is generated once (presses over 2022–2024 from 1,000 kiosks, with duty rosters,
dossier counts and a few corrections) and reused while its size matches --presses. Generation
writes rows with sqlite3 directly in big transactions, synchronous off: it is test data, not an
ingest. Each measurement is the median of --repeat runs after one warm-up, so that all of them
read a warm page cache alike. The baseline is `SELECT rating, count(*) FROM presses GROUP BY
rating` over the whole raw table. Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import delete, text
from sqlalchemy.schema import CreateIndex

from hailong.server.reporting.data import ReportSettings, build_report
from hailong.server.reporting.formats import write_report
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.rollup_store import HALVES
from hailong.server.reporting.summary import level_stats
from hailong.server.storage import db

LOCAL = timezone(timedelta(hours=7))
FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2024, 12, 31)
FIELDS = ("ho-tich", "chung-thuc", "nuoi-con-nuoi", "dat-dai", "ldtbxh",
          "thi-dua", "giao-duc", "nong-nghiep", "van-hoa", "khac")  # fmt: skip
FIELD_WEIGHTS = (30, 25, 1, 15, 10, 2, 4, 5, 3, 5)
LEVEL_WEIGHTS = {4: 55, 3: 30, 2: 10, 1: 5}
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thu", "Quốc")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Lộc", "Ngọc", "Phúc", "Thảo", "Yến")
GOAL_YEAR_S, GOAL_MONTH_MS = 5.0, 100.0
INSERT = (
    "INSERT INTO presses (device, seq, rating, reason, ts, at_ms, synced, redated, boot, mono,"
    " counter, official, field, dossier, mode, received_ms, payload, sig, office_id)"
    " VALUES (?,?,?,?,?,?,1,0,?,?,?,?,?,NULL,?,?,?,NULL,(SELECT min(id) FROM offices))"
)


ONE = "(SELECT min(id) FROM offices)"  # revision 0009: the database's one office


def official_code(device: int, month: int) -> str:
    """Return who is on duty at a kiosk's counter in a month: three officials take turns."""
    return f"cb-{device:04d}-{month % 3}"


def day_presses(rng: random.Random, day: date, count: int, devices: int) -> list[tuple]:
    """Return (at_ms, device, rating, field, official-or-None, mode) for one day, in time order."""
    midnight = datetime.combine(day, datetime.min.time(), LOCAL).timestamp() * 1000
    month = (day.year - FIRST_DAY.year) * 12 + day.month
    rows = []
    while len(rows) < count:
        device = rng.randrange(devices)
        if rng.random() < 0.006:  # out of hours: cleaners, technicians, late citizens
            minute = rng.uniform(6 * 60, 20 * 60)
        else:
            minute = (
                rng.uniform(7.5 * 60, 11.5 * 60)
                if rng.random() < 0.55
                else rng.uniform(13.5 * 60, 17 * 60)
            )
        at = int(midnight + minute * 60_000)
        burst = 4 if rng.random() < 0.0005 else 1  # a child plays with the buttons
        for k in range(burst):
            rating = rng.choices((4, 3, 2, 1), weights=tuple(LEVEL_WEIGHTS.values()))[0]
            field = rng.choices(FIELDS, weights=FIELD_WEIGHTS)[0]
            official = official_code(device, month) if rng.random() < 0.96 else None
            mode = "test" if rng.random() < 0.005 else "live"
            rows.append((at + k * 2_000, device, rating, field, official, mode))
    rows.sort()
    return rows


def press_row(seqs: list[int], at_ms: int, device: int, rating, field, official, mode) -> tuple:
    """Return the presses row (and its JSON payload) that ingest would have stored."""
    seqs[device] += 1
    name = f"k{device:04d}"
    ts = datetime.fromtimestamp(at_ms / 1000, LOCAL).isoformat(timespec="milliseconds")
    boot = f"boot-{name}-{at_ms // 2_592_000_000}"
    counter = f"q{device:04d}"
    official_json = "null" if official is None else f'"{official}"'
    payload = (
        f'{{"v":1,"device":"{name}","seq":{seqs[device]},"rating":{rating},"reason":null,'
        f'"ts":"{ts}","synced":true,"boot":"{boot}","mono":{at_ms % 2_592_000_000 / 1000},'
        f'"counter":"{counter}","official":{official_json},"field":"{field}","dossier":null,'
        f'"mode":"{mode}"}}'
    ).encode()
    return (name, seqs[device], rating, None, ts, at_ms, boot, at_ms % 2_592_000_000 / 1000,
            counter, official, field, mode, at_ms + 1500, payload)  # fmt: skip


def generate(path: Path, presses: int, devices: int, seed: int = 2024) -> None:
    """Write a fresh database of `presses` presses from `devices` kiosks over three years."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = db.open_database(f"sqlite:///{path}")
    engine.dispose()  # the pool keeps a connection open; generation wants the file alone
    indexes = [CreateIndex(index).compile(dialect=engine.dialect) for index in db.presses.indexes]
    rng, seqs = random.Random(seed), [0] * devices
    days = [FIRST_DAY + timedelta(d) for d in range((LAST_DAY - FIRST_DAY).days + 1)]
    weights = [{5: 0.1, 6: 0.02}.get(d.weekday(), 1.0) for d in days]
    scale = presses / sum(weights)
    con = sqlite3.connect(path)
    con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-500000;")
    for index in db.presses.indexes:
        con.execute(f"DROP INDEX {index.name}")
    written, carry = 0, 0.0
    for day, weight in zip(days, weights, strict=True):
        carry += weight * scale
        count = (
            min(int(carry) - written, presses - written) if day != LAST_DAY else presses - written
        )
        rows = day_presses(rng, day, count, devices)
        con.executemany(INSERT, [press_row(seqs, *row) for row in rows])
        written += len(rows)
        if day.day == 1 and day.month == 1:
            print(f"  generating {day.year}: {written:,} presses so far", flush=True)
    con.commit()
    # Building the secondary indexes once, after the load, is several times faster than
    # keeping them up to date row by row; ingest keeps them up to date in real use.
    for ddl in indexes:
        con.execute(str(ddl))
    add_reference_data(con, rng, devices)
    con.commit()
    con.close()


def add_reference_data(con: sqlite3.Connection, rng: random.Random, devices: int) -> None:
    """Add fields, officials, counters, monthly duty rosters, dossier counts and corrections."""
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "fields" in tables:
        names = ("Hộ tịch", "Chứng thực", "Nuôi con nuôi", "Đất đai", "Lao động - Thương binh và Xã hội",
                 "Thi đua - Khen thưởng", "Giáo dục và Đào tạo", "Nông nghiệp", "Văn hóa", "Khác")  # fmt: skip
        con.executemany(
            "INSERT INTO fields (code, name, active) VALUES (?,?,1)",
            zip(FIELDS, names, strict=True),
        )
    if "officials" in tables:
        con.executemany(
            "INSERT INTO officials (office_id, code, name, active) VALUES (" + ONE + ",?,?,1)",
            [(official_code(d, m), f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
             for d in range(devices) for m in range(3)],
        )  # fmt: skip
    if "counters" in tables:
        con.executemany("INSERT INTO counters (office_id, code, name) VALUES (" + ONE + ",?,?)",
                        [(f"q{d:04d}", f"Quầy {d + 1}") for d in range(devices)])  # fmt: skip
    if "duty" in tables:
        con.executemany(
            "INSERT INTO duty (office_id, counter, official, start_ms, end_ms) "
            "VALUES (" + ONE + ",?,?,?,?)",
            duty_rows(devices),
        )
    if "dossier_counts" in tables:
        con.executemany("INSERT INTO dossier_counts (office_id, field, month, resolved) "
                        "VALUES (" + ONE + ",?,?,?)",
                        dossier_rows(con))  # fmt: skip
    if "corrections" in tables:
        con.execute(
            "INSERT INTO corrections (device, seq, action, reason, actor, at_ms)"
            " SELECT device, seq, 'exclude', 'Bấm thử của kỹ thuật viên', 'admin', at_ms + 86400000"
            " FROM presses WHERE id % 5003 = 0"
        )


def duty_rows(devices: int) -> list[tuple]:
    """Return one duty row per counter and month: the roster official_code() follows."""
    rows = []
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        for month in range(1, 13):
            start = datetime(year, month, 1, tzinfo=LOCAL)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=LOCAL)
            index = (year - FIRST_DAY.year) * 12 + month
            rows += [(f"q{d:04d}", official_code(d, index), int(start.timestamp() * 1000),
                      int(end.timestamp() * 1000)) for d in range(devices)]  # fmt: skip
    return rows


def dossier_rows(con: sqlite3.Connection) -> list[tuple]:
    """Return resolved dossiers per field and month: ratings ÷ 0.7 to 1.2, so some miss 80%."""
    counts = con.execute(
        "SELECT field, strftime('%Y-%m', at_ms / 1000, 'unixepoch', '+7 hours') AS m, count(*)"
        " FROM presses GROUP BY field, m"
    ).fetchall()
    return [
        (field, month, int(n / (0.7 + 0.5 * FIELDS.index(field) / 9))) for field, month, n in counts
    ]


def timed(run, repeat: int) -> float:
    """Return the median wall time in seconds of `repeat` runs after a warm-up."""
    run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def once(run) -> float:
    """Return the wall time in seconds of one run."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> int:
    """Generate or reuse the database, time the measurements, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("var/bench/reports.db"))
    parser.add_argument("--presses", type=int, default=5_000_000)
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if stored_count(args.db) != args.presses:
        print(f"generating {args.presses:,} presses into {args.db} …", flush=True)
        start = time.perf_counter()
        generate(args.db, args.presses, args.devices)
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    engine = db.open_database(f"sqlite:///{args.db}")
    with engine.begin() as conn:  # measure the first report after the rollups are gone, too
        for table in HALVES:
            conn.execute(delete(table))
    size = args.db.stat().st_size / 2**30
    print(
        f"database: {args.presses:,} presses from {args.devices:,} kiosks, {size:.1f} GiB",
        flush=True,
    )
    return report(engine, ReportSettings(time_zone="Asia/Ho_Chi_Minh"), args.repeat)


def report(engine, settings: ReportSettings, repeat: int) -> int:
    """Time the measurements and print them with their goals."""
    year, month = parse_period("2024"), parse_period("2024-03")
    out = Path(tempfile.mkdtemp()) / "2024.xlsx"
    baseline = text("SELECT rating, count(*) FROM presses GROUP BY rating")

    def yearly(rollups=None):
        with engine.connect() as conn:
            write_report(build_report(conn, year, settings, rollups=rollups), "xlsx", out)

    with engine.connect() as conn:
        rows = [("baseline: SELECT rating, count(*) GROUP BY rating, whole raw table",
                 timed(lambda: conn.execute(baseline).all(), repeat), None)]  # fmt: skip
        rows.append(("yearly report 2024, all tables, XLSX, straight from presses",
                     once(lambda: yearly("off")), None))  # fmt: skip
        rows.append(("yearly report 2024, first run: counts and stores 48 half-months",
                     once(yearly), None))  # fmt: skip
        rows.append(("yearly report 2024, all tables, XLSX (rollups kept)", timed(yearly, repeat),
                     GOAL_YEAR_S))  # fmt: skip
        bounds = month.bounds_ms("Asia/Ho_Chi_Minh")
        rows.append(("one month's summary: summary.level_stats, 2024-03",
                     timed(lambda: level_stats(conn, *bounds), repeat), GOAL_MONTH_MS / 1000))  # fmt: skip
        rows.append(("one month's ReportData, all tables, 2024-03",
                     timed(lambda: build_report(conn, month, settings, rollups="read"), repeat), None))  # fmt: skip
    print(f"{'measurement':<68} {'time':>10} {'goal':>9}")
    for name, seconds, goal in rows:
        print(f"{name:<68} {_ms(seconds):>10} {'' if goal is None else '≤ ' + _ms(goal):>9}")
    missed = [name for name, seconds, goal in rows if goal is not None and seconds > goal]
    print("goals met" if not missed else f"goals missed: {missed}")
    return 1 if missed else 0


def _ms(seconds: float) -> str:
    """Write a duration in ms below 10 s, in s above."""
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def stored_count(path: Path) -> int | None:
    """Return how many presses a cached database holds, or None when there is none."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(path) as con:
            return con.execute("SELECT max(id) FROM presses").fetchone()[0]
    except sqlite3.Error:
        return None


if __name__ == "__main__":
    sys.exit(main())
