"""A batch of many kiosks is judged with one query per question, not one per kiosk.

Every batch asks the database which of its presses are stored already (duplicates and conflicts
are judged against the stored copy), and how far each kiosk's ack may now go. With a round trip
per kiosk those questions were most of a PostgreSQL batch's time; here they are asked once per
batch, and the answers must still be right for every kiosk: duplicates, conflicts with the
stored copy and within the batch, new presses, gaps and presses stored beyond a gap.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event, func, select, update

from hailong.server.ingest.intake import RetainedAck
from hailong.server.ingest.watermark import advance_acks
from hailong.server.storage import batch, press_sql
from hailong.server.storage.batch import store_batch
from hailong.server.storage.db import devices, presses, quarantine
from tests.server.batches import press, store


def mixed_batch(names: list[str]) -> list:
    """Return, per kiosk: a duplicate, a conflict with the stored copy, two new presses, a
    conflicting second copy of one of them and an identical third copy."""
    items = []
    for name in names:
        items += [press(name, 2), press(name, 3, rating=1), press(name, 4),
                  press(name, 5), press(name, 5, rating=1), press(name, 5)]  # fmt: skip
    return items


def seed(engine, names: list[str]) -> None:
    """Store seqs 1..3 of every kiosk, and seq 6 (beyond a gap) of every other one."""
    store(engine, [press(n, s) for n in names for s in (1, 2, 3)])
    store(engine, [press(n, 6) for n in names[::2]])


_INSERT_ALL = press_sql.insert_all


def statements(engine, work, monkeypatch) -> Counter:
    """Run work and return how often each kind of statement went to the database."""
    seen = Counter()

    def count(_conn, _cursor, statement, *_args):
        seen[" ".join(statement.split()[:4])] += 1

    # PostgreSQL's COPY goes to psycopg's cursor past SQLAlchemy's events: counted here.
    def counted_copy(conn, rows):
        seen["COPY presses"] += 1
        return _INSERT_ALL(conn, rows)

    monkeypatch.setattr(press_sql, "insert_all", counted_copy)
    monkeypatch.setattr(batch, "insert_all", counted_copy)
    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_many_kiosks_are_judged_right_with_one_query_each(engine, monkeypatch):
    kiosks = 40
    names = [f"k{i:02d}" for i in range(kiosks)]
    seed(engine, names)
    result = {}
    work = lambda: result.update(out=store(engine, mixed_batch(names)))  # noqa: E731
    seen = statements(engine, work, monkeypatch)
    out = result["out"]
    assert (out.stored, out.duplicates, out.quarantined) == (2 * kiosks, 2 * kiosks, 2 * kiosks)
    # Seq 4 and 5 close the gap where seq 6 was stored already: those kiosks reach 6.
    assert out.acks == {n: 6 if i % 2 == 0 else 5 for i, n in enumerate(names)}
    with engine.connect() as conn:
        kinds = conn.execute(
            select(quarantine.c.seq, func.count()).group_by(quarantine.c.seq).order_by("seq")
        ).all()
        assert kinds == [(3, kiosks), (5, kiosks)]
        stored = conn.execute(select(presses.c.device, presses.c.seq, presses.c.rating)).all()
    assert len(stored) == kiosks * 5 + len(names[::2])
    assert {(s, r) for _d, s, r in stored if s == 5} == {(5, 4)}  # the first copy won
    reads = {k: v for k, v in seen.items() if k.startswith("SELECT")}
    assert [n for k, n in reads.items() if "payload" in k] == [1], reads  # the stored copies
    assert [n for k, n in seen.items() if k.startswith("WITH k")] == [1], seen  # the acks
    # PostgreSQL first copies the batch whole, which fails on the stored keys, then copies
    # the new presses once it has judged them against the stored copies.
    assert seen["COPY presses"] == (2 if engine.dialect.name == "postgresql" else 0)


def test_a_batch_of_new_presses_reads_no_stored_copy_on_postgresql(engine, monkeypatch):
    names = [f"k{i:02d}" for i in range(20)]
    seed(engine, names)
    batch = [press(n, s) for n in names for s in (4, 5, 5, 7)]  # a repeat within the batch
    result = {}
    seen = statements(engine, lambda: result.update(out=store(engine, batch)), monkeypatch)
    out = result["out"]
    assert (out.stored, out.duplicates, out.quarantined) == (60, 20, 0)
    assert out.acks == {n: 7 if i % 2 == 0 else 5 for i, n in enumerate(names)}
    reads = [k for k in seen if "payload" in k]
    if engine.dialect.name == "postgresql":
        assert (reads, seen["COPY presses"]) == ([], 1), seen
    else:
        assert (reads, seen["COPY presses"]) == (["SELECT device, seq, payload"], 0), seen


def test_the_statements_of_a_batch_do_not_grow_with_its_kiosks(engine, monkeypatch):
    few, many = [f"a{i}" for i in range(3)], [f"b{i:02d}" for i in range(30)]
    seed(engine, few + many)
    small = statements(engine, lambda: store(engine, mixed_batch(few)), monkeypatch)
    large = statements(engine, lambda: store(engine, mixed_batch(many)), monkeypatch)
    if engine.dialect.name == "sqlite":
        # SQLite inserts 50 rows per statement: that grows with the presses, not the kiosks.
        rows = "INSERT INTO presses (device,"
        assert small.pop(rows) == 1 and large.pop(rows) <= 2
    assert large == small


def test_one_ack_query_finds_each_kiosks_contiguous_run(engine):
    shapes = {"a": [1, 2, 3, 4, 5], "b": [2, 3], "c": [1, 8, 9], "d": [1, 2, 4, 5], "e": []}
    store(engine, [press(name, s) for name, seqs in shapes.items() for s in seqs])
    store(engine, [RetainedAck("e", 0)])  # a known kiosk with no press
    with engine.begin() as conn:
        conn.execute(update(devices).values(acked_upto=0))
        conn.execute(update(devices).where(devices.c.device == "c").values(acked_upto=7))
        acks = advance_acks(conn, set(shapes) | {"unknown"})
    # c: 8 follows the stored watermark 7, and it never goes down to 1.
    assert acks == {"a": 5, "b": 0, "c": 9, "d": 2, "e": 0}
    with engine.connect() as conn:
        held = dict(conn.execute(select(devices.c.device, devices.c.acked_upto)).all())
    assert held == acks


def test_a_batch_of_any_size_is_stored_whole(engine):
    # SQLite inserts in statements of 50 rows and one for the rest: every split must add up.
    for n in (1, 49, 50, 51, 100, 137):
        out = store(engine, [press(f"n{n}", s) for s in range(1, n + 1)])
        assert (out.stored, out.acks) == (n, {f"n{n}": n})
        with engine.connect() as conn:
            seqs = conn.execute(select(presses.c.seq).where(presses.c.device == f"n{n}")).scalars()
            assert sorted(seqs) == list(range(1, n + 1))


def test_known_kiosks_are_noted_seen_and_new_ones_created(engine):
    with engine.begin() as conn:
        store_batch(conn, [press("old", 1)], 1_000)
    with engine.begin() as conn:
        store_batch(conn, [press("old", 2), press("new", 1), RetainedAck("ack-only", 0)], 2_000)
    with engine.connect() as conn:
        seen = conn.execute(
            select(devices.c.device, devices.c.first_seen_ms, devices.c.last_seen_ms).order_by(
                devices.c.device
            )
        ).all()
    assert seen == [("ack-only", 2_000, 2_000), ("new", 2_000, 2_000), ("old", 1_000, 2_000)]
