"""Staff commands: fields, officials, counters, duty, kiosks, dossier counts, audit, corrections.

Each command runs in one transaction: bad input prints one line (an import, one line per
problem), exits with status 2 and writes nothing.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import unicodedata
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hailong.server.cli import devices as provision_cli
from hailong.server.config import CollectorConfig
from hailong.server.errors import InputError
from hailong.server.reference import audit, corrections, dossiers, remarks
from hailong.server.reference import catalogue as reference
from hailong.server.reference.duty import local_text
from hailong.server.reporting.periods import parse_user_date
from hailong.server.storage.db import open_database

_TIME = re.compile(r"(\d{1,2}):(\d{2})")


def register(sub) -> None:
    """Add the staff commands to the collector's subcommand parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--actor", default=_os_user(), help="who makes the change (default: you)")

    def command(group, name, handler, help_text):
        parser = group.add_parser(name, parents=[common], help=help_text)
        parser.set_defaults(run=in_transaction(handler))
        return parser

    _register_reference(sub, command)
    _register_duty(sub, command)
    dossier = _group(sub, "dossiers", "resolved dossiers per field and month")
    command(dossier, "import", dossiers_import, "import a CSV or XLSX file").add_argument("file")
    entry = command(dossier, "set", dossiers_set, "enter one field's count for a month")
    entry.add_argument("field", help="field code or name")
    entry.add_argument("month", help="YYYY-MM or MM/YYYY")
    entry.add_argument("resolved", help="number of dossiers resolved")
    command(dossier, "list", dossiers_list, "show a year's counts").add_argument(
        "--year", type=int, required=True
    )
    log = command(_group(sub, "audit", "the audit log"), "list", audit_list, "latest changes")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--entity", help="only this kind: field, official, duty, dossier_count, ...")
    notes = _group(sub, "remarks", "remarks and proposals for a period's report (table D)")
    write = command(notes, "set", remarks_set, "write a period's remarks")
    write.add_argument("period", help="2024-03, 2024-Q1, 2024-H1, 2024-9M or 2024")
    source = write.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("--file", type=Path, help="a UTF-8 text file")
    command(notes, "show", remarks_show, "print a period's remarks").add_argument("period")
    mark = command(sub, "mark-test", mark_test, "exclude a device's test presses from reports")
    mark.add_argument("device")
    mark.add_argument("seq", help="a seq, or a range like 40-45")
    mark.add_argument("--reason", required=True, help="why, e.g. 'technician test'")


def in_transaction(handler):
    """Return a command that runs handler(conn, args, time_zone) in one transaction."""

    def run(config: CollectorConfig, args: argparse.Namespace) -> int:
        args.collector = config  # device add and revoke also touch the broker's files
        engine = open_database(config.database)
        return print_in_transaction(engine, lambda conn: handler(conn, args, config.time_zone))

    return run


