"""How a staff command runs: who acts, one transaction, its lines printed; bad input exits 2.

Each command runs in one transaction: bad input prints one line (an import, one line per
problem), exits with status 2 and writes nothing.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.exc import StatementError

from hailong.server.config import CollectorConfig
from hailong.server.errors import InputError
from hailong.server.reference import scope
from hailong.server.storage.db import open_database


def actor_option() -> argparse.ArgumentParser:
    """Return a parent parser with --actor (default: the OS user)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--actor", default=os_user(), help="who makes the change (default: you)")
    office_option(common)
    return common


def office_option(parser: argparse.ArgumentParser) -> None:
    """Add --office CODE: the office a command acts for (default: the only one)."""
    parser.add_argument(
        "--office", metavar="CODE", help="the office (đơn vị) it acts for (default: the only one)"
    )


def staff_command():
    """Return command(group, name, handler, help) that adds a transactional staff command."""
    common = actor_option()

    def command(parent, name, handler, help_text):
        parser = parent.add_parser(name, parents=[common], help=help_text)
        parser.set_defaults(run=in_transaction(handler))
        return parser

    return command


def group(sub, name: str, help_text: str):
    """Add a command group (e.g. `field add|set|list`)."""
    return sub.add_parser(name, help=help_text).add_subparsers(dest="action", required=True)


def in_transaction(handler):
    """Return a command that runs handler(conn, args, time_zone) in one transaction."""

    def run(config: CollectorConfig, args: argparse.Namespace) -> int:
        args.collector = config  # device add and revoke also touch the broker's files
        engine = open_database(config.database)

        def work(conn):
            with scope.acting_for(conn, getattr(args, "office", None)):
                return handler(conn, args, config.time_zone)

        return print_in_transaction(engine, work)

    return run


def print_in_transaction(engine, work) -> int:
    """Run work(conn) in one transaction and print its lines; bad input: one line, status 2."""
    try:
        with engine.begin() as conn:
            lines = work(conn)
    except (InputError, StatementError) as exc:
        # A column's default refusing a row (storage/owner.py) comes wrapped in the statement.
        cause = exc.orig if isinstance(exc, StatementError) else exc
        if not isinstance(cause, InputError):
            raise
        print(f"hailong-collector: {cause}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for line in lines:
        print(line)
    return 0


def os_user() -> str:
    """Return the login name, or "" where there is none."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return ""
