"""`hailong-collector office add|list|set`: the offices (đơn vị) and their report headers.

Each command runs in one transaction; bad input prints one line, exits 2 and writes nothing.
"""

from __future__ import annotations

import argparse

from hailong.server.cli.transaction import os_user, print_in_transaction
from hailong.server.config import CollectorConfig

HEADER_OPTIONS = (
    ("--print-name", "print_name", "the office's name as the report's header prints it"),
    ("--parent-name", "parent_name", "the governing body printed above it"),
    ("--place", "place", "địa danh of the date line"),
    ("--recipients", "recipients", "Nơi nhận, recipients separated by |"),
    ("--signer-title", "signer_title", "the signer's title"),
    ("--signer-name", "signer_name", "the signer's name"),
)


def register(sub) -> None:
    """Add `office add|list|set` to the collector's subcommand parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--actor", default=os_user(), help="who makes the change (default: you)")
    group = sub.add_parser("office", help="offices (đơn vị): province, communes, sites")
    actions = group.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="add an office under a parent")
    add.add_argument("code", help="a slug: a-z 0-9 - (the board's address /board/CODE)")
    add.add_argument("name")
    add.add_argument("--kind", choices=("province", "commune", "site"), required=True)
    add.add_argument("--parent", help="the parent office's code (none: the root)")
    change = actions.add_parser("set", parents=[common], help="rename an office, its header")
    change.add_argument("code")
    change.add_argument("--name")
    change.add_argument("--new-code", dest="new_code")
    change.add_argument("--kind", choices=("province", "commune", "site"))
    for flag, dest, help_text in HEADER_OPTIONS:
        change.add_argument(flag, dest=dest, help=f"{help_text} ('' for the configuration's)")
    actions.add_parser("list", help="the offices as a tree")
    group.set_defaults(run=office_command)


def office_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Run one `office` command."""
    from hailong.server.reference import offices
    from hailong.server.storage.db import open_database

    def run(conn):
        if args.action == "add":
            made = offices.add_office(conn, args.code, args.name, args.kind, args.parent,
                                      args.actor)  # fmt: skip
            return [f"office {made.code} added ({made.kind})"]
        if args.action == "set":
            header = {dest: getattr(args, dest) for _f, dest, _h in HEADER_OPTIONS}
            changed = offices.set_office(conn, args.code, args.actor, name=args.name,
                                         kind=args.kind, new_code=args.new_code, **header)  # fmt: skip
            return [f"office {args.code} {'updated' if changed else 'unchanged'}"]
        every = offices.every_office(conn)
        return [
            f"{'  ' * offices.depth(every, o)}{o.code:<{24 - 2 * offices.depth(every, o)}} "
            f"{o.kind:<9} {o.name}"
            for o in every
        ]

    return print_in_transaction(open_database(config.database), run)
