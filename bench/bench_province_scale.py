"""The province at scale on PostgreSQL: the yearly report upward, the province page, an office's page.

Run: .venv/bin/python bench/bench_province_scale.py [--small] [--keep] [--reuse] [--cold]
         [--presses 20000000] [--offices 100] [--kiosks 1000] [--folder /tmp/hailong-bench-province]
         [--period 2024] [--repeat 3] [--requests 40] [--rates 3,10] [--interval 1] [--closed]
         [--pages-only]

province_world.py generates the world once (COPY; minutes for 20,000,000 presses) into a cluster
under --folder; --keep leaves it there after the run, --reuse starts from it when it holds the
same world (never commit it). --small is 1,000,000 presses for a quick check. Measured, beside a
plain GROUP BY in the same run (the presses of the period counted per office and level, one query):
- the consolidated report of --period (default the year 2024, calendar), every office read
  acting for it, then XLSX, PDF and CSV: the first run (--cold: every rollup dropped before it,
  so all are counted and stored) and --repeat runs after it (rollups kept); goal ≤ 10 s; the
  month 2024-12 the same way, kept;
- the province page and one office's summary page (signed in as the commune), the month
  2024-12, over HTTP (waitress, as `hailong-collector web`): p95 of --requests GETs, steady
  (back to back, nothing changed), and one every --interval seconds while a writer stores
  presses through ingest's own path (storage/batch.store_batch, one press a batch) at each of
  --rates presses a second, dated 20 December 2024 in office hours on random kiosks. For the
  pages the reports' clock (which half-months are closed and kept as rollups) is 20 December
  2024 at noon, so that half-month is open, as the current one is in office hours; --closed
  leaves the clock alone (it is then closed, and its rollup counted and stored again at each
  change, which costs more). Goals p95 ≤ 300 ms (province) and ≤ 200 ms (office). The province page with its kept view
  dropped before each request (every office read again) is printed beside them. --pages-only
  times the pages alone (beside the baseline, no report upward).
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import waitress  # noqa: E402
from bench_web import _p95, _times, signed_in  # noqa: E402
from province_world import DATABASE, cluster, free_memory_note, generate  # noqa: E402
from sqlalchemy import text  # noqa: E402

from hailong.protocol import Press, Topics  # noqa: E402
from hailong.server.accounts import users as accounts  # noqa: E402
from hailong.server.config import CollectorConfig, WebSettings  # noqa: E402
from hailong.server.epoch import now_ms as _now_ms  # noqa: E402
from hailong.server.ingest.intake import Message, classify  # noqa: E402
from hailong.server.reference import scope  # noqa: E402
from hailong.server.reporting.formats.province_docs import render_province  # noqa: E402
from hailong.server.reporting.periods import parse_period  # noqa: E402
from hailong.server.reporting.settings import ProvinceFrame, ReportSettings  # noqa: E402
from hailong.server.reporting.upward import consolidated  # noqa: E402
from hailong.server.storage.batch import store_batch  # noqa: E402
from hailong.server.storage.db import open_database  # noqa: E402
from hailong.server.web import create_app  # noqa: E402

GOAL_REPORT_S, GOAL_PROVINCE_MS, GOAL_OFFICE_MS = 10.0, 300.0, 200.0
MONTH = "2024-12"  # the pages' month: the report of --period 2024-12 shares its rollups
SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", unit_name="Ủy ban nhân dân xã",
                          place="An Giang", province=ProvinceFrame(unit_name="Sở Nội vụ"))  # fmt: skip
PASSWORD = "bench-password-2024"
TOPICS = Topics()
# "Today" for the pages: 20 December 2024, noon in Hà Nội: December's second half is open.
TODAY_MS = 1734670800000
BASELINE = text(
    "SELECT d.office_id, p.rating, count(*) FROM presses p JOIN devices d USING (device)"
    " WHERE p.at_ms >= :a AND p.at_ms < :b AND p.mode = 'live' GROUP BY 1, 2"
)


def main() -> int:
    """Generate or reuse the world, measure, print the figures beside the baseline and goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20_000_000)
    parser.add_argument("--offices", type=int, default=100)
    parser.add_argument("--kiosks", type=int, default=1_000)
    parser.add_argument("--small", action="store_true", help="1,000,000 presses")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/hailong-bench-province"))
    parser.add_argument("--keep", action="store_true", help="keep the cluster's files")
    parser.add_argument("--reuse", action="store_true", help="start from kept files")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rates", default="3,10", help="presses a second while pages are read")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between page requests while presses arrive")  # fmt: skip
    parser.add_argument("--cold", action="store_true", help="drop every rollup before the first")
    parser.add_argument("--closed", action="store_true",
                        help="pages: leave the reports' clock alone (December's halves closed)")  # fmt: skip
    parser.add_argument("--pages-only", action="store_true",
                        help="time only the pages (and the baseline), no report upward")  # fmt: skip
    parser.add_argument("--period", default="2024",
                        help="the report upward's period (calendar), e.g. 2024-12 for a quick run")  # fmt: skip
    args = parser.parse_args()
    presses = 1_000_000 if args.small else args.presses
    wanted = {"presses": presses, "offices": args.offices, "kiosks": args.kiosks}
    folder = args.folder.with_name(args.folder.name + ("-small" if args.small else ""))
    pg, ready = cluster(folder, args.reuse, wanted)
    try:
        if not ready:
            print(f"generating {presses:,} presses into {folder} …", flush=True)
            generate(pg, wanted)
        engine = open_database(pg.url(DATABASE))
        try:
            return measure(engine, pg.url(DATABASE), args)
        finally:
            engine.dispose()
    finally:
        pg.halt(remove=not args.keep)


