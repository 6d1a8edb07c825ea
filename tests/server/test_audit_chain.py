"""The audit log as a hash chain: concurrent writers, rows chained by the migration, breaks named."""

from __future__ import annotations

import threading

from sqlalchemy import delete, select

from hailong.server.reference.audit import GENESIS, chain_breaks, record
from hailong.server.storage import db
from tests.server.test_schema import load_release

WRITERS, ROWS = 4, 15


def test_concurrent_writers_keep_one_chain(engine):
    barrier = threading.Barrier(WRITERS)
    failures = []

    def write(n: int) -> None:
        barrier.wait(timeout=30)
        try:
            for i in range(ROWS):
                with engine.begin() as conn:
                    record(conn, f"writer-{n}", "update", "field", f"f{n}-{i}", None, {"i": i})
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures and not any(t.is_alive() for t in threads)
    with engine.connect() as conn:
        assert chain_breaks(conn) == (WRITERS * ROWS, [])
        links = conn.execute(select(db.audit.c.prev_hash).order_by(db.audit.c.id)).scalars().all()
    assert links[0] == GENESIS and len(set(links)) == WRITERS * ROWS  # no two rows share a parent


def test_a_removed_row_breaks_the_chain_at_the_next_one(engine):
    with engine.begin() as conn:
        for n in range(4):
            record(conn, "vp-thongke", "create", "field", f"f{n}", None, {"n": n})
    with engine.begin() as conn:
        ids = conn.execute(select(db.audit.c.id).order_by(db.audit.c.id)).scalars().all()
        conn.execute(delete(db.audit).where(db.audit.c.id == ids[1]))
    with engine.connect() as conn:
        assert chain_breaks(conn) == (3, [f"audit row {ids[2]}: does not follow the row before it"])


def test_the_migration_chains_the_rows_already_logged(database_url):
    load_release(database_url)
    engine = db.open_database(database_url)
    with engine.begin() as conn:
        logged = conn.execute(select(db.audit.c.hash)).scalars().all()
        record(conn, "vp-thongke", "update", "field", "ho-tich", None, {"name": "Hộ tịch"})
    with engine.connect() as conn:
        assert logged and all(logged)
        assert chain_breaks(conn) == (len(logged) + 1, [])
    engine.dispose()
