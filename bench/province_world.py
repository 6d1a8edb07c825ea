"""The province benchmark's world: a PostgreSQL cluster in /tmp holding 100 communes' year.

Generated once and kept between runs (--keep/--reuse of bench_province_scale.py): the root office
"tinh" with --offices communes, --kiosks kiosks dealt round the communes, the ten fields, and
--presses presses over 2024 loaded with COPY: weekdays and a tenth of Saturdays, in office hours
(07:30–11:30, 13:30–17:00) but for 0.6 % out of hours; every 37th commune's kiosks press only at
night (a silent office). 0.5 % of presses are test presses. Monthly dossier counts per commune and
field put every fifth commune below the 80 % target. Indexes and the (device, seq) key are built
after the load, then VACUUM ANALYZE (index-only scans need the visibility map).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hailong.server.reference import offices  # noqa: E402
from hailong.server.storage.db import open_database  # noqa: E402
from tests.postgres import PostgresCluster  # noqa: E402

LOCAL = timezone(timedelta(hours=7))
YEAR = 2024
FIELDS = ("ho-tich", "chung-thuc", "nuoi-con-nuoi", "dat-dai", "ldtbxh",
          "thi-dua", "giao-duc", "nong-nghiep", "van-hoa", "khac")  # fmt: skip
FIELD_NAMES = ("Hộ tịch", "Chứng thực", "Nuôi con nuôi", "Đất đai", "Lao động - Thương binh và Xã hội",
               "Thi đua - Khen thưởng", "Giáo dục và Đào tạo", "Nông nghiệp", "Văn hóa", "Khác")  # fmt: skip
FIELD_WEIGHTS = (30, 25, 2, 15, 8, 2, 5, 5, 3, 5)
LEVELS, LEVEL_WEIGHTS = (4, 3, 2, 1), (55, 30, 10, 5)
DATABASE = "province"
MARKER = "generated.json"
COLUMNS = ("device, seq, rating, ts, at_ms, synced, redated, boot, mono, counter, field, mode,"
           " received_ms, payload, office_id")  # fmt: skip


class KeptCluster(PostgresCluster):
    """A cluster whose files can outlive the run: started from them again, stopped without rm."""

    def start_kept(self) -> KeptCluster:
        """Start the server on cluster files made by an earlier run."""
        args = [a for k, v in {"listen_addresses": "127.0.0.1", "port": self.port,
                               "unix_socket_directories": self.folder, "shared_buffers": "128MB",
                               "max_connections": 200, "logging_collector": "off"}.items()
                for a in ("-c", f"{k}={v}")]  # fmt: skip
        with open(self.folder / "server.log", "ab") as log:
            self.process = subprocess.Popen([self.bin / "postgres", "-D", self.data, *args],
                                            stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, **self.identity)  # fmt: skip
        self._wait_ready()
        return self

    def halt(self, remove: bool) -> None:
        """Stop the server by its PID; remove its files unless they are kept."""
        if remove:
            self.stop()
            return
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)


def cluster(folder: Path, reuse: bool, wanted: dict) -> tuple[KeptCluster, bool]:
    """Return a running cluster and whether it already holds the wanted world."""
    held = folder / MARKER
    if reuse and held.exists() and json.loads(held.read_text()) == wanted:
        return KeptCluster(folder).start_kept(), True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    made = KeptCluster(folder)
    made.start()
    made.create_database(DATABASE)
    return made, False


def generate(pg: KeptCluster, wanted: dict, seed: int = 2024) -> None:
    """Fill the database: offices, kiosks, fields, presses (COPY), dossier counts."""
    import psycopg

    started = time.monotonic()
    engine = open_database(pg.url(DATABASE))  # migrates: one office, as a new collector has
    with engine.begin() as conn:
        offices.set_office(conn, "don-vi", "bench", kind="province", new_code="tinh",
                           name="Sở Nội vụ tỉnh")  # fmt: skip
        for n in range(wanted["offices"]):
            offices.add_office(conn, f"xa-{n:03d}", f"Xã số {n + 1}", "commune", "tinh", "bench")
        ids = {o.code: o.id for o in offices.every_office(conn)}
    engine.dispose()
    kiosks = [
        (f"k{k:04d}", ids[f"xa-{k % wanted['offices']:03d}"]) for k in range(wanted["kiosks"])
    ]
    with psycopg.connect(pg.dsn(DATABASE), autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        with conn.cursor().copy("COPY devices (device, office_id, acked_upto) FROM STDIN") as copy:
            for device, office in kiosks:
                copy.write_row((device, office, 0))
        for code, name in zip(FIELDS, FIELD_NAMES, strict=True):
            conn.execute("INSERT INTO fields (code, name, active) VALUES (%s, %s, true)",
                         (code, name))  # fmt: skip
        rebuild = _drop_indexes(conn)
        with conn.cursor().copy(f"COPY presses ({COLUMNS}) FROM STDIN") as copy:
            for block in _presses(wanted, seed, [office for _device, office in kiosks]):
                copy.write(block)
        print(f"  loaded {wanted['presses']:,} presses in {time.monotonic() - started:.0f} s;"
              " building indexes …", flush=True)  # fmt: skip
        for ddl in rebuild:
            conn.execute(ddl)
        conn.execute(
            "INSERT INTO dossier_counts (office_id, field, month, resolved)"
            " SELECT d.office_id, p.field, to_char(to_timestamp(p.at_ms / 1000.0)"
            " AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM'),"
            " (count(*) * CASE WHEN o.code LIKE '%%0' OR o.code LIKE '%%5' THEN 1.5 ELSE 1.1 END)::int"
            " FROM presses p JOIN devices d USING (device) JOIN offices o ON o.id = d.office_id"
            " WHERE p.mode = 'live' GROUP BY 1, 2, 3, o.code"
        )
        conn.execute("VACUUM ANALYZE")
    (pg.folder / MARKER).write_text(json.dumps(wanted))
    print(f"  generated in {time.monotonic() - started:.0f} s", flush=True)


def _drop_indexes(conn) -> list[str]:
    """Drop the presses' secondary indexes and key; return the DDL that builds them again."""
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'presses'"
        " AND indexname <> 'presses_pkey'"
    ).fetchall()
    ddl = []
    for name, definition in rows:
        if name == "uq_presses_device_seq":
            conn.execute("ALTER TABLE presses DROP CONSTRAINT uq_presses_device_seq")
            ddl.append(
                "ALTER TABLE presses ADD CONSTRAINT uq_presses_device_seq UNIQUE (device, seq)"
            )
        else:
            conn.execute(f"DROP INDEX {name}")
            ddl.append(definition)
    return ddl


