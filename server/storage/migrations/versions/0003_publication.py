"""Reserved: published reports and the audit log's hash chain (filled in by the work that needs it; a no-op until then).

Revision ID: 0003_publication
Revises: 0002_drop_schema_info
"""

from __future__ import annotations

revision = "0003_publication"
down_revision = "0002_drop_schema_info"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Change nothing yet."""


def downgrade() -> None:
    """Change nothing yet."""
