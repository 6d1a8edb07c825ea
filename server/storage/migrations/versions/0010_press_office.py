"""Presses carry their kiosk's office, and the report index leads with it (issue 15).

Revision ID: 0010_press_office
Revises: 0009_offices

With several offices an office's reports filtered the province's presses by kiosk over an index
that leads with time: every office scanned the whole province's period. A kiosk belongs to one
office for life, so its office is copied onto each press (a kiosk never registered: the root
office, where its presses have always counted) and ix_presses_report becomes (office_id, at_ms,
…): an office's presses of a period are one range of it. The rollups gain the change mark they
were last known valid at (reporting/marks.py); existing ones have none and are checked by their
fingerprint once.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0010_press_office"
down_revision = "0009_offices"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OLD_REPORT = ["at_ms", "mode", "rating", "field", "official", "counter", "device", "seq"]
_ROOT = "(SELECT min(id) FROM offices WHERE parent_id IS NULL)"


def upgrade() -> None:
    """Add presses.office_id from devices, lead the report index with it, mark the rollups."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite copies the table to add the key: its indexes go first and are made again after,
    # exactly as declared (a copy would lose the partial indexes' WHERE).
    op.drop_index("ix_presses_report", table_name="presses")
    if sqlite:
        op.drop_index("ix_presses_dossier", table_name="presses")
        op.drop_index("ix_presses_unsynced_boot", table_name="presses")
    with op.batch_alter_table("presses") as batch:
        batch.add_column(sa.Column("office_id", _ID, nullable=True))
    op.execute(
        "UPDATE presses SET office_id = coalesce((SELECT d.office_id FROM devices AS d"
        f" WHERE d.device = presses.device), {_ROOT})"
    )
    with (
        warnings.catch_warnings(),
        op.batch_alter_table("presses", recreate="always" if sqlite else "auto") as batch,
    ):
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
        batch.alter_column("office_id", existing_type=_ID, nullable=False)
        batch.create_foreign_key("fk_presses_office", "offices", ["office_id"], ["id"])
    if sqlite:
        _partial_indexes()
    op.create_index("ix_presses_report", "presses", ["office_id", *OLD_REPORT])
    with op.batch_alter_table("report_halves") as batch:
        batch.add_column(sa.Column("press_mark", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("anchor_mark", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Drop the marks and the column; the report index leads with time again."""
    with op.batch_alter_table("report_halves") as batch:
        batch.drop_column("anchor_mark")
        batch.drop_column("press_mark")
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_presses_report", table_name="presses")
    if sqlite:
        op.drop_index("ix_presses_dossier", table_name="presses")
        op.drop_index("ix_presses_unsynced_boot", table_name="presses")
    with op.batch_alter_table("presses") as batch:
        batch.drop_constraint("fk_presses_office", type_="foreignkey")
        batch.drop_column("office_id")
    if sqlite:
        _partial_indexes()
    op.create_index("ix_presses_report", "presses", OLD_REPORT)


def _partial_indexes() -> None:
    """Make SQLite's partial indexes of presses again, as revisions 0001 declared them."""
    op.create_index("ix_presses_dossier", "presses", ["dossier"],
                    sqlite_where=sa.text("dossier IS NOT NULL"))  # fmt: skip
    op.create_index("ix_presses_unsynced_boot", "presses", ["device", "boot"],
                    sqlite_where=sa.text("synced = 0"))  # fmt: skip
