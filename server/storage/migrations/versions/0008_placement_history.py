"""Reserved: where each kiosk stood, over time (a no-op until then).

Revision ID: 0008_placement_history
Revises: 0007_official_accounts
"""

from __future__ import annotations

revision = "0008_placement_history"
down_revision = "0007_official_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Change nothing yet."""


def downgrade() -> None:
    """Change nothing yet."""
