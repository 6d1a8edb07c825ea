"""Staff commands for reference data: fields, officials, counters, duty and kiosks.

Each command runs in one transaction: bad input prints one line (an import, one line per
problem), exits with status 2 and writes nothing.
"""

from __future__ import annotations

import json

from hailong.server.cli import devices as provision_cli
from hailong.server.cli.transaction import group as command_group
from hailong.server.cli.transaction import staff_command
from hailong.server.epoch import to_ms
from hailong.server.reference import catalogue as reference
from hailong.server.reference.duty import local_text
from hailong.server.reporting.periods import parse_local_time


def register(sub) -> None:
    """Add the staff commands to the collector's subcommand parser."""
    command = staff_command()
    _register_reference(sub, command)
    _register_duty(sub, command)


def _register_reference(sub, command) -> None:
    for entity, help_text in (("field", "fields (lĩnh vực)"), ("official", "officials (CBCC)")):
        group = command_group(sub, entity, help_text)
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
        if entity == "field":
            serve = command(group, "enable", field_enable, "serve a catalogue field in the office")
            serve.add_argument("code")
    group = command_group(sub, "counter", "counters (quầy)")
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
    group = command_group(sub, "duty", "who serves at which counter, over time")
    assign = command(group, "assign", duty_assign, "put an official on duty at a counter")
    assign.add_argument("counter")
    assign.add_argument("official")
    assign.add_argument("--from", dest="start", help='"dd/mm/yyyy HH:MM" (default: now)')
    end = command(group, "end", duty_end, "end the duty at a counter (nobody serves there)")
    end.add_argument("counter")
    end.add_argument("--at", help='"dd/mm/yyyy HH:MM" (default: now)')
    command(group, "list", duty_list, "the duty history").add_argument("--counter")
    device = command_group(sub, "device", "kiosks")
    place = command(device, "counter", device_counter, "place a kiosk at a counter")
    place.add_argument("device")
    place.add_argument("counter")
    place.add_argument(
        "--from", dest="start", help='"dd/mm/yyyy HH:MM" it stood there from (default: now)'
    )
    command(device, "list", device_list, "list the kiosks")
    provision_cli.register(device, command)


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


def field_enable(conn, args, _tz):
    """Serve a field of the one catalogue in the office acted for."""
    done = reference.enable_field(conn, args.code, args.actor)
    return [f"field {args.code} {'enabled' if done else 'already served'} here"]


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


def device_counter(conn, args, tz):
    """Place a kiosk at a counter from a time (now): its earlier presses keep the old counter."""
    start = to_ms(parse_local_time(args.start, tz)) if args.start else None
    config = reference.set_device_counter(
        conn, args.device, args.counter, args.actor, at_ms=start, tz=tz
    )
    return [f"{args.device} at counter {args.counter}; config {json.dumps(config.to_dict(), ensure_ascii=False)}"]  # fmt: skip


def device_list(conn, _args, tz):
    """List the kiosks."""
    return [
        f"{d['device']:<20} {d['counter'] or '-':<12} {d['state'] or '-':<8} "
        f"{local_text(d['last_seen_ms'], tz) if d['last_seen_ms'] else 'never seen'}"
        for d in reference.list_devices(conn)
    ] or ["no kiosks yet"]
