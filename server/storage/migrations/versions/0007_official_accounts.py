"""Officials' own accounts (users.official) and their replies (giải trình) to a period's figures.

Revision ID: 0007_official_accounts
Revises: 0006_first_sign_in

Accounts made before this revision are staff accounts: they belong to no official (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_official_accounts"
down_revision = "0006_first_sign_in"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add users.official and the replies table."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("official", sa.String(length=64), nullable=True))
    op.create_table(
        "replies",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("official", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("convention", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("official", "period", "convention", name="uq_replies_official_period"),
    )
    op.create_index("ix_replies_period", "replies", ["period", "convention"])


def downgrade() -> None:
    """Drop the replies (their texts stay in the audit log) and the accounts' official link.

    Older code knows no "official" role and would let such an account see every staff page:
    the accounts are switched off, not left open.
    """
    users = sa.table("users", sa.column("role"), sa.column("active"))
    op.execute(users.update().where(users.c.role == "official").values(active=False))
    op.drop_index("ix_replies_period", table_name="replies")
    op.drop_table("replies")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("official")
