"""Revision 0009: a database at 0008 (a row in every table) becomes one office, keeping every row."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from hailong.server.storage import db, migrate
from hailong.server.storage.schema import counters, metadata, offices, officials
from tests.server.test_schema import ROLLUPS, differences, every_row, load_release

BEFORE = "0008_placement_history"
# Rows for the tables 0.1.0 did not have, spelled as revision 0008 has them.
LATER_ROWS = (
    "INSERT INTO published (period, kind, convention, format, path, sha256, size, published_on, "
    "published_ms, figures) VALUES ('2024-03', 'monthly', 'cutoff', 'xlsx', '2024-03/a.xlsx', "
    "'ab', 10, '2024-03-28', 1711600000000, '{}')",
    "INSERT INTO quarantine_hours VALUES ('k1', 1709600400000, 1, 0, 0)",
    "INSERT INTO ingest_state VALUES ('collector-a', 1709600400000, NULL, 1000)",
    "INSERT INTO sessions VALUES ('d1', 1, 1709600400000)",
    "INSERT INTO replies (official, period, convention, text, written_ms, actor) "
    "VALUES ('cb-01', '2024-03', 'cutoff', 'Giải trình', 1709600400000, 'cb')",
)


def at_0008(url: str) -> None:
    """Make the 0.1.0 database, upgrade it to 0008 and fill the tables added since."""
    load_release(url)
    engine = db.connect(url)
    with engine.connect() as conn:
        command.upgrade(migrate._config(conn), BEFORE)
        conn.commit()
    with engine.begin() as conn:
        for statement in LATER_ROWS:
            conn.execute(text(statement))
    engine.dispose()


def test_a_0008_database_becomes_one_office_keeping_every_row(database_url):
    at_0008(database_url)
    before = every_row(database_url)
    assert all(before[t] for t in before)  # a row in every table
    engine = db.open_database(database_url)
    after = every_row(database_url, like=before)
    for cache in ROLLUPS:
        assert after.pop(cache) == [] and before.pop(cache)  # caches: rebuilt per office
    assert after == before
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.head()
        assert differences(conn) == []
        one = conn.execute(select(offices.c.id, offices.c.code, offices.c.kind,
                                  offices.c.parent_id)).all()  # fmt: skip
        assert [tuple(r)[1:] for r in one] == [("don-vi", "commune", None)]
        office_id = one[0].id
        owned = [t.name for t in metadata.sorted_tables if "office_id" in t.c]
        assert len(owned) == 16  # with office_fields, the three rollups and presses (0010)
        for name in owned:
            ids = conn.execute(text(f"SELECT DISTINCT office_id FROM {name}")).scalars().all()
            assert ids == ([] if name in ROLLUPS else [office_id]), name
        enabled = conn.execute(text("SELECT field FROM office_fields ORDER BY field")).scalars()
        assert list(enabled) == sorted(r.code for r in before["fields"])
    engine.dispose()


def test_codes_are_unique_per_office_after_the_upgrade(database_url):
    at_0008(database_url)
    engine = db.open_database(database_url)
    with engine.begin() as conn:
        first = conn.execute(select(offices.c.id)).scalar_one()
        conn.execute(offices.update().values(kind="province"))
        other = conn.execute(insert(offices).values(code="xa-b", name="Xã B", kind="commune",
                                                    parent_id=first)).inserted_primary_key[0]  # fmt: skip
        assert other != first  # the ids go on from the one office
        conn.execute(insert(counters).values(office_id=other, code="Q1", name="Quầy 1"))
        conn.execute(insert(officials).values(office_id=other, code="cb-01", name="B"))
        codes = conn.execute(select(counters.c.office_id, counters.c.code)).all()
        assert sorted(codes) == sorted([(first, "Q1"), (other, "Q1")])
    with engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(insert(counters).values(office_id=other, code="Q1", name="again"))
    with engine.begin() as conn, pytest.raises(IntegrityError):  # an office that does not exist
        conn.execute(insert(counters).values(office_id=other + 99, code="Q9", name="Q9"))
    engine.dispose()


def test_a_fresh_database_has_the_one_office(database_url):
    engine = db.open_database(database_url)
    with engine.connect() as conn:
        assert conn.execute(select(offices.c.code, offices.c.name)).all() == [("don-vi", "Đơn vị")]
    engine.dispose()
    plain = create_engine(database_url)
    with plain.connect() as conn:
        look = inspect(conn)
        assert {fk["referred_table"] for fk in look.get_foreign_keys("devices")} == {"offices"}
        assert "ix_devices_office_id" in {i["name"] for i in look.get_indexes("devices")}
    plain.dispose()
