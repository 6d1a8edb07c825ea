"""Reserved: accounts that must choose a new password at their first sign-in (a no-op until then).

Revision ID: 0006_first_sign_in
Revises: 0005_sessions
"""

from __future__ import annotations

revision = "0006_first_sign_in"
down_revision = "0005_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Change nothing yet."""


def downgrade() -> None:
    """Change nothing yet."""
