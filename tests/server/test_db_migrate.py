"""The schema: a fresh database, an in-place upgrade from version 1, and idempotence."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import select

from server import db
from server.errors import SchemaError

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


def v1_database(path) -> str:
    """Write a version-1 database with a few rows; return its URL."""
    with sqlite3.connect(path) as con:
        con.executescript(V1_SCHEMA)
    con.close()
    return f"sqlite:///{path}"


def snapshot(path) -> dict:
    """Return the schema and every v1 row, to compare before and after."""
    with sqlite3.connect(path) as con:
        schema = sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
        rows = {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in V1_TABLES}
        version = con.execute("SELECT version FROM schema_info").fetchall()
    con.close()
    return {"schema": schema, "rows": rows, "version": version}


def names(path, kind: str) -> set[str]:
    with sqlite3.connect(path) as con:
        found = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type=?", (kind,))}
    con.close()
    return found


def test_fresh_database_gets_every_table_and_the_current_version(tmp_path):
    engine = db.open_database(f"sqlite:///{tmp_path / 'new' / 'c.db'}")
    with engine.connect() as conn:
        assert conn.execute(select(db.schema_info.c.version)).scalars().all() == [2]
    assert set(V1_TABLES + V2_TABLES) <= names(tmp_path / "new" / "c.db", "table")
    assert db.SCHEMA_VERSION == 2


def test_version_1_is_upgraded_in_place_keeping_its_data(tmp_path):
    path = tmp_path / "v1.db"
    url = v1_database(path)
    before = snapshot(path)
    assert db.migrate(db.connect(url)) == 2
    after = snapshot(path)
    assert after["rows"] == before["rows"]
    assert after["version"] == [(2,)]
    assert set(V2_TABLES) <= names(path, "table")
    assert {"ix_presses_report", "ix_duty_counter_start", "ix_audit_at"} <= names(path, "index")
    old_objects = {(t, n, s) for t, n, s in before["schema"] if n != "schema_info"}
    assert old_objects <= set(after["schema"])  # v1 tables and indexes untouched


def test_migrating_twice_changes_nothing(tmp_path):
    path = tmp_path / "v1.db"
    engine = db.connect(v1_database(path))
    db.migrate(engine)
    once = snapshot(path)
    assert db.migrate(engine) == 2
    assert snapshot(path) == once


def test_an_interrupted_upgrade_is_finished(tmp_path):
    path = tmp_path / "v1.db"
    url = v1_database(path)
    with sqlite3.connect(path) as con:  # as if a crash came after the first new table
        con.execute("CREATE TABLE fields (code VARCHAR(64) PRIMARY KEY, name TEXT NOT NULL,"
                    " active BOOLEAN DEFAULT 1 NOT NULL)")  # fmt: skip
    con.close()
    assert db.migrate(db.connect(url)) == 2
    assert set(V2_TABLES) <= names(path, "table")


def test_a_newer_database_is_refused(tmp_path):
    engine = db.open_database(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        conn.execute(db.schema_info.update().values(version=99))
    with pytest.raises(SchemaError, match="version 99"):
        db.migrate(engine)


@pytest.mark.parametrize("start_from", ["empty", "v1"])
def test_processes_starting_together_migrate_once(tmp_path, start_from):
    path = tmp_path / "c.db"
    url = v1_database(path) if start_from == "v1" else f"sqlite:///{path}"
    results, errors = [], []

    def start():
        try:
            results.append(db.migrate(db.connect(url)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and results == [2, 2, 2, 2]
