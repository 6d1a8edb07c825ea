"""The `report` and `publish` commands of hailong-collector."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from hailong.server.cli.transaction import office_option
from hailong.server.config import CollectorConfig
from hailong.server.errors import InputError
from hailong.server.reference.offices import header_settings
from hailong.server.reporting.formats import FORMATS
from hailong.server.reporting.metrics import LEVEL_NAMES
from hailong.server.reporting.periods import (
    CONVENTIONS,
    Period,
    custom,
    format_dmy,
    parse_period,
    parse_user_date,
)
from hailong.server.reporting.settings import ReportSettings, report_settings

DEFAULT_CONVENTION = "cutoff"  # publish.DEFAULT_CONVENTION, spelled here to keep startup light


def register(sub) -> None:
    """Add `report` and `publish` to the collector's subcommand parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--settings", type=Path, help="report settings (TOML): unit, signer, hours…"
    )
    office_option(common)
    report = sub.add_parser("report", parents=[common], help="write one period's report")
    report.add_argument("--convention", choices=CONVENTIONS, default="calendar",
                        help="period boundaries: calendar months (default) or the cut-off on the 14th")  # fmt: skip
    report.add_argument("--period", help="2024-03, 2024-Q1, 2024-H1, 2024-9M or 2024")
    report.add_argument("--from", dest="first", help="first day of a custom range, dd/mm/yyyy")
    report.add_argument("--to", dest="last", help="last day of a custom range, dd/mm/yyyy")
    report.add_argument("--format", choices=FORMATS, help="default: from the file name")
    report.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    report.add_argument("--date", help="date printed on the report (default: today)")
    publish = sub.add_parser("publish", parents=[common], help="write the reports due on a date")
    publish.add_argument("--date", help="publication date, dd/mm/yyyy (default: today)")
    # The plan's dates (28/3, 28/6, 28/9, 28/12) presume periods that close on the 14th.
    publish.add_argument("--convention", choices=CONVENTIONS, default=DEFAULT_CONVENTION,
                         help="period boundaries: the cut-off on the 14th (default) or calendar months")  # fmt: skip
    publish.add_argument("--folder", type=Path, help="publication folder (default: publish_folder in the configuration)")  # fmt: skip
    report.set_defaults(run=report_command)
    publish.set_defaults(run=publish_command)
    summary = sub.add_parser("summary", help="print counts per level for a date range")
    summary.add_argument("--from", dest="first", required=True, help="first day, dd/mm/yyyy")
    summary.add_argument("--to", dest="last", required=True, help="last day, dd/mm/yyyy")
    summary.add_argument("--json", action="store_true", help="print JSON")
    office_option(summary)
    summary.set_defaults(run=summary_command)


def report_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Write the report of one period in one format."""
    from hailong.server.reporting.formats import write_report
    from hailong.server.reporting.reading import read_report
    from hailong.server.storage.db import open_database

    try:
        period = chosen_period(args)
        fmt = args.format or _format_of(args.output)
        issued = _day(args.date, config)
    except ValueError as exc:
        return _usage(exc)
    engine = open_database(config.database)
    try:
        with acting(engine, args.office) as found:
            settings = header_settings(settings_for(config, args.settings), found.office,
                                       found.alone)  # fmt: skip
            data = read_report(engine, period, settings, issued)
    except InputError as exc:
        return _usage(exc)
    finally:
        engine.dispose()
    print(write_report(data, fmt, args.output))
    return 0


def publish_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Write every report due on the date into the publication folder; update the board."""
    from hailong.server.reporting.publish import publish_offices
    from hailong.server.storage.db import open_database

    try:
        day = _day(args.date, config)
    except ValueError as exc:
        return _usage(exc)
    engine = open_database(config.database)
    try:
        done = publish_offices(engine, day, args.folder or config.publish_folder,
                               settings_for(config, args.settings), args.convention,
                               args.office)  # fmt: skip
    except InputError as exc:
        return _usage(exc)
    finally:
        engine.dispose()
    if not (done.written or done.refused):
        print(f"no report is due on {format_dmy(day)}")
    for path in done.written:
        print(path)
    for message in done.refused:
        print(f"hailong-collector: refused: {message}", file=sys.stderr)
    return 1 if done.refused else 0


@contextmanager
def acting(engine, code: str | None):
    """Act for the office named (the only one when none is) while a report is read."""
    from hailong.server.reference import scope

    with engine.connect() as conn, scope.acting_for(conn, code) as found:
        conn.rollback()  # read the offices only: the report takes its own snapshot
        yield found


def chosen_period(args: argparse.Namespace) -> Period:
    """Return the period named by --period, or the range --from … --to."""
    if args.period and (args.first or args.last):
        raise ValueError("give either --period or --from and --to, not both")
    if args.period:
        return parse_period(args.period, args.convention)
    if not (args.first and args.last):
        raise ValueError("say which period: --period 2024-03 (or 2024-Q1, 2024) or --from and --to")
    first, last = parse_user_date(args.first), parse_user_date(args.last)
    if last < first:
        raise ValueError("--to is before --from")
    return custom(first, last)


def settings_for(config: CollectorConfig, path: Path | None) -> ReportSettings:
    """Load report settings (--settings, else the pages' [web] report_settings) in the collector's zone."""
    return report_settings(path or config.web.report_settings, config.time_zone)


def _day(text: str | None, config: CollectorConfig) -> date:
    """Read a dd/mm/yyyy date, or return today in the office's time zone."""
    return parse_user_date(text) if text else datetime.now(config.tz).date()


def _format_of(path: Path) -> str:
    """Guess the format from the file name."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format of {path}: add --format {'|'.join(FORMATS)}")
    return suffix


def _usage(exc: Exception) -> int:
    """Print a usage problem and return exit status 2."""
    print(f"hailong-collector: {exc}", file=sys.stderr)
    return 2


def summary_command(config: CollectorConfig, args) -> int:
    """Print counts per level, the total and the satisfaction rate for a date range."""
    from hailong.server.reporting.metrics import fmt_pct
    from hailong.server.reporting.periods import custom, format_dmy, parse_user_date
    from hailong.server.reporting.summary import level_stats
    from hailong.server.storage.db import open_database
    from hailong.server.storage.snapshot import snapshot

    try:
        first, last = parse_user_date(args.first), parse_user_date(args.last)
    except ValueError as exc:
        print(f"hailong-collector: {exc}", file=sys.stderr)
        return 2
    if last < first:
        print("hailong-collector: --to is before --from", file=sys.stderr)
        return 2
    engine = open_database(config.database)
    try:
        with acting(engine, args.office), snapshot(engine) as conn:
            stats = level_stats(conn, *custom(first, last).bounds_ms(config.time_zone))
    except InputError as exc:
        return _usage(exc)
    if args.json:
        print(json.dumps(_summary_json(stats, first, last), ensure_ascii=False))
        return 0
    print(f"Từ ngày {format_dmy(first)} đến ngày {format_dmy(last)}")
    for level, name in LEVEL_NAMES.items():
        print(f"  {name:<16} {stats.counts[level]:>8}  {fmt_pct(stats.shares[level]):>7}")
    print(f"  {'Tổng số':<16} {stats.total:>8}")
    print(f"  {'Tỷ lệ hài lòng':<16} {fmt_pct(stats.rate):>17}")
    return 0


def _summary_json(stats, first, last) -> dict:
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "counts": {str(level): stats.counts[level] for level in LEVEL_NAMES},
        "total": stats.total,
        "rate": None if stats.rate is None else round(stats.rate, 1),
    }
