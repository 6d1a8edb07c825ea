"""Staff sessions kept on the server, so that they end at logout and password change.

Revision ID: 0005_sessions
Revises: 0004_intake_limits

Sessions signed before this revision carried no session id: their holders sign in again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sessions"
down_revision = "0004_intake_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the sessions table."""
    op.create_table(
        "sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])


def downgrade() -> None:
    """Drop the sessions table (everyone signs in again)."""
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
