"""The `province` commands: the report upward, and the signed files of offices with no link.

  province key     issue an office's key (the province keeps <office>.key; the office a copy)
  province export  an office writes its signed figures for a period (from its own database)
  province import  the province verifies and keeps an exported file (idempotent, --replace)
  province report  the consolidated report from office databases and imported files

By default `province report` reads every commune under the collector's root office from its own
database (upward.py), and adds the files imported for the period (--store). Offices kept in
other collectors' databases are named instead: `--office CODE=collector.toml` (its database,
report settings and unit name) or `--office CODE=sqlite:///…` (named by --office-name CODE=NAME,
read with the province's settings).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from hailong.server.cli.reports import DEFAULT_CONVENTION, _day, _usage, settings_for
from hailong.server.config import CollectorConfig, load_config
from hailong.server.reporting.periods import CONVENTIONS, Period, parse_period
from hailong.server.reporting.settings import ReportSettings

FORMATS = ("xlsx", "pdf", "csv")


def register(sub) -> None:
    """Add `province key|export|import|report` to the collector's subcommand parser."""
    province = sub.add_parser("province", help="the report upward and offices' signed files")
    commands = province.add_subparsers(dest="province_command", required=True)
    key = commands.add_parser("key", help="issue an office's signing key")
    key.add_argument("--office", required=True, help="the office's code, e.g. xa-an-binh")
    key.add_argument("--keys", type=Path, required=True, help="the province's folder of keys")
    key.add_argument("--rotate", action="store_true", help="replace the office's existing key")
    key.set_defaults(run=key_command)
    timed = argparse.ArgumentParser(add_help=False)
    timed.add_argument("--period", required=True, help="2024-03, 2024-Q1, 2024-H1, 2024-9M, 2024")
    timed.add_argument("--convention", choices=CONVENTIONS, default=DEFAULT_CONVENTION,
                       help="period boundaries: the cut-off on the 14th (default) or calendar")  # fmt: skip
    timed.add_argument("--settings", type=Path, help="report settings (TOML)")
    export = commands.add_parser("export", parents=[timed], help="write this office's signed file")
    export.add_argument("--office", required=True, help="this office's code, as registered")
    export.add_argument("--name", help="this office's name (default: unit_name of the settings)")
    export.add_argument("--key", type=Path, required=True, help="the key file the province issued")
    export.add_argument("-o", "--output", type=Path, required=True)
    export.set_defaults(run=export_command)
    imp = commands.add_parser("import", help="verify and keep offices' signed files")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--keys", type=Path, required=True, help="the province's folder of keys")
    imp.add_argument("--store", type=Path, required=True, help="the folder of imported files")
    imp.add_argument("--replace", action="store_true",
                     help="let a newer export replace the one imported (the old one is kept)")  # fmt: skip
    imp.set_defaults(run=import_command)
    report = commands.add_parser("report", parents=[timed], help="write the consolidated report")
    report.add_argument("--office", action="append", default=[], metavar="CODE=SOURCE",
                        help="an office kept elsewhere: CODE=collector.toml or CODE=database URL"
                             " (repeatable; default: this database's communes)")  # fmt: skip
    report.add_argument("--office-name", action="append", default=[], metavar="CODE=NAME")
    report.add_argument("--store", type=Path, help="add every file imported for the period")
    report.add_argument("--keys", type=Path, help="the keys the imported files are checked with")
    report.add_argument("--format", choices=FORMATS, help="default: from the file name")
    report.add_argument("--lang", choices=("vi", "en"), default="vi")
    report.add_argument("--date", help="date printed on the report (default: today)")
    report.add_argument("-o", "--output", type=Path, required=True)
    report.set_defaults(run=report_command)


def key_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Write a fresh key for an office (mode 0600); the office gets a copy by hand."""
    from hailong.protocol.files import write_atomic
    from hailong.server.reporting.exchange import check_code, new_key

    path = args.keys / f"{check_code(args.office)}.key"
    if path.exists() and not args.rotate:
        return _usage(ValueError(f"{path} exists: the office has a key (--rotate replaces it)"))
    print(write_atomic(path, new_key() + "\n", mode=0o600))
    return 0


def export_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Write this office's signed figures for a period."""
    from hailong.protocol import ProtocolError, parse_key
    from hailong.protocol.files import write_atomic
    from hailong.server.reporting.exchange import check_code, export_bytes
    from hailong.server.reporting.province import office_figures

    try:
        period = parse_period(args.period, args.convention)
        key = parse_key(args.key.read_text())
    except (ValueError, OSError, ProtocolError) as exc:
        return _usage(exc)
    settings = settings_for(config, args.settings)
    name = args.name or settings.unit_name
    if not name.strip():
        return _usage(ValueError("name the office: --name, or unit_name in the report settings"))
    data = _read(config.database, period, settings)
    figures = office_figures(check_code(args.office), name, data)
    raw = export_bytes(figures, period, datetime.now(UTC), key)
    print(write_atomic(args.output, raw))
    return 0


