"""Retire schema_info: the database's version is Alembic's alembic_version from now on.

Revision ID: 0002_drop_schema_info
Revises: 0001_baseline

Only a database adopted from 0.1.0 has the table; migrate.upgrade read its version (and
refused one newer than 3) before the baseline ran.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_drop_schema_info"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop schema_info where an older release left it."""
    op.drop_table("schema_info", if_exists=True)


def downgrade() -> None:
    """Put back the version 0.1.0 reads, so that it opens the database again."""
    table = op.create_table(
        "schema_info", sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False)
    )
    op.bulk_insert(table, [{"version": 3}])
