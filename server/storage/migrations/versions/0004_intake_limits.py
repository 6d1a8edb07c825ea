"""Reserved: bounded quarantine and intake counters (filled in by the work that needs it; a no-op until then).

Revision ID: 0004_intake_limits
Revises: 0003_publication
"""

from __future__ import annotations

revision = "0004_intake_limits"
down_revision = "0003_publication"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Change nothing yet."""


def downgrade() -> None:
    """Change nothing yet."""
