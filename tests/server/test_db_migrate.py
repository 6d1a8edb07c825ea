"""The schema's upgrade: a fresh database, an in-place upgrade from version 1, and idempotence."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import create_engine, inspect

from hailong.server.errors import SchemaError
from hailong.server.storage import db, migrate

# The DDL version 1 of server/db.py created on SQLite, verbatim.
V1_SCHEMA = """
CREATE TABLE presses (
    id INTEGER NOT NULL, device VARCHAR(32) NOT NULL, seq BIGINT NOT NULL,
    rating SMALLINT NOT NULL, reason SMALLINT, ts VARCHAR(40) NOT NULL, at_ms BIGINT NOT NULL,
    synced BOOLEAN NOT NULL, redated BOOLEAN NOT NULL, boot VARCHAR(64) NOT NULL,
    mono FLOAT NOT NULL, counter VARCHAR(64), official VARCHAR(64), field VARCHAR(64),
    dossier VARCHAR(64), mode VARCHAR(8) NOT NULL, received_ms BIGINT NOT NULL,
    payload BLOB NOT NULL, sig VARCHAR(64), PRIMARY KEY (id),
    CONSTRAINT uq_presses_device_seq UNIQUE (device, seq)
);
CREATE INDEX ix_presses_device_boot ON presses (device, boot);
CREATE INDEX ix_presses_at ON presses (at_ms);
CREATE TABLE quarantine (
    id INTEGER NOT NULL, received_ms BIGINT NOT NULL, topic TEXT NOT NULL, device VARCHAR(32),
    seq BIGINT, kind VARCHAR(16) NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL,
    sig TEXT, PRIMARY KEY (id)
);
CREATE INDEX ix_quarantine_received ON quarantine (received_ms);
CREATE TABLE devices (
    device VARCHAR(32) NOT NULL, acked_upto BIGINT NOT NULL, first_seen_ms BIGINT,
    last_seen_ms BIGINT, state VARCHAR(8), state_session BIGINT, state_since_ms BIGINT,
    health TEXT, config TEXT, PRIMARY KEY (device)
);
CREATE TABLE anchors (
    device VARCHAR(32) NOT NULL, boot VARCHAR(64) NOT NULL, mono FLOAT NOT NULL,
    at_ms BIGINT NOT NULL, PRIMARY KEY (device, boot)
);
CREATE TABLE schema_info (version INTEGER NOT NULL, PRIMARY KEY (version));
INSERT INTO schema_info (version) VALUES (1);
INSERT INTO presses VALUES (1, 'k1', 1, 4, NULL, '2024-03-05T08:00:00.000+07:00',
    1709600400000, 1, 0, 'b1', 12.5, 'Q1', 'cb-01', 'ho-tich', NULL, 'live', 1709600400100,
    X'7B7D', NULL);
INSERT INTO presses VALUES (2, 'k1', 2, 1, 2, '2024-03-05T08:01:00.000+07:00',
    1709600460000, 1, 0, 'b1', 72.5, 'Q1', NULL, NULL, NULL, 'test', 1709600460100,
    X'7B7D', 'ab');
INSERT INTO quarantine VALUES (1, 1709600400000, 'hailong/k1/press', 'k1', 3, 'invalid',
    'bad', X'00', NULL);
INSERT INTO devices VALUES ('k1', 2, 1709600400000, 1709600460000, 'online', 3,
    1709600400000, '{}', '{"v":1,"question":"Q?"}');