def measure(engine, url: str, args) -> int:
    """Time everything; print one table; return 1 when a goal is missed."""
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM presses")).scalar_one()
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    print(f"PostgreSQL: {stored:,} presses, {args.offices} offices, {args.kiosks} kiosks, "
          f"{size / 2**30:.1f} GiB; machine: {free_memory_note()}", flush=True)  # fmt: skip
    period = parse_period(args.period, "calendar")
    a, b = period.bounds_ms(SETTINGS.zone)
    with engine.connect() as conn:
        rows = [(f"baseline: one GROUP BY office, level over {period.label}'s presses", [
            _seconds(lambda: conn.execute(BASELINE, {"a": a, "b": b}).all()) * 1000
            for _ in range(args.repeat)], None)]  # fmt: skip
    if not args.pages_only:
        rows += reports(engine, period, args)
    rates = [float(r) for r in args.rates.split(",") if r]
    rows += pages(engine, url, args.requests, rates, args.interval, not args.closed)
    print(f"{'measurement':<74} {'p95':>9} {'median':>9} {'goal':>10}")
    for name, samples, goal in rows:
        p95 = _p95(samples) if len(samples) > 1 else samples[0]
        print(f"{name:<74} {p95:>6.0f} ms {statistics.median(samples):>6.0f} ms "
              f"{'' if goal is None else f'≤ {goal:.0f} ms':>10}")  # fmt: skip
    missed = [name for name, samples, goal in rows
              if goal is not None and (_p95(samples) if len(samples) > 1 else samples[0]) > goal]  # fmt: skip
    print("goals met" if not missed else f"goals missed: {missed}")
    return 1 if missed else 0


def reports(engine, period, args) -> list[tuple]:
    """Time the report upward of `period` and of December: first (or cold), then kept."""
    rows = []
    if args.cold:
        with engine.begin() as conn:
            for table in ("report_half_flags", "report_half_counts", "report_halves"):
                conn.execute(text(f"DELETE FROM {table}"))
    first = _seconds(lambda: _report(engine, period))
    which = "cold: every rollup counted, stored" if args.cold else "first of this run"
    rows.append((f"report upward {period.label}, {which}", [first * 1000], None))
    print(f"  {rows[-1][0]}: {first:.1f} s", flush=True)
    kept = [_seconds(lambda: _report(engine, period)) * 1000 for _ in range(args.repeat)]
    rows.append((f"report upward {period.label}, XLSX+PDF+CSV (rollups kept)", kept,
                 GOAL_REPORT_S * 1000))  # fmt: skip
    month = parse_period(MONTH, "calendar")
    _report(engine, month)
    rows.append((f"report upward {MONTH}, XLSX+PDF+CSV (rollups kept)",
                 [_seconds(lambda: _report(engine, month)) * 1000 for _ in range(args.repeat)],
                 GOAL_REPORT_S * 1000))  # fmt: skip
    return rows


def pages(engine, url: str, count: int, rates: list[float], interval: float,
          open_half: bool) -> list[tuple]:  # fmt: skip
    """Serve the app and time the province page and one office's summary page."""
    with engine.begin() as conn:
        for office, user in (("tinh", "bench-tinh"), ("xa-001", "bench-xa")):
            with scope.acting_for(conn, office):
                if accounts.find_user(conn, user) is None:
                    accounts.add_user(conn, user, PASSWORD, "leader", "bench")
    folder = Path(tempfile.mkdtemp(prefix="hailong-bench-province-web-"))
    config = CollectorConfig(database=url, web=WebSettings(secret_key_file=folder / "key"))
    app = create_app(config, settings=replace(SETTINGS, time_zone=config.time_zone))
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    province = f"{base}/province?period={MONTH}&convention=calendar"
    summary = f"{base}/summary?period={MONTH}&convention=calendar"
    root, commune = _signed(base, "bench-tinh"), _signed(base, "bench-xa")
    cache = app.extensions

    def see_province():
        _page(root, province, b'id="offices"')

    def see_office():
        _page(commune, summary, b'id="rate"')

    clock = _reports_clock(TODAY_MS) if open_half else contextlib.nullcontext()
    try:
        with clock:
            return _timed_pages(see_province, see_office, engine, count, rates, interval, cache,
                                server)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the app's secret key file