def import_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Verify and keep each file; say what each did; exit 1 if any was refused."""
    from hailong.server.ingest.keys import load_keys
    from hailong.server.reporting.exchange import ExchangeError
    from hailong.server.reporting.imports import FolderStore, import_file

    keys, store, refused = load_keys(args.keys), FolderStore(args.store), 0
    for path in args.files:
        try:
            done = import_file(store, path.read_bytes(), keys, replace=args.replace)
        except (ExchangeError, OSError) as exc:
            print(f"hailong-collector: {path}: refused: {exc}", file=sys.stderr)
            refused += 1
            continue
        f = done.export.figures
        print(f"{path}: {done.outcome}: {f.code} ({f.name}), {done.export.period.label}")
    return 1 if refused else 0


def report_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Write the consolidated report of a period from office databases and imported files."""
    from hailong.server.reporting.formats.province_docs import write_province
    from hailong.server.reporting.province import consolidate

    try:
        period = parse_period(args.period, args.convention)
        fmt = args.format or _format_of(args.output)
        issued = _day(args.date, config)
        sources = [_pair(text, "--office") for text in args.office]
        names = dict(_pair(text, "--office-name") for text in args.office_name)
    except ValueError as exc:
        return _usage(exc)
    settings = settings_for(config, args.settings)
    imported = _from_store(args.store, args.keys, period) if args.store else []
    try:
        if sources:
            offices = [_from_database(code, source, names.get(code), period, settings)
                       for code, source in sources]  # fmt: skip
            report = consolidate(period, offices + imported, settings, issued)
        else:
            report = _from_own_database(config, period, settings, issued, imported)
    except ValueError as exc:  # an office given twice, figures of another period, none at all
        return _usage(exc)
    print(write_province(report, fmt, args.output, args.lang))
    return 0


def _from_database(code: str, source: str, name: str | None, period: Period,
                   province: ReportSettings):  # fmt: skip
    """Read one office from a collector's configuration or a database URL."""
    from hailong.server.reporting.exchange import check_code
    from hailong.server.reporting.province import office_figures

    settings, url = province, source
    if source.endswith(".toml"):
        office = load_config(Path(source))
        settings, url = settings_for(office, None), office.database
    data = _read(url, period, settings)
    return office_figures(check_code(code), name or settings.unit_name or code, data)


def _from_own_database(config: CollectorConfig, period: Period, settings: ReportSettings,
                       issued: date, imported: list):  # fmt: skip
    """Consolidate the communes of this collector's database and the imported files."""
    from hailong.server.reporting.upward import consolidated
    from hailong.server.storage.db import open_database

    engine = open_database(config.database)
    try:
        report = consolidated(engine, period, settings, issued, imported)
    finally:
        engine.dispose()
    if not report.offices:
        raise ValueError("no office to report: the database has no commune under its root;"
                         " name them with --office CODE=SOURCE or --store FOLDER")  # fmt: skip
    return report


def _from_store(store: Path, keys: Path | None, period: Period) -> list:
    """Read every file imported for the period, verified again with the province's keys."""
    from hailong.server.errors import InputError
    from hailong.server.ingest.keys import load_keys
    from hailong.server.reporting.imports import FolderStore

    if keys is None:
        raise InputError("--store cần --keys: các tệp đã nhập được kiểm tra lại khi đọc")
    return [e.figures for e in FolderStore(store).exports(period, load_keys(keys))]


def _read(url: str, period: Period, settings: ReportSettings):
    """Read one database's report of a period from one snapshot."""
    from hailong.server.reporting.reading import read_report
    from hailong.server.storage.db import open_database

    engine = open_database(url)
    try:
        return read_report(engine, period, settings, issued=date.today())
    finally:
        engine.dispose()


def _pair(text: str, option: str) -> tuple[str, str]:
    """Split "CODE=VALUE"."""
    code, sep, value = text.partition("=")
    if not (sep and code.strip() and value.strip()):
        raise ValueError(f"{option} takes CODE=VALUE, got {text!r}")
    return code.strip(), value.strip()


def _format_of(path: Path) -> str:
    """Guess the format from the file name."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format of {path}: add --format {'|'.join(FORMATS)}")
    return suffix
