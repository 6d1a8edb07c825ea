"""Published reports as records, and the audit log as a hash chain.

Revision ID: 0003_publication
Revises: 0002_drop_schema_info

Adds the `published` table (one row per published file with its SHA-256 and the figures
shown) and the audit columns prev_hash and hash; the rows already in the log are chained
here, in id order, with a frozen copy of reference/audit.py's hash (a revision never imports
today's code).
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003_publication"
down_revision = "0002_drop_schema_info"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create `published`, add the chain's columns and chain the rows already logged."""
    op.create_table(
        "published",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("convention", sa.String(length=8), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("published_on", sa.String(length=10), nullable=False),
        sa.Column("published_ms", sa.BigInteger(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "convention", "format", name="uq_published_period_format"),
    )
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing()


def downgrade() -> None:
    """Drop the chain's columns and the publication records (the files stay on disk)."""
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    op.drop_table("published")


def _chain_existing() -> None:
    """Give every existing audit row its place in the chain, oldest id first."""
    conn = op.get_bind()
    audit = sa.table(
        "audit",
        *(sa.column(name) for name in ("id", "at_ms", "actor", "action", "entity", "key")),
        sa.column("before"),
        sa.column("after"),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    previous = GENESIS
    rows = conn.execute(sa.select(audit).order_by(audit.c.id)).all()
    for row in rows:
        digest = _hash(previous, row)
        conn.execute(
            audit.update().where(audit.c.id == row.id).values(prev_hash=previous, hash=digest)
        )
        previous = digest


def _hash(previous: str, row) -> str:
    """Return the chain hash of one row (frozen copy of reference/audit.py's row_hash)."""
    content = [previous, row.at_ms, row.actor, row.action, row.entity, row.key, row.before,
               row.after]  # fmt: skip
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
