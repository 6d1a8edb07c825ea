"""Revision 0010: a database at 0009 with offices and presses gives each press its kiosk's office."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select, text

from hailong.server.storage import db, migrate
from hailong.server.storage.schema import REPORT_COLUMNS, presses
from tests.server.test_schema import differences, index_definition

BEFORE = "0009_offices"
PRESS = (
    "INSERT INTO presses (device, seq, rating, ts, at_ms, synced, redated, boot, mono, mode,"
    " received_ms, payload) VALUES (:device, :seq, 4, '2024-03-05T08:00:00.000+07:00',"
    " 1709600400000, :synced, :redated, 'b', 1.0, 'live', 1709600400000, :payload)"
)


def at_0009(url: str) -> dict[str, int]:
    """Make a database at 0009: a province, two communes, their kiosks, presses; return ids."""
    engine = db.connect(url)
    with engine.connect() as conn:
        command.upgrade(migrate._config(conn), BEFORE)
        conn.commit()
    with engine.begin() as conn:
        conn.execute(text("UPDATE offices SET code = 'tinh', kind = 'province'"))
        root = conn.execute(text("SELECT id FROM offices")).scalar_one()
        for code in ("xa-a", "xa-b"):
            conn.execute(text("INSERT INTO offices (code, name, kind, parent_id) "
                              "VALUES (:c, :n, 'commune', :p)"), {"c": code, "n": code, "p": root})  # fmt: skip
        ids = dict(conn.execute(text("SELECT code, id FROM offices")).all())
        for device, office in (("ka", "xa-a"), ("kb", "xa-b")):
            conn.execute(text("INSERT INTO devices (device, office_id, acked_upto) "
                              "VALUES (:d, :o, 0)"), {"d": device, "o": ids[office]})  # fmt: skip
        # ku was never registered (an anonymous broker let it in): the root office's.
        for device, seq in (("ka", 1), ("ka", 2), ("kb", 1), ("ku", 1)):
            conn.execute(text(PRESS), {"device": device, "seq": seq, "synced": True,
                                       "redated": False, "payload": b"{}"})  # fmt: skip
    engine.dispose()
    return ids


def test_each_press_takes_its_kiosks_office_and_the_index_leads_with_it(database_url):
    ids = at_0009(database_url)
    engine = db.open_database(database_url)
    try:
        with engine.connect() as conn:
            assert migrate.revision(conn) == migrate.head()
            assert differences(conn) == []
            found = conn.execute(
                select(presses.c.device, presses.c.seq, presses.c.office_id)
                .order_by(presses.c.device, presses.c.seq)
            ).all()  # fmt: skip
            assert [tuple(r) for r in found] == [
                ("ka", 1, ids["xa-a"]), ("ka", 2, ids["xa-a"]), ("kb", 1, ids["xa-b"]),
                ("ku", 1, ids["tinh"]),
            ]  # fmt: skip
            look = inspect(conn)
            report = next(
                i for i in look.get_indexes("presses") if i["name"] == "ix_presses_report"
            )
            assert tuple(report["column_names"]) == REPORT_COLUMNS
            assert REPORT_COLUMNS[0] == "office_id"
            # The partial indexes keep their predicates (SQLite copies the table to add the key).
            assert "dossier IS NOT NULL" in index_definition(conn, "ix_presses_dossier")
            assert "synced" in index_definition(conn, "ix_presses_unsynced_boot").split("WHERE")[1]
            halves = {c["name"] for c in look.get_columns("report_halves")}
            assert {"press_mark", "anchor_mark"} <= halves
            keys = look.get_foreign_keys("presses")
            assert [(k["constrained_columns"], k["referred_table"]) for k in keys] == [
                (["office_id"], "offices")
            ]
            assert not next(c for c in look.get_columns("presses") if c["name"] == "office_id")[
                "nullable"
            ]
    finally:
        engine.dispose()


def test_the_revision_can_be_undone(database_url):
    at_0009(database_url)
    engine = db.open_database(database_url)
    try:
        with engine.connect() as conn:
            command.downgrade(migrate._config(conn), BEFORE)
            conn.commit()
            look = inspect(conn)
            assert "office_id" not in {c["name"] for c in look.get_columns("presses")}
            report = next(
                i for i in look.get_indexes("presses") if i["name"] == "ix_presses_report"
            )
            assert report["column_names"][0] == "at_ms"
            assert "dossier IS NOT NULL" in index_definition(conn, "ix_presses_dossier")
            assert conn.execute(text("SELECT count(*) FROM presses")).scalar_one() == 4
    finally:
        engine.dispose()
