"""Staff commands for records: dossier counts, the audit log, remarks (table D) and test marks."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from hailong.server import epoch
from hailong.server.cli.transaction import group, staff_command
from hailong.server.errors import InputError
from hailong.server.reference import audit, corrections, dossiers, remarks
from hailong.server.reference.duty import local_text
from hailong.server.reporting.periods import parse_local_time


def register(sub) -> None:
    """Add `dossiers`, `audit`, `remarks` and `mark-test` to the subcommand parser."""
    command = staff_command()
    dossier = group(sub, "dossiers", "resolved dossiers per field and month")
    command(dossier, "import", dossiers_import, "import a CSV or XLSX file").add_argument("file")
    entry = command(dossier, "set", dossiers_set, "enter one field's count for a month")
    entry.add_argument("field", help="field code or name")
    entry.add_argument("month", help="YYYY-MM or MM/YYYY")
    entry.add_argument("resolved", help="number of dossiers resolved")
    command(dossier, "list", dossiers_list, "show a year's counts").add_argument(
        "--year", type=int, required=True
    )
    log = command(group(sub, "audit", "the audit log"), "list", audit_list, "latest changes")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--entity", help="only this kind: field, official, duty, dossier_count, ...")
    notes = group(sub, "remarks", "remarks and proposals for a period's report (table D)")
    write = command(notes, "set", remarks_set, "write a period's remarks")
    write.add_argument("period", help="2024-03, 2024-Q1, 2024-H1, 2024-9M or 2024")
    source = write.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("--file", type=Path, help="a UTF-8 text file")
    command(notes, "show", remarks_show, "print a period's remarks").add_argument("period")
    mark = command(sub, "mark-test", mark_test, "exclude a device's test presses from reports")
    mark.add_argument("device")
    mark.add_argument("seq", nargs="?", help="a seq, or a range like 40-45 (or use --from/--to)")
    mark.add_argument("--from", dest="start", help='first moment, "dd/mm/yyyy HH:MM"')
    mark.add_argument(
        "--to", dest="end", help='end of the range (not included), "dd/mm/yyyy HH:MM"'
    )
    mark.add_argument("--reason", required=True, help="why, e.g. 'technician test'")


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
        raise InputError("--limit phải từ 1 trở lên")
    return [
        f"{local_text(e.at_ms, tz)}  {e.actor:<12} {e.action:<9} {e.entity} {e.key}: "
        f"{_compact(e.before)} → {_compact(e.after)}"
        for e in audit.recent(conn, args.limit, args.entity)
    ] or ["the audit log is empty"]


def mark_test(conn, args, tz):
    """Exclude test presses, by seq or by a time range."""
    if args.seq is not None:
        if args.start or args.end:
            raise InputError("Hãy cho số thứ tự hoặc --from/--to, không cả hai")
        seqs = corrections.parse_seqs(args.seq)
        count = corrections.exclude(conn, args.device, seqs, args.reason, args.actor)
        return [f"{count} press(es) of {args.device} excluded: {args.reason}"]
    if not (args.start and args.end):
        raise InputError("Hãy nói lượt bấm nào: một khoảng số thứ tự, hoặc cả --from và --to")
    start, end = (epoch.to_ms(parse_local_time(t, tz)) for t in (args.start, args.end))
    found = corrections.covered(conn, args.device, start, end)
    count, before = corrections.exclude_between(conn, args.device, start, end, args.reason,
                                                args.actor)  # fmt: skip
    lines = [f"seq {c.seq:<8} {epoch.local_text(c.at_ms, tz)}  rating {c.rating}  {c.mode}"
             + (f"  (already excluded by {c.excluded})" if c.excluded else "") for c in found]  # fmt: skip
    return [*lines, f"{count} press(es) of {args.device} excluded: {args.reason}"
            + (f"; {before} were excluded already" if before else "")]  # fmt: skip


def _compact(row: dict | None) -> str:
    return "-" if row is None else json.dumps(row, ensure_ascii=False, sort_keys=True)


def remarks_set(conn, args, _tz):
    """Write a period's remarks from --text or --file."""
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("{path}: không đọc được dạng văn bản UTF-8: {problem}", path=str(args.file),
                             problem=str(exc)) from None  # fmt: skip
    else:
        text = args.text
    label = remarks.set_remarks(conn, args.period, unicodedata.normalize("NFC", text), args.actor)
    return [f"remarks for {label} saved"]


def remarks_show(conn, args, _tz):
    """Print a period's remarks."""
    return [remarks.remarks_for(conn, args.period) or "(none)"]