def print_in_transaction(engine, work) -> int:
    """Run work(conn) in one transaction and print its lines; bad input: one line, status 2."""
    try:
        with engine.begin() as conn:
            lines = work(conn)
    except InputError as exc:
        print(f"hailong-collector: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for line in lines:
        print(line)
    return 0


def _register_reference(sub, command) -> None:
    for entity, help_text in (("field", "fields (lĩnh vực)"), ("official", "officials (CBCC)")):
        group = _group(sub, entity, help_text)
        add = command(group, "add", _add(entity), f"add a {entity}")
        add.add_argument("code")
        add.add_argument("name")
        change = command(group, "set", _set(entity), f"rename, deactivate or reactivate a {entity}")
        change.add_argument("code")
        change.add_argument("--name")
        state = change.add_mutually_exclusive_group()
        state.add_argument("--active", dest="active", action="store_const", const=True)
        state.add_argument("--inactive", dest="active", action="store_const", const=False)
        command(group, "list", _list(entity), f"list the {entity}s")
    group = _group(sub, "counter", "counters (quầy)")
    add = command(group, "add", counter_add, "add a counter")
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--field", help="the field it serves (shown on its kiosk)")
    change = command(group, "set", counter_set, "rename a counter or change its field")
    change.add_argument("code")
    change.add_argument("--name")
    field = change.add_mutually_exclusive_group()
    field.add_argument("--field")
    field.add_argument("--no-field", action="store_true", help="serve no particular field")
    command(group, "list", _list("counter"), "list the counters")


def _register_duty(sub, command) -> None:
    group = _group(sub, "duty", "who serves at which counter, over time")
    assign = command(group, "assign", duty_assign, "put an official on duty at a counter")
    assign.add_argument("counter")
    assign.add_argument("official")
    assign.add_argument("--from", dest="start", help='"dd/mm/yyyy HH:MM" (default: now)')
    end = command(group, "end", duty_end, "end the duty at a counter (nobody serves there)")
    end.add_argument("counter")
    end.add_argument("--at", help='"dd/mm/yyyy HH:MM" (default: now)')
    command(group, "list", duty_list, "the duty history").add_argument("--counter")
    device = _group(sub, "device", "kiosks")
    place = command(device, "counter", device_counter, "place a kiosk at a counter")
    place.add_argument("device")
    place.add_argument("counter")
    command(device, "list", device_list, "list the kiosks")
    provision_cli.register(device, command)


def _group(sub, name: str, help_text: str):
    return sub.add_parser(name, help=help_text).add_subparsers(dest="action", required=True)


def _add(entity: str):
    adders = {"field": reference.add_field, "official": reference.add_official}

    def handler(conn, args, _tz):
        adders[entity](conn, args.code, args.name, args.actor)
        return [f"{entity} {args.code} added"]

    return handler


def _set(entity: str):
    setters = {"field": reference.set_field, "official": reference.set_official}

    def handler(conn, args, _tz):
        changed = setters[entity](conn, args.code, args.actor, name=args.name, active=args.active)
        return [f"{entity} {args.code} {'updated' if changed else 'unchanged'}"]

    return handler


def _list(entity: str):
    def handler(conn, _args, _tz):
        rows = reference.listing(conn, entity)
        return [_row_text(entity, row) for row in rows] or [f"no {entity}s yet"]

    return handler


def _row_text(entity: str, row: dict) -> str:
    if entity == "counter":
        return f"{row['code']:<16} {row['name']:<32} {row['field'] or '-'}"
    return f"{row['code']:<16} {row['name']:<40} {'active' if row['active'] else 'inactive'}"


def counter_add(conn, args, _tz):
    """Add a counter."""
    reference.add_counter(conn, args.code, args.name, args.actor, field=args.field)
    return [f"counter {args.code} added"]


def counter_set(conn, args, _tz):
    """Rename a counter or change its field."""
    field = None if args.no_field else args.field if args.field is not None else reference.KEEP
    changed = reference.set_counter(conn, args.code, args.actor, name=args.name, field=field)
    return [f"counter {args.code} {'updated' if changed else 'unchanged'}"]


def duty_assign(conn, args, tz):
    """Put an official on duty."""
    start = parse_local_time(args.start, tz)
    new = reference.assign(conn, args.counter, args.official, start, args.actor, tz=tz)
    return [f"{new.official} on duty at counter {new.counter} from {local_text(new.start_ms, tz)}"]


def duty_end(conn, args, tz):
    """End a counter's duty."""
    done = reference.release(conn, args.counter, parse_local_time(args.at, tz), args.actor, tz=tz)
    return [
        f"{done.official} off duty at counter {done.counter} from {local_text(done.end_ms, tz)}"
    ]


def duty_list(conn, args, tz):
    """Show the duty history."""
    rows = reference.assignments(conn, args.counter)
    return [
        f"{a.counter:<12} {a.official:<16} {local_text(a.start_ms, tz)} → "
        f"{'(on duty)' if a.end_ms is None else local_text(a.end_ms, tz)}"
        for a in rows
    ] or ["no duty recorded yet"]


def device_counter(conn, args, _tz):
    """Place a kiosk at a counter."""
    config = reference.set_device_counter(conn, args.device, args.counter, args.actor)
    return [f"{args.device} at counter {args.counter}; config {json.dumps(config.to_dict(), ensure_ascii=False)}"]  # fmt: skip


def device_list(conn, _args, tz):
    """List the kiosks."""
    return [
        f"{d['device']:<20} {d['counter'] or '-':<12} {d['state'] or '-':<8} "
        f"{local_text(d['last_seen_ms'], tz) if d['last_seen_ms'] else 'never seen'}"
        for d in reference.list_devices(conn)
    ] or ["no kiosks yet"]


def dossiers_import(conn, args, _tz):
    """Import a dossier file."""
    result = dossiers.import_file(conn, args.file, args.actor)
    return [f"{result.rows} rows read: {result.changed} changed, {result.unchanged} unchanged"]


def dossiers_set(conn, args, _tz):
    """Enter one count."""
    changed = dossiers.set_count(conn, args.field, args.month, args.resolved, args.actor)
    return ["saved" if changed else "unchanged"]


def dossiers_list(conn, args, _tz):
    """Show a year's counts, one line per field, one column per month."""
    table: dict[str, dict[int, int]] = {}
    for field, month, resolved in dossiers.monthly(conn, args.year):
        table.setdefault(field, {})[int(month[5:])] = resolved
    header = (
        f"{'field':<16}" + "".join(f"{'T' + str(m):>7}" for m in range(1, 13)) + f"{'total':>9}"
    )
    lines = [header]
    for field, months in table.items():
        cells = "".join(f"{months.get(m, '-'):>7}" for m in range(1, 13))
        lines.append(f"{field:<16}{cells}{sum(months.values()):>9}")
    return lines if table else [f"no dossier counts for {args.year}"]


def audit_list(conn, args, tz):
    """Show the latest audit rows."""
    if args.limit < 1:
        raise InputError("--limit must be 1 or more")
    return [
        f"{local_text(e.at_ms, tz)}  {e.actor:<12} {e.action:<9} {e.entity} {e.key}: "
        f"{_compact(e.before)} → {_compact(e.after)}"
        for e in audit.recent(conn, args.limit, args.entity)
    ] or ["the audit log is empty"]


def mark_test(conn, args, _tz):
    """Exclude test presses."""
    count = corrections.exclude(
        conn, args.device, corrections.parse_seqs(args.seq), args.reason, args.actor
    )
    return [f"{count} press(es) of {args.device} excluded: {args.reason}"]


def parse_local_time(text: str | None, tz: str) -> datetime:
    """Read "dd/mm/yyyy HH:MM" (or a date alone: midnight) in the office's zone; None is now."""
    zone = ZoneInfo(tz)
    if text is None:
        return datetime.now(zone)
    day_text, _, clock = text.strip().partition(" ")
    try:
        day = parse_user_date(day_text)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    match = _TIME.fullmatch(clock.strip()) if clock.strip() else None
    if clock.strip() and (match is None or int(match[1]) > 23 or int(match[2]) > 59):
        raise InputError(f"cannot read time {clock.strip()!r}: expected HH:MM, e.g. 07:30")
    hour, minute = (int(match[1]), int(match[2])) if match else (0, 0)
    return datetime.combine(day, time(hour, minute), zone)


def _compact(row: dict | None) -> str:
    return "-" if row is None else json.dumps(row, ensure_ascii=False, sort_keys=True)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return ""


def remarks_set(conn, args, _tz):
    """Write a period's remarks from --text or --file."""
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{args.file}: cannot read as UTF-8 text: {exc}") from None
    else:
        text = args.text
    label = remarks.set_remarks(conn, args.period, unicodedata.normalize("NFC", text), args.actor)
    return [f"remarks for {label} saved"]


def remarks_show(conn, args, _tz):
    """Print a period's remarks."""
    return [remarks.remarks_for(conn, args.period) or "(none)"]
