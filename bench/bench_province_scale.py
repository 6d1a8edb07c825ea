"""The province at scale on PostgreSQL: the yearly report upward, the province page, an office's page.

Run: .venv/bin/python bench/bench_province_scale.py [--small] [--keep] [--reuse]
         [--presses 20000000] [--offices 100] [--kiosks 1000] [--folder /tmp/hailong-bench-province]
         [--period 2024] [--repeat 3] [--requests 40]

province_world.py generates the world once (COPY; minutes for 20,000,000 presses) into a cluster
under --folder; --keep leaves it there after the run, --reuse starts from it when it holds the
same world (never commit it). --small is 1,000,000 presses for a quick check. Measured, beside a
plain GROUP BY in the same run (the presses of the year counted per office and level, one query):
- the consolidated report of --period (default the year 2024, calendar), every office read
  acting for it, then XLSX, PDF and CSV: the first run (rollups counted and stored) and --repeat
  runs after it (rollups kept, as after any page or report has read them); goal ≤ 10 s;
- the province page, a month, over HTTP (waitress, as `hailong-collector web`): p95 of
  --requests GETs, steady (nothing changed) and with the page's figures dropped before every
  request (every office's report read again); goal p95 ≤ 300 ms;
- one office's summary page, a month, signed in as the commune: steady and recomputed; goal
  p95 ≤ 200 ms.
The goals are judged on the steady figures and the kept-rollup report; the recomputed figures are
printed beside them. Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
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

from hailong.server.accounts import users as accounts  # noqa: E402
from hailong.server.config import CollectorConfig, WebSettings  # noqa: E402
from hailong.server.reference import scope  # noqa: E402
from hailong.server.reporting.formats.province_docs import render_province  # noqa: E402
from hailong.server.reporting.periods import parse_period  # noqa: E402
from hailong.server.reporting.settings import ProvinceFrame, ReportSettings  # noqa: E402
from hailong.server.reporting.upward import consolidated  # noqa: E402
from hailong.server.storage.db import open_database  # noqa: E402
from hailong.server.web import create_app  # noqa: E402

GOAL_REPORT_S, GOAL_PROVINCE_MS, GOAL_OFFICE_MS = 10.0, 300.0, 200.0
MONTH = "2024-12"  # the pages' month: the report of --period 2024-12 shares its rollups
SETTINGS = ReportSettings(time_zone="Asia/Ho_Chi_Minh", unit_name="Ủy ban nhân dân xã",
                          place="An Giang", province=ProvinceFrame(unit_name="Sở Nội vụ"))  # fmt: skip
PASSWORD = "bench-password-2024"
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
    rows = []
    with engine.connect() as conn:
        rows.append((f"baseline: one GROUP BY office, level over {period.label}'s presses", [
            _seconds(lambda: conn.execute(BASELINE, {"a": a, "b": b}).all()) * 1000
            for _ in range(args.repeat)], None))  # fmt: skip
    first = _seconds(lambda: _report(engine, period))
    rows.append((f"report upward {period.label}, first run (rollups counted, stored)",
                 [first * 1000], None))  # fmt: skip
    kept = [_seconds(lambda: _report(engine, period)) * 1000 for _ in range(args.repeat)]
    rows.append((f"report upward {period.label}, XLSX+PDF+CSV (rollups kept)", kept,
                 GOAL_REPORT_S * 1000))  # fmt: skip
    rows += pages(engine, url, args.requests)
    print(f"{'measurement':<70} {'p95':>9} {'median':>9} {'goal':>10}")
    for name, samples, goal in rows:
        p95 = _p95(samples) if len(samples) > 1 else samples[0]
        print(f"{name:<70} {p95:>6.0f} ms {statistics.median(samples):>6.0f} ms "
              f"{'' if goal is None else f'≤ {goal:.0f} ms':>10}")  # fmt: skip
    missed = [name for name, samples, goal in rows
              if goal is not None and (_p95(samples) if len(samples) > 1 else samples[0]) > goal]  # fmt: skip
    print("goals met" if not missed else f"goals missed: {missed}")
    return 1 if missed else 0


def pages(engine, url: str, count: int) -> list[tuple]:
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
    cache, figures = app.extensions, app.extensions["hailong"].figures
    first = _seconds(lambda: _page(root, province, b'id="offices"')) * 1000
    found = [
        ("province page, first request (every office read, rollups stored)", [first], None),
        ("province page, steady (nothing changed: the view kept)",
         _times(lambda: _page(root, province, b'id="offices"'), count), GOAL_PROVINCE_MS),
        ("province page, recomputed on every request (100 offices' reports)",
         _times(lambda: (cache.pop("hailong_province", None),
                         _page(root, province, b'id="offices"')), max(count // 8, 3)), None),
        ("an office's summary page, steady",
         _times(lambda: _page(commune, summary, b'id="rate"'), count), GOAL_OFFICE_MS),
        ("an office's summary page, recomputed on every request",
         _times(lambda: (figures.clear(), _page(commune, summary, b'id="rate"')), count), None),
    ]  # fmt: skip
    server.close()
    return found


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
