"""Read paths (the board, the poster, the report's rollups) never create or alter a table."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hailong.server.config import CollectorConfig, MqttSettings, WebSettings
from hailong.server.reporting.data import build_report
from hailong.server.reporting.periods import parse_period
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage import db, migrate
from hailong.server.storage.schema import metadata, report_halves
from hailong.server.web import create_app
from tests.server.report_world import build_world

SETTINGS = ReportSettings(
    time_zone="Asia/Ho_Chi_Minh", unit_name="Ủy ban nhân dân xã An Bình", min_sample=10
)


def schema_of(engine) -> list:
    """Return everything that describes the schema: tables, columns, indexes, revision."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            found = conn.execute(text("SELECT type, name, sql FROM sqlite_master")).all()
        else:
            found = conn.execute(text(
                "SELECT table_name, column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = 'public' UNION ALL "
                "SELECT tablename, indexname, indexdef, '', '' FROM pg_indexes "
                "WHERE schemaname = 'public'"
            )).all()  # fmt: skip
        has_version = conn.dialect.has_table(conn, "alembic_version")
        revision = migrate.revision(conn) if has_version else None
    return sorted(map(tuple, found), key=repr) + [("revision", revision)]


@pytest.fixture
def app_on(database_url, tmp_path):
    """Return a function making the web app over the database (create_app upgrades it)."""
    config = CollectorConfig(database=database_url, mqtt=MqttSettings(port=1),
                             web=WebSettings(secret_key_file=tmp_path / "web.key"))  # fmt: skip
    apps = []

    def make():
        apps.append(create_app(config, settings=SETTINGS, TESTING=True))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["hailong"].engine.dispose()


def test_the_board_and_the_rollups_read_without_touching_the_schema(database_url, app_on):
    engine = db.open_database(database_url)
    build_world(engine)
    app = app_on()  # at head already: starting the web changes nothing either
    before = schema_of(engine)
    client = app.test_client()
    for path in ("/board?period=2024-03", "/board/poster?period=2024-04"):
        assert client.get(path).status_code == 200
    period = parse_period("2024-03")
    with engine.connect() as conn:  # outside a transaction: rollups are stored
        build_report(conn, period, SETTINGS)
    with engine.connect() as conn, conn.begin():  # inside one: only read
        build_report(conn, period, SETTINGS)
        assert conn.execute(report_halves.select()).first() is not None
    assert schema_of(engine) == before
    engine.dispose()


def test_a_page_on_a_database_without_the_schema_says_to_upgrade(database_url, app_on):
    app = app_on()
    engine = db.connect(database_url)
    with engine.begin() as conn:  # emptied under the running web, as a botched restore would
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE alembic_version"))
    answer = app.test_client().get("/board?period=2024-03")
    assert answer.status_code == 503
    assert "hailong-collector db upgrade" in answer.get_data(as_text=True)
    assert schema_of(engine) == [("revision", None)]  # no table came back
    engine.dispose()
