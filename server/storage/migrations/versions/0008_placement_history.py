"""Where each kiosk stood, over time (device_placements), so moving a kiosk keeps its past.

Revision ID: 0008_placement_history
Revises: 0007_official_accounts

Each kiosk placed before this revision gets one open placement from 0 at its current counter:
every press it ever sent is attributed as before, until staff move it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_placement_history"
down_revision = "0007_official_accounts"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create device_placements and open one placement from 0 per current kiosk counter."""
    op.create_table(
        "device_placements",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_device_placements_device_start", "device_placements", ["device", "start_ms"]
    )
    # From 0, not from first contact: a re-dated press may fall before the kiosk was first seen.
    op.execute(
        "INSERT INTO device_placements (device, counter, start_ms, end_ms) "
        "SELECT device, counter, 0, NULL FROM device_counters ORDER BY device"
    )


def downgrade() -> None:
    """Drop the history; device_counters still holds where each kiosk stands now."""
    op.drop_index("ix_device_placements_device_start", table_name="device_placements")
    op.drop_table("device_placements")