def _days() -> list[tuple[date, float]]:
    """Return the year's working days with their weight (a Saturday a tenth of a weekday)."""
    found, day = [], date(YEAR, 1, 1)
    while day.year == YEAR:
        weight = {5: 0.1, 6: 0.0}.get(day.weekday(), 1.0)
        if weight:
            found.append((day, weight))
        day += timedelta(days=1)
    return found


def _presses(wanted: dict, seed: int, office_of: list[int]):
    """Yield COPY text blocks of presses, day by day (each kiosk's seq rises with time)."""
    rng = random.Random(seed)
    kiosks, silent = wanted["kiosks"], {k for k in range(wanted["kiosks"])
                                        if (k % wanted["offices"]) % 37 == 0}  # fmt: skip
    days = _days()
    scale, written, carry = wanted["presses"] / sum(w for _d, w in days), 0, 0.0
    seqs = [0] * kiosks
    payload = "\\\\x7b7d"  # b"{}": the signed bytes are not what a report reads
    for n, (day, weight) in enumerate(days):
        carry += weight * scale
        count = wanted["presses"] - written if n == len(days) - 1 else int(carry) - written
        midnight = int(datetime.combine(day, datetime.min.time(), LOCAL).timestamp() * 1000)
        picks = sorted((_minute(rng, k in silent), k) for k in
                       (rng.randrange(kiosks) for _ in range(count)))  # fmt: skip
        ratings = rng.choices(LEVELS, LEVEL_WEIGHTS, k=count)
        fields = rng.choices(FIELDS, FIELD_WEIGHTS, k=count)
        lines = []
        for (minute, k), rating, field in zip(picks, ratings, fields, strict=True):
            seqs[k] += 1
            at = midnight + int(minute * 60_000)
            second = int(minute * 60)
            ts = f"{day.isoformat()}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000+07:00"
            mode = "test" if rng.random() < 0.005 else "live"
            lines.append(f"k{k:04d}\t{seqs[k]}\t{rating}\t{ts}\t{at}\tt\tf\tb{k}-{day.month}\t"
                         f"{second}.0\tq{k:04d}\t{field}\t{mode}\t{at + 1500}\t{payload}\t"
                         f"{office_of[k]}\n")  # fmt: skip
        written += count
        yield "".join(lines)
        if day.day == 1 and day.month % 3 == 1:
            print(f"  {day.isoformat()}: {written:,} presses", flush=True)


def _minute(rng: random.Random, silent: bool) -> float:
    """Return a press's minute of the day: office hours, a few outside, a silent office at night."""
    if silent:
        return rng.uniform(19 * 60, 22 * 60)
    if rng.random() < 0.006:
        return rng.uniform(6 * 60, 20 * 60)
    return (
        rng.uniform(7.5 * 60, 11.5 * 60) if rng.random() < 0.55 else rng.uniform(13.5 * 60, 17 * 60)
    )


def free_memory_note() -> str:
    """Say how much memory and CPU the machine has (the figures depend on both)."""
    pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return f"{os.cpu_count()} cores, {pages * size / 2**30:.0f} GiB"
