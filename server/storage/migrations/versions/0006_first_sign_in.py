"""Accounts that must choose a new password at their next sign-in (users.must_change_password).

Revision ID: 0006_first_sign_in
Revises: 0005_sessions

Accounts made before this revision chose their own passwords: they keep them (false).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_first_sign_in"
down_revision = "0005_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add users.must_change_password, false for every existing account."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )  # fmt: skip
        )


def downgrade() -> None:
    """Drop the column (a pending forced change is forgotten; the password stays)."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
