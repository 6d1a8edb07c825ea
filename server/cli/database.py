"""`hailong-collector db upgrade`: create or upgrade the database's schema, then say its revision.

Ingest and web upgrade on their own when they start; this command does it ahead of them (a
deployment step, or after installing a new release with the services stopped).
"""

from __future__ import annotations

from hailong.server.config import CollectorConfig


def register(sub) -> None:
    """Add `db` and its actions to the collector's subcommand parser."""
    parser = sub.add_parser("db", help="the database's schema")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser(
        "upgrade", help="create the tables, or upgrade them to this program's revision"
    ).set_defaults(run=upgrade)


def upgrade(config: CollectorConfig, _args) -> int:
    """Upgrade the configured database to head and print the revision it is at."""
    from hailong.server.storage.db import open_database
    from hailong.server.storage.migrate import head

    open_database(config.database).dispose()
    print(f"database at revision {head()}")
    return 0