def _timed_pages(see_province, see_office, engine, count, rates, interval, cache, server):
    """Time the pages steady, while presses arrive, and with the province's view dropped."""
    first = _seconds(see_province) * 1000
    found = [
        ("province page, first request (every office read, rollups stored)", [first], None),
        ("province page, steady (nothing changed: the view kept)",
         _times(see_province, count), GOAL_PROVINCE_MS),
        ("an office's summary page, steady", _times(see_office, count), GOAL_OFFICE_MS),
    ]  # fmt: skip
    for rate in rates:
        with Writer(engine, rate) as writer:
            province_times = _paced(see_province, count, interval)
            office_times = _paced(see_office, count, interval)
        found += [
            (f"province page, one a {interval:g} s while presses arrive at {rate:g}/s "
             f"({writer.stored} stored)", province_times, GOAL_PROVINCE_MS),
            ("an office's summary page, the same", office_times, GOAL_OFFICE_MS),
        ]  # fmt: skip
    found.append(("province page, its view dropped before every request (all offices read)",
                  _times(lambda: (cache.pop("hailong_province", None), see_province()),
                         max(count // 8, 3)), None))  # fmt: skip
    server.close()
    return found


class Writer:
    """Store presses at a steady rate through ingest's own path, in a thread, while in use."""

    def __init__(self, engine, rate: float, kiosks: int = 1_000, seed: int = 16):
        self.engine, self.rate, self.kiosks = engine, rate, kiosks
        self.rng, self.stop, self.stored, self.seqs = random.Random(seed), threading.Event(), 0, {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.failed: BaseException | None = None

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(60)
        if self.failed is not None:
            raise SystemExit(f"bench: the writer failed: {self.failed!r}")

    def _run(self) -> None:
        due = time.monotonic()
        try:
            while not self.stop.is_set():
                self._store_one()
                due += 1 / self.rate
                self.stop.wait(max(0.0, due - time.monotonic()))
        except BaseException as exc:  # noqa: BLE001 - reported by __exit__
            self.failed = exc

    def _store_one(self) -> None:
        device = f"k{self.rng.randrange(self.kiosks):04d}"
        with self.engine.begin() as conn:
            if device not in self.seqs:
                self.seqs[device] = conn.execute(
                    text("SELECT coalesce(max(seq), 0) FROM presses WHERE device = :d"),
                    {"d": device},
                ).scalar_one()
            self.seqs[device] += 1
            day = 20  # "today" (TODAY_MS): presses arrive dated the day they are stored
            second = int(self.rng.uniform(7.5 * 3600, 17 * 3600))
            ts = (f"2024-12-{day:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:"
                  f"{second % 60:02d}.000+07:00")  # fmt: skip
            body = Press(device=device, seq=self.seqs[device], rating=self.rng.choice((4, 4, 3, 1)),
                         ts=ts, synced=True, boot="bench-writer", mono=float(second),
                         field="ho-tich").to_bytes()  # fmt: skip
            item = classify(Message(TOPICS.press(device), body, None, _now_ms()), TOPICS, {})
            store_batch(conn, [item], _now_ms())
        self.stored += 1


@contextlib.contextmanager
def _reports_clock(at_ms: int):
    """Set the clock the reports judge closed half-months by (rollup, figures, trend) to at_ms."""
    from hailong.server.reporting import figures, rollup, trend

    held = [(module, module.now_ms) for module in (rollup, figures, trend)]
    for module, _clock in held:
        module.now_ms = lambda: at_ms
    try:
        yield
    finally:
        for module, clock in held:
            module.now_ms = clock


def _paced(run, count: int, interval: float) -> list[float]:
    """Return `count` wall times in ms of requests started `interval` seconds apart."""
    samples, due = [], time.monotonic()
    for _ in range(count):
        due += interval
        samples.append(_seconds(run) * 1000)
        time.sleep(max(0.0, due - time.monotonic()))
    return samples


def _signed(base: str, user: str):
    import bench_web

    bench_web.USER, bench_web.PASSWORD = user, PASSWORD
    return signed_in(base)


def _page(opener, url: str, mark: bytes) -> None:
    with opener.open(url, timeout=600) as response:
        body = response.read()
    if response.status != 200 or mark not in body:
        raise SystemExit(f"bench: {url} answered {response.status} without the page")


def _report(engine, period) -> None:
    report = consolidated(engine, period, SETTINGS, date(2025, 1, 5))
    for fmt in ("xlsx", "pdf", "csv"):
        render_province(report, fmt)


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