INSERT INTO anchors VALUES ('k1', 'b1', 12.5, 1709600400000);
"""
V1_TABLES = ("presses", "quarantine", "devices", "anchors")
V2_TABLES = ("fields", "officials", "counters", "duty", "device_counters", "dossier_counts",
             "audit", "remarks", "corrections")  # fmt: skip
LATER_TABLES = ("users", "api_tokens", "login_attempts",
                "report_halves", "report_half_counts", "report_half_flags")  # fmt: skip


def v1_database(url: str) -> str:
    """Write a version-1 database with a few rows; return its URL."""
    script = V1_SCHEMA if url.startswith("sqlite") else postgres_v1(V1_SCHEMA)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in filter(str.strip, script.split(";")):
            conn.exec_driver_sql(statement)
    engine.dispose()
    return url


def postgres_v1(script: str) -> str:
    """Spell the SQLite script as PostgreSQL wants it: BYTEA, bytea literals, true/false."""
    script = script.replace("BLOB", "BYTEA").replace("INTEGER NOT NULL, device", "SERIAL, device")
    script = re.sub(r"X'([0-9A-F]*)'", lambda m: f"'\\x{m[1].lower()}'::bytea", script)
    # presses: synced, redated follow at_ms; the only 0/1 pair after a 13-digit time.
    return re.sub(
        r"(\d{13}), ([01]), ([01]), ", lambda m: f"{m[1]}, {m[2] == '1'}, {m[3] == '1'}, ", script
    )


def snapshot(url: str) -> dict:
    """Return the v1 tables (columns, indexes, rows) and the version, to compare before and after."""
    engine = create_engine(url)
    with engine.connect() as conn:
        look = inspect(conn)
        schema = {t: (_columns(look, t), _indexes(look, t)) for t in V1_TABLES}
        rows = {t: conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1").all() for t in V1_TABLES}
        legacy = look.has_table("schema_info")
        version = conn.exec_driver_sql("SELECT version FROM schema_info").all() if legacy else []
        revision = migrate.revision(conn)
    engine.dispose()
    return {"schema": schema, "rows": rows, "version": [tuple(v) for v in version],
            "revision": revision}  # fmt: skip


def _columns(look, table: str) -> list:
    return [(c["name"], str(c["type"]), c["nullable"]) for c in look.get_columns(table)]


def _indexes(look, table: str) -> list:
    return sorted((i["name"], tuple(i["column_names"])) for i in look.get_indexes(table))


def names(url: str, kind: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        look = inspect(conn)
        tables = look.get_table_names()
        found = set(tables) if kind == "table" else set()
        if kind == "index":
            found = {i["name"] for t in tables for i in look.get_indexes(t)}
    engine.dispose()
    return found


def test_fresh_database_gets_every_table_and_the_current_version(database_url):
    engine = db.open_database(database_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").all() == [
            (migrate.head(),)
        ]
    engine.dispose()
    assert set(V1_TABLES + V2_TABLES + LATER_TABLES) <= names(database_url, "table")
    assert "schema_info" not in names(database_url, "table")  # alembic_version replaced it
    assert "ix_presses_dossier" in names(database_url, "index")  # v3


def test_a_sqlite_file_gets_its_folder(tmp_path):
    db.open_database(f"sqlite:///{tmp_path / 'new' / 'c.db'}").dispose()
    assert (tmp_path / "new" / "c.db").exists()


def test_version_1_is_upgraded_in_place_keeping_its_data(database_url):
    url = v1_database(database_url)
    before = snapshot(url)
    assert before["version"] == [(1,)] and before["revision"] is None
    assert migrate.upgrade(db.connect(url)) == migrate.head()
    after = snapshot(url)
    # Later revisions may add columns (0004: quarantine's length and sha256), empty for old rows
    # but for 0009's office_id, the one office's: every v1 column keeps its name, type and value.
    for table, rows in before["rows"].items():
        width = len(before["schema"][table][0])
        added = [c[0] for c in after["schema"][table][0][width:]]
        assert [tuple(r)[:width] for r in after["rows"][table]] == [tuple(r) for r in rows]
        for row in after["rows"][table]:
            extra = dict(zip(added, tuple(row)[width:], strict=True))
            assert extra.pop("office_id", 1) == 1 and all(v is None for v in extra.values())
    assert after["version"] == [] and after["revision"] == migrate.head()
    assert set(V2_TABLES + LATER_TABLES) <= names(url, "table")
    assert {"ix_presses_report", "ix_duty_counter_start", "ix_audit_at",
            "ix_presses_dossier"} <= names(url, "index")  # fmt: skip
    for table, (columns, indexes) in before["schema"].items():  # v1 objects untouched
        assert after["schema"][table][0][: len(columns)] == columns
        assert set(indexes) <= set(after["schema"][table][1])


def test_migrating_twice_changes_nothing(database_url):
    url = v1_database(database_url)
    engine = db.connect(url)
    migrate.upgrade(engine)
    once = snapshot(url)
    assert migrate.upgrade(engine) == migrate.head()
    assert snapshot(url) == once


def test_an_interrupted_upgrade_is_finished(database_url):
    url = v1_database(database_url)
    engine = create_engine(url)
    with engine.begin() as conn:  # as if a crash came after the first new table
        conn.exec_driver_sql("CREATE TABLE fields (code VARCHAR(64) PRIMARY KEY, name TEXT "
                             "NOT NULL, active BOOLEAN DEFAULT TRUE NOT NULL)")  # fmt: skip
    engine.dispose()
    assert migrate.upgrade(db.connect(url)) == migrate.head()
    assert set(V2_TABLES) <= names(url, "table")


def test_a_newer_database_is_refused(database_url):
    engine = create_engine(v1_database(database_url))
    with engine.begin() as conn:  # a schema_info version no release of the old scheme made
        conn.exec_driver_sql("UPDATE schema_info SET version = 99")
    engine.dispose()
    engine = db.connect(database_url)
    with pytest.raises(SchemaError, match="version 99"):
        migrate.upgrade(engine)
    engine.dispose()
    assert "alembic_version" not in names(database_url, "table")  # refused before any change


@pytest.mark.parametrize("start_from", ["empty", "v1"])
def test_processes_starting_together_migrate_once(database_url, start_from):
    url = v1_database(database_url) if start_from == "v1" else database_url
    results, errors, engines = [], [], []

    def start():
        try:
            engines.append(db.connect(url))
            results.append(migrate.upgrade(engines[-1]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for engine in engines:
        engine.dispose()
    assert errors == [] and results == [migrate.head()] * 4
