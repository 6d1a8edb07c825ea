"""Bounded quarantine and intake state: keep a prefix, length and hash; count the rest per hour.

Revision ID: 0004_intake_limits
Revises: 0003_publication

Rows quarantined before this revision keep their whole payload; their length and sha256 stay
NULL, which says so (storage/quarantine.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_intake_limits"
down_revision = "0003_publication"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the quarantine's length and hash, the hourly counts and the ingest's state."""
    op.add_column("quarantine", sa.Column("length", sa.BigInteger(), nullable=True))
    op.add_column("quarantine", sa.Column("sha256", sa.String(length=64), nullable=True))
    op.create_table(
        "quarantine_hours",
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("hour_ms", sa.BigInteger(), nullable=False),
        sa.Column("kept", sa.BigInteger(), nullable=False),
        sa.Column("dropped", sa.BigInteger(), nullable=False),
        sa.Column("dropped_bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("device", "hour_ms"),
    )
    op.create_table(
        "ingest_state",
        sa.Column("instance", sa.String(length=128), nullable=False),
        sa.Column("last_commit_ms", sa.BigInteger(), nullable=True),
        sa.Column("held_since_ms", sa.BigInteger(), nullable=True),
        sa.Column("free_bytes", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("instance"),
    )


def downgrade() -> None:
    """Drop them again; quarantined rows keep the bytes they hold."""
    op.drop_table("ingest_state")
    op.drop_table("quarantine_hours")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("sha256")
        batch.drop_column("length")
