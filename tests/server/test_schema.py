"""The migrations against the models, a database made by release 0.1.0, and `db upgrade`."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url

from hailong.server.cli import main
from hailong.server.errors import SchemaError
from hailong.server.storage import db, migrate
from hailong.server.storage.schema import metadata

DATA = Path(__file__).parent / "data"
ROLLUPS = ("report_halves", "report_half_counts", "report_half_flags")


def load_release(url: str) -> None:
    """Load the database release 0.1.0 made (tests/server/data) into an empty database."""
    parsed = make_url(url)
    script = (DATA / f"release_0_1_0.{parsed.get_backend_name()}.sql").read_text("utf-8")
    if parsed.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(parsed.database)) as conn:
            conn.executescript(script)
        return
    # pg_dump's script holds many statements: psycopg runs them in one go without parameters.
    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(script)


def differences(conn) -> list:
    """Return what Alembic would change to make the database match the models."""
    # Types and server defaults are compared too. Not compared, on either dialect: Python-side
    # defaults (default=…, never in the database) and partial indexes' WHERE clauses (Alembic
    # compares an index's columns and uniqueness only): test_partial_indexes_… checks those.
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return compare_metadata(context, metadata)


def every_row(url: str, like: dict | None = None) -> dict:
    """Return the rows of every table of the models, in a stable order.

    Only the columns the database has are read; `like` (an earlier answer) limits the tables
    and columns to those it held, so that rows are compared across revisions adding some.
    """
    engine = create_engine(url)
    with engine.connect() as conn:
        found = inspect(conn)
        present = set(found.get_table_names()) if like is None else set(like)
        rows = {}
        for t in metadata.sorted_tables:
            if t.name not in present:
                continue
            names = {c["name"] for c in found.get_columns(t.name)}
            if like is not None:
                names &= set(like[t.name][0]._fields) if like[t.name] else names
            columns = [c for c in t.columns if c.name in names]
            rows[t.name] = sorted(conn.execute(select(*columns)).all(), key=repr)
    engine.dispose()
    return rows


def test_migrations_make_exactly_the_models_schema(database_url):
    engine = db.open_database(database_url)
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.head()
        assert differences(conn) == []
    engine.dispose()


def test_partial_indexes_keep_their_predicates(database_url):
    engine = db.open_database(database_url)
    dialect = engine.dialect.name
    partial = {i.name: str(i.dialect_options[dialect]["where"])
               for t in metadata.tables.values() for i in t.indexes
               if i.dialect_options[dialect]["where"] is not None}  # fmt: skip
    assert set(partial) == {"ix_presses_dossier", "ix_presses_unsynced_boot"}
    with engine.connect() as conn:
        for name, predicate in partial.items():
            assert f"WHERE {predicate}" in index_definition(conn, name).replace("(", "")
    engine.dispose()


def index_definition(conn, name: str) -> str:
    """Return the database's own CREATE INDEX text of an index."""
    if conn.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    return conn.execute(text(query), {"name": name}).scalar_one()


def test_a_release_0_1_0_database_is_upgraded_keeping_every_row(database_url):
    load_release(database_url)
    before = every_row(database_url)
    assert len(before) == 19  # every table of 0.1.0: accounts and rollups were there too
    assert all(before.values())  # a row in every table
    engine = db.open_database(database_url)
    after = every_row(database_url, like=before)
    for cache in ROLLUPS:  # 0009 keys the rollups by office: the caches are rebuilt, not kept
        assert after.pop(cache) == [] and before.pop(cache)
    assert after == before
    with engine.begin() as conn:
        assert migrate.revision(conn) == migrate.head()
        assert not inspect(conn).has_table("schema_info")  # alembic_version took its place
        assert differences(conn) == []
        # The ids go on from the stored ones (PostgreSQL's sequences came along).
        row = dict(before["presses"][0]._mapping, seq=99)
        del row["id"]
        assert conn.execute(insert(db.presses).values(row)).inserted_primary_key[0] == 3
    engine.dispose()


def test_a_database_of_an_unknown_revision_is_refused(database_url):
    engine = db.open_database(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(SchemaError, match="0099_from_the_future.*upgrade hailong"):
        db.open_database(database_url)
    with engine.connect() as conn, pytest.raises(SchemaError, match="0099_from_the_future"):
        migrate.check_current(conn)
    engine.dispose()


def test_tables_without_any_version_are_not_adopted(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    with closing(sqlite3.connect(tmp_path / "other.db")) as conn:
        conn.execute("CREATE TABLE presses (id INTEGER PRIMARY KEY, what TEXT)")
    with pytest.raises(SchemaError, match="not made by hailong"):
        db.open_database(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["presses"]  # nothing created beside it
    engine.dispose()


def test_check_current_tells_an_empty_database_to_upgrade(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as conn, pytest.raises(SchemaError, match="db upgrade"):
        migrate.check_current(conn)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


def test_db_upgrade_makes_the_schema_once_and_refuses_a_newer_one(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'var' / 'collector.db'}"
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "{url}"\n')
    for _ in range(2):  # the second run finds the work done
        assert main(["--config", str(config), "db", "upgrade"]) == 0
        assert capsys.readouterr().out == f"database at revision {migrate.head()}\n"
    engine = db.connect(url)
    with engine.begin() as conn:
        assert differences(conn) == []
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    assert main(["--config", str(config), "db", "upgrade"]) == 1
    assert "0099_from_the_future" in capsys.readouterr().err
