"""Reserved: officials' own accounts and their replies (giải trình) (a no-op until then).

Revision ID: 0007_official_accounts
Revises: 0006_first_sign_in
"""

from __future__ import annotations

revision = "0007_official_accounts"
down_revision = "0006_first_sign_in"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Change nothing yet."""


def downgrade() -> None:
    """Change nothing yet."""
