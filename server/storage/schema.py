"""Every table of the collector, in one metadata: the models the migrations must produce.

Times are stored as UTC epoch milliseconds so that range queries are plain integer comparisons
on every dialect. The tables change only through a revision in migrations/versions/ (see
migrate.py); tests/server/test_schema.py fails when a revision and these models disagree.
Longer than ~300 lines because the one metadata holds every table (issue 11): declarations only.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

from hailong.server.storage.owner import (
    office_of_new_device,
    office_of_press,
    the_one_office,
)

metadata = MetaData()
# 64-bit ids on PostgreSQL; SQLite's rowid alias must be spelled INTEGER.
_ID = BigInteger().with_variant(Integer, "sqlite")


def office_column(table: str, *, primary_key: bool = False, default=the_one_office) -> Column:
    """Return the office_id column every office-owned row has: NOT NULL, a key to offices, indexed.

    Its default (Python-side, never in the database) is storage/owner.py's: the only office.
    """
    return Column(
        "office_id",
        _ID,
        ForeignKey("offices.id", name=f"fk_{table}_office"),
        nullable=False,
        primary_key=primary_key,
        index=not primary_key,
        default=default,
    )


# v9 (issue 15): the offices (đơn vị), a tree: province → commune (→ site). Every reference row,
# account, publication and audit entry belongs to one; a press belongs to its device's office.
# The report header columns are NULL where the office prints what the configuration says.
offices = Table(
    "offices",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),  # a slug: the board's URL
    Column("name", Text, nullable=False),
    Column("kind", String(8), nullable=False),  # province | commune | site
    Column("parent_id", _ID, ForeignKey("offices.id", name="fk_offices_parent"), index=True),
    Column("print_name", Text),  # the office's name as the report's header prints it
    Column("parent_name", Text),  # the governing body printed above it
    Column("place", Text),  # địa danh of the date line
    Column("recipients", Text),  # "Nơi nhận", one recipient a line
    Column("signer_title", Text),
    Column("signer_name", Text),
)

# v10: an office's presses are one range of the report index (office_id first), not a filter
# over the whole province's presses of the period.
REPORT_COLUMNS = (
    "office_id", "at_ms", "mode", "rating", "field", "official", "counter", "device", "seq"
)  # fmt: skip

presses = Table(
    "presses",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("device", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("reason", SmallInteger),
    Column("ts", String(40), nullable=False),  # the device's own timestamp, as sent
    Column("at_ms", BigInteger, nullable=False),  # effective UTC time: device time or re-dated
    Column("synced", Boolean, nullable=False),
    Column("redated", Boolean, nullable=False, default=False),
    Column("boot", String(64), nullable=False),
    Column("mono", Float, nullable=False),
    Column("counter", String(64)),
    Column("official", String(64)),
    Column("field", String(64)),
    Column("dossier", String(64)),
    Column("mode", String(8), nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Column("payload", LargeBinary, nullable=False),  # exact bytes, so a signature can be rechecked
    Column("sig", String(64)),
    # v10: the kiosk's office, copied from devices when the press is stored (a kiosk belongs to
    # one office for life), so that an office's reports read its own presses only.
    Column(
        "office_id",
        _ID,
        ForeignKey("offices.id", name="fk_presses_office"),
        nullable=False,
        default=office_of_press,
    ),
    UniqueConstraint("device", "seq", name="uq_presses_device_seq"),
    # v3: one rating per dossier is checked on every press carrying one (dossier_rule.py).
    Index(
        "ix_presses_dossier",
        "dossier",
        sqlite_where=text("dossier IS NOT NULL"),
        postgresql_where=text("dossier IS NOT NULL"),
    ),
    # Only unsynced presses are looked up by boot (to re-date them): a partial index keeps
    # the cost of every other insert down. ix_presses_report leads with the office, then at_ms.
    Index(
        "ix_presses_unsynced_boot",
        "device",
        "boot",
        sqlite_where=text("synced = 0"),
        postgresql_where=text("synced = false"),
    ),
    # v2: every column a report groups, filters or joins on, so that a period's counts are an
    # index-only range scan that never reads the wide rows (payload, sig, ts).
    Index("ix_presses_report", *REPORT_COLUMNS),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("received_ms", BigInteger, nullable=False),
    Column("topic", Text, nullable=False),
    Column("device", String(32)),
    Column("seq", BigInteger),
    Column("kind", String(16), nullable=False),  # invalid | signature | mismatch | conflict
    Column("reason", Text, nullable=False),
    # Since 0004 only the first bytes are kept (storage/quarantine.py), with the whole
    # payload's length and SHA-256; both are NULL on older rows, which hold it whole.
    Column("payload", LargeBinary, nullable=False),
    Column("sig", Text),
    Column("length", BigInteger),
    Column("sha256", String(64)),
    Index("ix_quarantine_received", "received_ms"),
)

# Rejected messages per device and UTC hour: beyond the hourly allowance they are only counted
# here, so that one kiosk sending junk cannot fill the collector's disk.
quarantine_hours = Table(
    "quarantine_hours",
    metadata,
    Column("device", String(32), primary_key=True),  # "" when the topic named no device
    Column("hour_ms", BigInteger, primary_key=True),  # the hour's first millisecond, UTC
    Column("kept", BigInteger, nullable=False),  # stored in quarantine
    Column("dropped", BigInteger, nullable=False),  # beyond the allowance: counted only
    Column("dropped_bytes", BigInteger, nullable=False),
)

# One row per ingest instance, written in each of its commits: the pages and /healthz tell
# from it whether presses are still being stored.
ingest_state = Table(
    "ingest_state",
    metadata,
    Column("instance", String(128), primary_key=True),  # the instance's MQTT client id
    Column("last_commit_ms", BigInteger),
    Column("held_since_ms", BigInteger),  # below the free-space floor since: presses held
    Column("free_bytes", BigInteger),  # free space when last measured, if measured
)

devices = Table(
    "devices",
    metadata,
    Column("device", String(32), primary_key=True),
    office_column(
        "devices", default=office_of_new_device
    ),  # for life: moving a kiosk to another office is a new registration
    Column("acked_upto", BigInteger, nullable=False, default=0),
    Column("first_seen_ms", BigInteger),
    Column("last_seen_ms", BigInteger),
    Column("state", String(8)),
    Column("state_session", BigInteger),
    Column("state_since_ms", BigInteger),
    Column("health", Text),  # the last Health payload, as JSON
    Column("config", Text),  # the Config retained for this device, as JSON
)

anchors = Table(
    "anchors",
    metadata,
    Column("device", String(32), primary_key=True),
    Column("boot", String(64), primary_key=True),
    Column("mono", Float, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
)

# The one catalogue of fields: the province's codes, so that the offices' figures add up.
fields = Table(
    "fields",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
)

# v9: which fields of the catalogue an office serves.
office_fields = Table(
    "office_fields",
    metadata,
    office_column("office_fields", primary_key=True),
    Column(
        "field",
        String(64),
        ForeignKey("fields.code", name="fk_office_fields_field"),
        primary_key=True,
    ),  # fmt: skip
)

# v9: codes of officials and counters are unique per office (Q1 exists in every commune).
officials = Table(
    "officials",
    metadata,
    office_column("officials", primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
)

counters = Table(
    "counters",
    metadata,
    office_column("counters", primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("field", String(64)),  # the field the counter serves, shown on its kiosk; may be none
)

# Who served at which counter, [start_ms, end_ms); end_ms NULL means still on duty.
duty = Table(
    "duty",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    office_column("duty"),
    Column("counter", String(64), nullable=False),
    Column("official", String(64), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger),
    Index("ix_duty_counter_start", "counter", "start_ms"),
)

# Where each kiosk stood, [start_ms, end_ms); end_ms NULL: it stands there still. The report
# attributes a press through the placement at its time (reference/placements.py), so moving a
# kiosk never re-attributes the presses it took at its earlier counter.
device_placements = Table(
    "device_placements",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("device", String(32), nullable=False),
    Column("counter", String(64), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger),
    Index("ix_device_placements_device_start", "device", "start_ms"),
)

# Which counter a kiosk stands at now (its open placement); its retained Config is built from this.
device_counters = Table(
    "device_counters",
    metadata,
    Column("device", String(32), primary_key=True),
    Column("counter", String(64), nullable=False),
    Index("ix_device_counters_counter", "counter"),
)

dossier_counts = Table(
    "dossier_counts",
    metadata,
    office_column("dossier_counts", primary_key=True),
    Column("field", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("resolved", Integer, nullable=False),
    Column("updated_ms", BigInteger),
    Index("ix_dossier_counts_month", "month"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    office_column("audit"),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),  # create | update | delete | import | mark-test ...
    Column("entity", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("before", Text),  # JSON of the row before, NULL when created
    Column("after", Text),  # JSON of the row after, NULL when deleted
    # A hash chain (reference/audit.py): each row's hash covers its content and prev_hash,
    # the hash of the row before it, so an edited, removed or reordered row shows.
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    Index("ix_audit_at", "at_ms"),
    Index("ix_audit_entity_key", "entity", "key"),
)

# A published report is a record (reporting/publish.py): one row per file, never replaced.
published = Table(
    "published",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    office_column("published"),
    Column("period", String(32), nullable=False),  # a period label: 2026-03, 2026-Q1, ...
    Column("kind", String(16), nullable=False),
    Column("convention", String(8), nullable=False),
    Column("format", String(8), nullable=False),
    Column("path", Text, nullable=False),  # relative to the publication folder
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("published_on", String(10), nullable=False),  # the publication day, YYYY-MM-DD
    Column("published_ms", BigInteger, nullable=False),  # presses received later are late
    Column("figures", Text, nullable=False),  # JSON: the totals the board and poster show
    UniqueConstraint(
        "office_id", "period", "convention", "format", name="uq_published_period_format"
    ),  # fmt: skip
)

remarks = Table(
    "remarks",
    metadata,
    office_column("remarks", primary_key=True),
    Column("period", String(32), primary_key=True),  # a period label: 2024-03, 2024-Q1, ...
    Column("text", Text, nullable=False),
    Column("updated_ms", BigInteger),
    Column("actor", Text),
)

# Presses are never edited or deleted; a correction marks one excluded, with who and why.
corrections = Table(
    "corrections",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("device", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("action", Text, nullable=False),  # exclude
    Column("reason", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_corrections_device_seq", "device", "seq"),
)

# The web accounts: staff users, API tokens and recent login attempts.
users = Table(
    "users",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    office_column("users"),  # the account sees this office and the offices under it
    Column("username", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("password_hash", Text, nullable=False),  # argon2id, with its own salt and costs
    Column("role", String(16), nullable=False),  # admin | leader | staff | official
    Column("active", Boolean, nullable=False, default=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("changed_ms", BigInteger, nullable=False),
    # A password someone else chose (the installer's first admin, an admin's reset): the pages
    # let the account do nothing but choose its own until it has.
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
    # v7: the official (CBCC) an "official" account belongs to: it sees that official's figures only.
    Column("official", String(64)),
)

# v7: an official's reply (giải trình) to their figures of one period, shown beside their row in
# table B. One per official and period; a new text replaces it, with an audit row of both.
replies = Table(
    "replies",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    office_column("replies"),  # the official's office
    Column("official", String(64), nullable=False),
    Column("period", String(32), nullable=False),  # a period label: 2026-03, 2026-Q1, ...
    Column("convention", String(8), nullable=False),  # its figures differ between conventions
    Column("text", Text, nullable=False),
    Column("written_ms", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    UniqueConstraint(
        "office_id", "official", "period", "convention", name="uq_replies_official_period"
    ),  # fmt: skip
    Index("ix_replies_period", "period", "convention"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    # A token has no user of its own (created_by names an actor): it carries its office itself.
    office_column("api_tokens"),
    Column("name", String(64), nullable=False, unique=True),
    Column("digest", String(64), nullable=False, unique=True),  # SHA-256 of the token, hex
    Column("created_ms", BigInteger, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# One row per login attempt still inside the limit's window (failed, or being checked).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Index("ix_login_attempts_at", "at_ms"),
    Index("ix_login_attempts_username", "username"),
    Index("ix_login_attempts_address", "address"),
)

# One row per signed-in browser (accounts/sessions.py): the cookie carries a random id, the
# row its SHA-256 only. Signing out, a new password or a deactivation deletes rows.
sessions = Table(
    "sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", _ID, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)

# Half-month rollups of presses (reporting/rollup.py): caches, dropping them loses nothing.
# v9: one per office acted for (reference/scope.py), of the presses of its subtree's kiosks.
report_halves = Table(
    "report_halves",
    metadata,
    office_column("report_halves", primary_key=True),
    Column("tz", String(64), primary_key=True),
    Column("first_day", String(10), primary_key=True),  # YYYY-MM-01 or YYYY-MM-15
    Column("presses", BigInteger, nullable=False),
    Column("seq_sum", BigInteger, nullable=False),
    Column("offset_sum", BigInteger, nullable=False),
    Column("rules", String(40), nullable=False),  # digest of the flag rules used
    Column("built_ms", BigInteger, nullable=False),
    # v10: the change mark (reporting/marks.py) the half-month was last known valid at: every
    # press with an id up to press_mark was stored then, and there were anchor_mark anchors.
    Column("press_mark", BigInteger),
    Column("anchor_mark", BigInteger),
)

report_half_counts = Table(
    "report_half_counts",
    metadata,
    Column(
        "office_id",
        _ID,
        ForeignKey("offices.id", name="fk_report_half_counts_office"),
        nullable=False,
        default=the_one_office,
    ),  # fmt: skip
    Column("tz", String(64), nullable=False),
    Column("first_day", String(10), nullable=False),
    Column("dim", String(8), nullable=False),  # "field": (mode, field) · "official": sent official
    Column("mode", String(8), nullable=False),
    Column("key", String(64)),
    Column("rating", SmallInteger, nullable=False),
    Column("n", BigInteger, nullable=False),
    Index("ix_report_half_counts", "office_id", "tz", "first_day"),
)

report_half_flags = Table(
    "report_half_flags",
    metadata,
    Column(
        "office_id",
        _ID,
        ForeignKey("offices.id", name="fk_report_half_flags_office"),
        nullable=False,
        default=the_one_office,
    ),  # fmt: skip
    Column("tz", String(64), nullable=False),
    Column("first_day", String(10), nullable=False),
    Column("device", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("counter", String(64)),
    Column("field", String(64)),
    Column("mode", String(8), nullable=False),
    Column("official", String(64)),
    Index("ix_report_half_flags", "office_id", "tz", "first_day"),
)
