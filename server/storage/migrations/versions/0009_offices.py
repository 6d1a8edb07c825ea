"""Offices (đơn vị): a tree, and every office-owned row belongs to one (issue 15).

Revision ID: 0009_offices
Revises: 0008_placement_history

An existing database is one office: this revision makes that office (code "don-vi", a commune
with no parent: the root; `hailong-collector office set` renames it or makes it the province)
and assigns every row to it; every field of the catalogue is enabled there. The rollups are
caches keyed by office now: they are dropped and rebuilt on the next report.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0009_offices"
down_revision = "0008_placement_history"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIRST_OFFICE = ("don-vi", "Đơn vị", "commune")  # code, name, kind of the one office
# The tables that gain office_id, and the primary key it joins (None: it is only a column).
OWNED = {
    "devices": None,
    "duty": None,
    "audit": None,
    "published": None,
    "users": None,
    "replies": None,
    "api_tokens": None,
    "officials": ("office_id", "code"),
    "counters": ("office_id", "code"),
    "dossier_counts": ("office_id", "field", "month"),
    "remarks": ("office_id", "period"),
}
# Unique constraints that become per office.
PER_OFFICE_UNIQUE = {
    "published": ("uq_published_period_format", ("period", "convention", "format")),
    "replies": ("uq_replies_official_period", ("official", "period", "convention")),
}
_ONE = "(SELECT min(id) FROM offices)"


def upgrade() -> None:
    """Create offices and office_fields, put every row in the one office, rebuild the rollups."""
    op.create_table(
        "offices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("parent_id", _ID, nullable=True),
        sa.Column("print_name", sa.Text(), nullable=True),
        sa.Column("parent_name", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=True),
        sa.Column("signer_title", sa.Text(), nullable=True),
        sa.Column("signer_name", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["offices.id"], name="fk_offices_parent"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_offices_parent_id", "offices", ["parent_id"])
    code, name, kind = FIRST_OFFICE
    offices = sa.table("offices", sa.column("code"), sa.column("name"), sa.column("kind"))
    op.execute(offices.insert().values(code=code, name=name, kind=kind))
    for table, key in OWNED.items():
        _own(table, key)
    for table, (constraint, columns) in PER_OFFICE_UNIQUE.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(constraint, type_="unique")
            batch.create_unique_constraint(constraint, ["office_id", *columns])
    op.create_table(
        "office_fields",
        sa.Column("office_id", _ID, nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_office_fields_office"),
        sa.ForeignKeyConstraint(["field"], ["fields.code"], name="fk_office_fields_field"),
        sa.PrimaryKeyConstraint("office_id", "field"),
    )
    op.execute(f"INSERT INTO office_fields (office_id, field) SELECT {_ONE}, code FROM fields")
    _rebuild_rollups()


def downgrade() -> None:
    """Refuse: rows of several offices cannot be put back into one without losing which is whose."""
    raise NotImplementedError(
        "revision 0009_offices cannot be undone: restore the backup taken before the upgrade"
    )


def _own(table: str, key: tuple[str, ...] | None) -> None:
    """Give a table office_id (the one office for every row), its key and, unless keyed, an index."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("office_id", _ID, nullable=True))
    op.execute(f"UPDATE {table} SET office_id = {_ONE}")
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLAlchemy warns that the recreated table's key differs from the reflected one: the point.
    with (
        warnings.catch_warnings(),
        op.batch_alter_table(table, recreate="always" if sqlite else "auto") as batch,
    ):
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
        batch.alter_column("office_id", existing_type=_ID, nullable=False)
        batch.create_foreign_key(f"fk_{table}_office", "offices", ["office_id"], ["id"])
        if key is not None:
            if not sqlite:  # SQLite's primary key has no name: the recreated table drops it
                batch.drop_constraint(f"{table}_pkey", type_="primary")
            batch.create_primary_key(f"{table}_pkey", list(key))
    if key is None:
        op.create_index(f"ix_{table}_office_id", table, ["office_id"])


def _rebuild_rollups() -> None:
    """Drop the rollup caches and make them again keyed by office."""
    op.drop_index("ix_report_half_counts", table_name="report_half_counts")
    op.drop_index("ix_report_half_flags", table_name="report_half_flags")
    for table in ("report_halves", "report_half_counts", "report_half_flags"):
        op.drop_table(table)

    def office():
        return (
            sa.Column("office_id", _ID, nullable=False),
            sa.Column("tz", sa.String(length=64), nullable=False),
            sa.Column("first_day", sa.String(length=10), nullable=False),
        )

    op.create_table(
        "report_halves",
        *office(),
        sa.Column("presses", sa.BigInteger(), nullable=False),
        sa.Column("seq_sum", sa.BigInteger(), nullable=False),
        sa.Column("offset_sum", sa.BigInteger(), nullable=False),
        sa.Column("rules", sa.String(length=40), nullable=False),
        sa.Column("built_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_report_halves_office"),
        sa.PrimaryKeyConstraint("office_id", "tz", "first_day"),
    )
    op.create_table(
        "report_half_counts",
        *office(),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name="fk_report_half_counts_office"
        ),  # fmt: skip
    )
    op.create_index("ix_report_half_counts", "report_half_counts", ["office_id", "tz", "first_day"])
    op.create_table(
        "report_half_flags",
        *office(),
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("official", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name="fk_report_half_flags_office"
        ),  # fmt: skip
    )
    op.create_index("ix_report_half_flags", "report_half_flags", ["office_id", "tz", "first_day"])
