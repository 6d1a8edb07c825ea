"""A batch's acks come from its own presses and one probe past them, as the full walk would find.

store_batch no longer walks every stored seq above each kiosk's watermark: it takes the
watermark it read under the kiosk's lock, moves it over the batch's own seqs (each has a stored
copy once the insert is done) and asks the database only whether the run goes on. These tests
hold that answer to the full walk (advance_acks) and to the stored seqs themselves, across gaps,
presses stored earlier beyond a gap, repeats, conflicts, a kiosk's first press and a watermark
left behind by another writer. PostgreSQL's insert is a COPY: its types are the table's, and an
error other than a stored key reaches ingest as the SQLAlchemy error it retries.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DataError, OperationalError

from hailong.server.ingest.intake import RetainedAck
from hailong.server.ingest.watermark import advance_acks, advance_after_batch, run_end
from hailong.server.storage import batch as batch_module
from hailong.server.storage.batch import store_batch
from hailong.server.storage.db import devices, presses
from hailong.server.storage.press_sql import INSERTED, _pg_copy_types, insert_all
from tests.server.batches import NOW, press, store


@pytest.mark.parametrize(
    ("held", "seqs", "end"),
    [
        (0, set(), 0),  # nothing in the batch
        (0, {1, 2, 3}, 3),  # a kiosk's first presses
        (0, {2, 3}, 0),  # seq 1 missing: nothing moves
        (5, {6, 7, 9}, 7),  # a gap at 8
        (5, {1, 2, 3}, 5),  # repeats below the watermark
        (5, {5, 6}, 6),  # the watermark's own seq repeated
    ],
)
def test_the_run_goes_from_the_watermark_through_the_batchs_seqs(held, seqs, end):
    assert run_end(held, seqs) == end


def contiguous(engine, names) -> dict[str, int]:
    """Return each kiosk's highest N with every seq 1..N stored, from the stored seqs."""
    with engine.connect() as conn:
        rows = conn.execute(select(presses.c.device, presses.c.seq)).all()
    stored: dict[str, set[int]] = {}
    for device, seq in rows:
        stored.setdefault(device, set()).add(seq)
    return {n: run_end(0, stored.get(n, set())) for n in names}


def random_batch(rng: random.Random, names: list[str], stored: dict[str, set[int]]) -> list:
    """Return presses of some kiosks: new seqs, repeats and conflicts, in the batch and stored."""
    items = []
    for name in rng.sample(names, rng.randint(1, len(names))):
        for seq in rng.sample(range(1, 25), rng.randint(1, 10)):
            rating = 4 if rng.random() < 0.8 else 1  # 1: a conflict if a copy is stored
            items.append(press(name, seq, rating=rating))
            if rng.random() < 0.2:  # another copy in the same batch, equal or not
                items.append(press(name, seq, rating=rng.choice((4, 2))))
        stored.setdefault(name, set())
    rng.shuffle(items)
    return items


