"""The `user` and `token` commands of hailong-collector: web accounts and API tokens.

The first admin is made here (the pages have no sign-up): `user add NAME --role admin`.
Passwords come from a prompt (asked twice) or a file, never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from pathlib import Path

from hailong.server.cli.transaction import actor_option, office_option, print_in_transaction
from hailong.server.config import CollectorConfig
from hailong.server.errors import InputError

ROLES = ("admin", "leader", "staff", "official")
OFFICIAL_HELP = "the official's code an 'official' account belongs to (it sees only their figures)"


def register(sub) -> None:
    """Add `user` and `token` to the collector's subcommand parser."""
    common = actor_option()
    user = sub.add_parser("user", help="web accounts (admin, leader, staff, official)")
    users = user.add_subparsers(dest="action", required=True)
    add = users.add_parser("add", parents=[common], help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--name", default="", help="full name shown on the pages")
    add.add_argument("--official", help=OFFICIAL_HELP)
    add.add_argument("--password-file", type=Path, help="read the password from this file")
    change = users.add_parser("set", parents=[common], help="change an account")
    change.add_argument("username")
    change.add_argument("--role", choices=ROLES)
    change.add_argument("--official", help=OFFICIAL_HELP)
    state = change.add_mutually_exclusive_group()
    state.add_argument("--active", dest="active", action="store_const", const=True)
    state.add_argument("--inactive", dest="active", action="store_const", const=False)
    change.add_argument("--password", action="store_true", help="set a new password (prompt)")
    change.add_argument("--password-file", type=Path, help="read the new password from this file")
    office_option(users.add_parser("list", help="list the accounts (default: every office's)"))
    token = sub.add_parser("token", help="read-only API tokens")
    tokens = token.add_subparsers(dest="action", required=True)
    tokens.add_parser("add", parents=[common], help="create a token (shown once)").add_argument(
        "name"
    )
    tokens.add_parser("revoke", parents=[common], help="stop a token").add_argument("name")
    office_option(tokens.add_parser("list", help="list the tokens (default: every office's)"))
    user.set_defaults(run=user_command)
    token.set_defaults(run=token_command)


def user_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Run one `user` command."""
    from hailong.server.accounts import users as accounts

    def run(conn):
        if args.action == "add":
            password, made_up = _password(args)
            # A made-up password was seen by whoever ran this: its owner must replace it.
            made = accounts.add_user(conn, args.username, password, args.role, args.actor,
                                     name=args.name, must_change=made_up,
                                     official=args.official)  # fmt: skip
            if not made_up:
                return [f"user {made.username} added ({made.role})"]
            return [f"user {made.username} added ({made.role}); its first sign-in asks for a new "
                    f"password", f"password of {made.username} (shown only this once): {password}"]  # fmt: skip
        if args.action == "set":
            new = _password(args)[0] if args.password or args.password_file else None
            changed = accounts.set_user(conn, args.username, args.actor, role=args.role,
                                        active=args.active, password=new,
                                        official=args.official)  # fmt: skip
            return [f"user {args.username.lower()} {'updated' if changed else 'unchanged'}"]
        return [
            f"{u.username:<20} {u.role:<8} {'active' if u.active else 'inactive':<9} {u.name}"
            + (f" (official {u.official})" if u.official else "")
            for u in accounts.list_users(conn)
        ] or ["no accounts yet: hailong-collector user add NAME --role admin"]

    return _in_transaction(config, run, args)


def token_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Run one `token` command."""
    from hailong.server.accounts import users as accounts

    def run(conn):
        if args.action == "add":
            secret = accounts.add_token(conn, args.name, args.actor)
            return [secret, f"(token {args.name} added; it is shown only this once)"]
        if args.action == "revoke":
            accounts.revoke_token(conn, args.name, args.actor)
            return [f"token {args.name} revoked"]
        return [
            f"{t['name']:<20} {'active' if t['active'] else 'revoked':<8} by {t['created_by']}"
            for t in accounts.list_tokens(conn)
        ] or ["no tokens yet"]

    return _in_transaction(config, run, args)


def _in_transaction(config: CollectorConfig, run, args: argparse.Namespace) -> int:
    """Open the database, run for the office named (a listing: the root's), print; bad input: 2."""
    from hailong.server.reference import offices, scope
    from hailong.server.storage.db import open_database

    def scoped(conn):
        office = args.office or (offices.root(conn) if args.action == "list" else None)
        with scope.acting_for(conn, office):
            return run(conn)

    engine = open_database(config.database)
    return print_in_transaction(engine, scoped)


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """Return (password, made up here) from --password-file, the terminal, or standard input.

    Without a terminal (an installer, a pipe) one line of standard input is the password; an
    empty input makes one up, which the command prints once.
    """
    if args.password_file:
        try:
            return args.password_file.read_text(encoding="utf-8").strip(), False
        except OSError as exc:
            raise InputError("Không đọc được {path}: {problem}", path=str(args.password_file),
                             problem=exc.strerror) from None  # fmt: skip
    if not sys.stdin.isatty():
        typed = sys.stdin.readline().strip()
        return (typed, False) if typed else (secrets.token_urlsafe(12), True)
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise InputError("Hai mật khẩu không giống nhau")
    return first, False
