"""The schema of release 0.1.0: presses, reference data, accounts and rollups.

Revision ID: 0001_baseline
Revises: (none)

A frozen copy of the tables as 0.1.0 made them (schema_info version 3, the account tables of
ensure_tables, the rollup tables made on first use), without schema_info itself: Alembic's
alembic_version takes its place. Every table and index is created only where missing, so this
revision both makes a new database and adopts one made by 0.1.0 (or by its versions 1 and 2,
which lack some of the tables and indexes and are completed here) keeping every row.
Long on purpose: a revision is a frozen copy, never an import of today's models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table and index of 0.1.0 that is not there yet."""
    op.create_table(
        "anchors",
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("boot", sa.String(length=64), nullable=False),
        sa.Column("mono", sa.Float(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("device", "boot"),
        if_not_exists=True,
    )
    op.create_table(
        "api_tokens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
        sa.UniqueConstraint("name"),
        if_not_exists=True,
    )
    op.create_table(
        "audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_audit_at", "audit", ["at_ms"], unique=False, if_not_exists=True)
    op.create_index(
        "ix_audit_entity_key",
        "audit",
        ["entity", "key"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "corrections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_corrections_device_seq",
        "corrections",
        ["device", "seq"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "counters",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        if_not_exists=True,
    )
    op.create_table(
        "device_counters",
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("device"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_device_counters_counter",
        "device_counters",
        ["counter"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "devices",
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("acked_upto", sa.BigInteger(), nullable=False),
        sa.Column("first_seen_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_seen_ms", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=True),
        sa.Column("state_session", sa.BigInteger(), nullable=True),
        sa.Column("state_since_ms", sa.BigInteger(), nullable=True),
        sa.Column("health", sa.Text(), nullable=True),
        sa.Column("config", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("device"),
        if_not_exists=True,
    )
    op.create_table(
        "dossier_counts",
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("field", "month"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_dossier_counts_month",
        "dossier_counts",
        ["month"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "duty",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("counter", sa.String(length=64), nullable=False),
        sa.Column("official", sa.String(length=64), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_duty_counter_start",
        "duty",
        ["counter", "start_ms"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "fields",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        if_not_exists=True,
    )
    op.create_table(
        "login_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_login_attempts_address",
        "login_attempts",
        ["address"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_login_attempts_at",
        "login_attempts",
        ["at_ms"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_login_attempts_username",
        "login_attempts",
        ["username"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "officials",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        if_not_exists=True,
    )
    op.create_table(
        "presses",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.SmallInteger(), nullable=True),
        sa.Column("ts", sa.String(length=40), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("synced", sa.Boolean(), nullable=False),
        sa.Column("redated", sa.Boolean(), nullable=False),
        sa.Column("boot", sa.String(length=64), nullable=False),
        sa.Column("mono", sa.Float(), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=True),
        sa.Column("official", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("dossier", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("sig", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device", "seq", name="uq_presses_device_seq"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_presses_dossier",
        "presses",
        ["dossier"],
        unique=False,
        if_not_exists=True,
        sqlite_where=sa.text("dossier IS NOT NULL"),
        postgresql_where=sa.text("dossier IS NOT NULL"),
    )
    op.create_index(
        "ix_presses_report",
        "presses",
        ["at_ms", "mode", "rating", "field", "official", "counter", "device", "seq"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_presses_unsynced_boot",
        "presses",
        ["device", "boot"],
        unique=False,
        if_not_exists=True,
        sqlite_where=sa.text("synced = 0"),
        postgresql_where=sa.text("synced = false"),
    )
    op.create_table(
        "quarantine",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("device", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("sig", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_quarantine_received",
        "quarantine",
        ["received_ms"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "remarks",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("period"),
        if_not_exists=True,
    )
    op.create_table(
        "report_half_counts",
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.String(length=10), nullable=False),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        if_not_exists=True,
    )
    op.create_index(
        "ix_report_half_counts",
        "report_half_counts",
        ["tz", "first_day"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "report_half_flags",
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.String(length=10), nullable=False),
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("official", sa.String(length=64), nullable=True),
        if_not_exists=True,
    )
    op.create_index(
        "ix_report_half_flags",
        "report_half_flags",
        ["tz", "first_day"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "report_halves",
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.String(length=10), nullable=False),
        sa.Column("presses", sa.BigInteger(), nullable=False),
        sa.Column("seq_sum", sa.BigInteger(), nullable=False),
        sa.Column("offset_sum", sa.BigInteger(), nullable=False),
        sa.Column("rules", sa.String(length=40), nullable=False),
        sa.Column("built_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tz", "first_day"),
        if_not_exists=True,
    )
    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
        if_not_exists=True,
    )


def downgrade() -> None:
    """Refuse: dropping every table would lose the presses."""
    raise NotImplementedError("the baseline cannot be downgraded")