def test_the_ack_from_the_batch_is_the_full_walks_on_every_shape(engine):
    rng = random.Random(16)
    names = [f"k{i}" for i in range(6)]
    stored: dict[str, set[int]] = {}
    for trial in range(30):
        if trial % 5 == 4:
            # Another writer stored presses without moving the watermark: it lags behind.
            lagging = rng.choice(names)
            with engine.begin() as conn:
                row = devices.c.device == lagging
                ours = conn.execute(select(devices.c.acked_upto).where(row)).scalar() or 0
                conn.execute(update(devices).where(row).values(acked_upto=ours // 2))
        items = random_batch(rng, names, stored)
        newcomer = f"new{trial}"  # a kiosk's first press, in some trials seq 1 itself
        items.append(press(newcomer, rng.choice((1, 1, 2))))
        with engine.begin() as conn:
            out = store_batch(conn, [*items, RetainedAck("k0", 0)], NOW)
            touched = {i.press.device for i in items}
            # The full walk from the watermark this batch committed moves nothing further.
            assert advance_acks(conn, touched) == {d: out.acks[d] for d in touched}
        truth = contiguous(engine, sorted(touched))
        assert {d: out.acks[d] for d in touched} == truth, f"trial {trial}"
        with engine.connect() as conn:
            held = dict(conn.execute(select(devices.c.device, devices.c.acked_upto)).all())
        assert {d: held[d] for d in touched} == truth


def test_a_batch_reaching_presses_stored_beyond_a_gap_moves_past_them(engine):
    store(engine, [press("k1", s) for s in (1, 2, 5, 6, 7, 9)])
    assert store(engine, [press("k1", 3)]).acks == {"k1": 3}
    assert store(engine, [press("k1", 4), press("k1", 3)]).acks == {"k1": 7}
    assert store(engine, [press("k1", 8, rating=1)]).acks == {"k1": 9}


def test_the_copy_sends_each_column_in_the_tables_own_type(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the binary COPY is PostgreSQL's")
    with engine.connect() as conn:
        found = dict(
            conn.execute(
                text(
                    "SELECT a.attname, t.typname FROM pg_attribute a "
                    "JOIN pg_type t ON t.oid = a.atttypid "
                    "WHERE a.attrelid = 'presses'::regclass AND a.attnum > 0"
                )
            ).all()
        )
    assert dict(zip(INSERTED, _pg_copy_types(), strict=True)) == {n: found[n] for n in INSERTED}


def test_a_copy_refused_for_another_reason_is_an_error_ingest_retries(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the binary COPY is PostgreSQL's")
    store(engine, [press("k1", 1)])
    with engine.connect() as conn:
        row = list(conn.execute(select(*(presses.c[n] for n in INSERTED))).one())
    row[INSERTED.index("seq")] = 2
    long = list(row)
    long[INSERTED.index("device")] = "k" * 40  # longer than the column
    with engine.begin() as conn:
        with pytest.raises(DataError):
            insert_all(conn, [tuple(row), tuple(long)])
        # The savepoint is undone, not the transaction: it goes on, and stores nothing of it.
        assert insert_all(conn, [tuple(row)]) is True
        assert insert_all(conn, [tuple(row)]) is False  # now stored: the unique key says so
    with engine.connect() as conn:
        seqs = conn.execute(select(presses.c.seq).order_by(presses.c.seq)).scalars().all()
    assert seqs == [1, 2]


def test_each_ack_is_read_back_as_stored_on_postgresql(engine):
    # PostgreSQL answers every kiosk's ack from its row as the statement leaves it, so an ack
    # is never below the stored watermark, whatever `held` said (SQLite's batch holds the one
    # write lock from its first statement: what it read cannot be overtaken).
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads under the database's one write lock")
    store(engine, [press("k1", s) for s in (1, 2, 3)] + [press("k2", 1)])
    with engine.begin() as conn:
        acks = advance_after_batch(conn, {"k1": 0, "k2": 0}, {"k1": {2}, "k2": {1}})
    assert acks == {"k1": 3, "k2": 1}


def test_a_connection_lost_during_the_copy_is_an_error_ingest_retries(engine, monkeypatch):
    # The COPY goes to psycopg past SQLAlchemy: its failure must still reach the ingest as the
    # SQLAlchemy error it retries, and the retried batch must store on a fresh connection.
    if engine.dialect.name != "postgresql":
        pytest.skip("the binary COPY is PostgreSQL's")
    items = [press("k1", s) for s in range(1, 101)]

    def cut_midway(conn, rows):
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()

        def rows_then_cut():
            for n, row in enumerate(rows):
                if n == 1:  # the COPY has begun: end this connection's server process
                    with engine.connect() as other:
                        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                yield row

        return insert_all(conn, rows_then_cut())

    monkeypatch.setattr(batch_module, "insert_all", cut_midway)
    with pytest.raises(OperationalError), engine.begin() as conn:
        store_batch(conn, items, NOW)
    monkeypatch.undo()
    out = store(engine, items)
    assert (out.stored, out.acks) == (100, {"k1": 100})
