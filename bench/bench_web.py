"""Time the summary page over HTTP on a database of 5,000,000 presses, beside a plain GROUP BY.

Run: .venv/bin/python bench/bench_web.py [--db var/bench/reports.db] [--presses 5000000]

The database is bench_reports.py's (generated once, reused while its size matches). The app is
served by waitress on a loopback port, as `hailong-collector web` serves it, and a signed-in
client GETs /summary?period=2024-03 --requests times per measurement:
- baseline: `SELECT rating, count(*) FROM presses WHERE <the month> GROUP BY rating`, the
  plain query that the page's first number comes from;
- build_report alone: the reports issue's ReportData for the month, its rollups kept, which
  the page serves as it is (shown to tell its share of the next line);
- summary page, recomputed: the page's kept figures are dropped before every request, as if
  presses had just arrived (build_report with its half-month rollups, plus the per-counter and
  hour × weekday counts, then the rendering);
- summary page, steady: nothing changed since the last request (the figures are kept, checked
  against fingerprints of the month and of the month before).
Each figure is the 95th percentile. Exit status 1 when the page misses its goal (p95 ≤ 200 ms).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import waitress
from bench_reports import generate, stored_count
from sqlalchemy import text

from hailong.server.accounts import users as accounts
from hailong.server.config import CollectorConfig, WebSettings
from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import parse_period
from hailong.server.storage.db import open_database
from hailong.server.web import create_app

PERIOD, FIRST, END = "2024-03", date(2024, 3, 1), date(2024, 4, 1)
GOAL_MS = 200.0
USER, PASSWORD = "bench", "bench-password-2024"


def main() -> int:
    """Generate or reuse the database, serve the app, time the page and the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("var/bench/reports.db"))
    parser.add_argument("--presses", type=int, default=5_000_000)
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    if stored_count(args.db) != args.presses:
        print(f"generating {args.presses:,} presses into {args.db} …", flush=True)
        generate(args.db, args.presses, args.devices)
    url = f"sqlite:///{args.db.resolve()}"
    engine = open_database(url)
    with engine.begin() as conn:
        if accounts.find_user(conn, USER) is None:
            accounts.add_user(conn, USER, PASSWORD, "leader", "bench")
    folder = Path(tempfile.mkdtemp(prefix="hailong-bench-web-"))
    config = CollectorConfig(database=url, web=WebSettings(secret_key_file=folder / "key"))
    app = create_app(config)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    print(f"database: {stored_count(args.db):,} presses, {args.db.stat().st_size / 2**30:.1f} GiB;"
          f" {args.requests} requests per measurement", flush=True)  # fmt: skip
    return measure(engine, app, signed_in(base), base, args.requests)


def measure(engine, app, opener, base: str, count: int) -> int:
    """Time the baseline and the page, print p95 (and median) of each with the goal."""
    page = f"{base}/summary?period={PERIOD}"
    figures, settings = app.extensions["hailong"].figures, app.extensions["hailong"].settings
    bounds = {"a": _ms(FIRST), "b": _ms(END)}
    baseline = text("SELECT rating, count(*) FROM presses WHERE at_ms >= :a AND at_ms < :b "
                    "GROUP BY rating")  # fmt: skip
    first = _once(lambda: _get(opener, page))  # may count and store the rollups
    with engine.connect() as conn:
        rows = [
            ("baseline: SELECT rating, count(*) … GROUP BY rating, one month",
             _times(lambda: conn.execute(baseline, bounds).all(), count), None),
            ("of which: report_data.build_report alone, rollups kept",
             _times(lambda: _report(engine, settings), count), None),
            ("summary page, figures recomputed on every request",
             _times(lambda: (figures.clear(), _get(opener, page)), count), GOAL_MS),
            ("summary page, steady (nothing changed: figures kept)",
             _times(lambda: _get(opener, page), count), GOAL_MS),
        ]  # fmt: skip
    print(f"first request (rollups checked or built): {first:.0f} ms")
    print(f"{'measurement':<66} {'p95':>8} {'median':>8} {'goal':>9}")
    for name, samples, goal in rows:
        p95, median = _p95(samples), statistics.median(samples)
        print(
            f"{name:<66} {p95:>5.0f} ms {median:>5.0f} ms {'' if goal is None else f'≤ {goal:.0f} ms':>9}"
        )
    missed = [name for name, samples, goal in rows if goal is not None and _p95(samples) > goal]
    print("goals met" if not missed else f"goals missed: {missed}")
    return 1 if missed else 0


def signed_in(base: str):
    """Return a urllib opener holding a signed-in session cookie."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/login") as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())[1]
    form = {"username": USER, "password": PASSWORD, "csrf_token": token}
    with opener.open(f"{base}/login", data=urllib.parse.urlencode(form).encode()) as response:
        if "/summary" not in response.url:
            raise SystemExit("bench: could not sign in")
    return opener


def _report(engine, settings) -> None:
    with engine.connect() as conn:
        build_report(conn, parse_period(PERIOD), settings)


def _get(opener, url: str) -> None:
    with opener.open(url, timeout=60) as response:
        body = response.read()
    if response.status != 200 or b'id="rate"' not in body:
        raise SystemExit(f"bench: {url} answered {response.status} without the page")


def _times(run, count: int) -> list[float]:
    """Return `count` wall times in ms after one warm-up run."""
    run()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _once(run) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _ms(day: date) -> int:
    """Return local midnight (UTC+7, the generator's zone) as UTC epoch ms."""
    from datetime import datetime, timedelta, timezone

    return int(datetime.combine(day, datetime.min.time(), timezone(timedelta(hours=7)))
               .timestamp() * 1000)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
