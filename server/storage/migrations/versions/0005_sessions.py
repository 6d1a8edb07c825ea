"""Reserved: staff sessions that end at logout and password change (filled in by the work that needs it; a no-op until then).

Revision ID: 0005_sessions
Revises: 0004_intake_limits
"""

from __future__ import annotations

revision = "0005_sessions"
down_revision = "0004_intake_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Change nothing yet."""


def downgrade() -> None:
    """Change nothing yet."""
