"""A hostile kiosk cannot fill the collector's disk; a full disk or a broken database is never silent."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import func, select

from hailong.protocol import Topics, parse_ack
from hailong.server.config import load_config
from hailong.server.ingest.process import Ingest
from hailong.server.ingest.space import MB
from hailong.server.storage.db import open_database, presses, quarantine
from hailong.server.storage.schema import quarantine_hours
from tests.support import (
    collector_toml,
    mqtt_client,
    press_bytes,
    start_ingest,
    wait_collector_online,
    wait_for,
)

T = Topics()


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def refused(engine) -> tuple[int, int]:
    """Return the rejects kept as rows and those only counted."""
    h = quarantine_hours.c
    with engine.connect() as conn:
        kept, dropped = conn.execute(select(func.sum(h.kept), func.sum(h.dropped))).one()
    return kept or 0, dropped or 0


def size_on_disk(database: Path) -> int:
    """Return the bytes of a SQLite database with its write-ahead log."""
    wal = database.with_name(database.name + "-wal")
    return database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def test_two_thousand_big_junk_messages_add_little_to_the_database(tmp_path, broker, procs):
    database = tmp_path / "collector.db"
    engine = open_database(f"sqlite:///{database}")
    start_ingest(procs, collector_toml(tmp_path, broker), broker)
    client = mqtt_client(broker, client_id="hostile-k1")
    client.publish(T.press("k1"), press_bytes("k1", 1), 1).wait_for_publish(5)
    wait_for(lambda: count(engine, presses) == 1, 10, "a first press")
    before = size_on_disk(database)
    junk = [os.urandom(60_000) for _ in range(20)]
    for n in range(2000):
        client.publish(T.press("k1"), junk[n % 20], 1)
    client.publish(T.press("k1"), press_bytes("k1", 2), 1).wait_for_publish(60)
    wait_for(lambda: sum(refused(engine)) == 2000, 120, "every junk message refused", interval=0.5)
    wait_for(lambda: count(engine, presses) == 2, 20, "the valid press after the junk")
    grown = size_on_disk(database) - before
    print(f"2,000 x 60 KB of junk (120 MB) grew the database by {grown / 1024:.0f} KiB")
    assert grown < 2 * MB, "120 MB of junk must not reach the disk"
    kept, dropped = refused(engine)
    assert 200 <= kept <= 400 and kept + dropped == 2000, "one hour's allowance (or two) kept"
    with engine.connect() as conn:
        row = conn.execute(select(quarantine).limit(1)).one()
    assert len(row.payload) == 1024 and row.length == 60_000 and len(row.sha256) == 64
    client.loop_stop()


def test_below_the_free_space_floor_presses_are_held_unacked_then_stored(tmp_path, broker):
    free = {"bytes": 10 * MB}  # the fake disk: below the 512 MB floor until the test says
    config = load_config(collector_toml(tmp_path, broker))
    engine = open_database(config.database)
    acks: list[int] = []
    kiosk = mqtt_client(broker, client_id="k1")
    kiosk.on_message = lambda _c, _u, msg: acks.append(parse_ack(msg.payload).upto)
    kiosk.subscribe(T.ack("k1"), 1)

    def start() -> tuple[Ingest, threading.Event, threading.Thread]:
        worker, stop = Ingest(config, engine, free_bytes=lambda: free["bytes"]), threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        thread.start()
        wait_collector_online(broker)
        return worker, stop, thread

    worker, stop, thread = start()
    for seq in range(1, 21):
        kiosk.publish(T.press("k1"), press_bytes("k1", seq), 1).wait_for_publish(5)
    wait_for(lambda: worker.floor.holding == 20, 20, "all twenty presses held")
    assert count(engine, presses) == 0 and acks == [], "nothing stored, nothing acknowledged"

    stop.set()  # a restart while held: the broker still has them, as none was acked
    thread.join(10)
    worker, stop, thread = start()
    wait_for(lambda: worker.floor.holding == 20, 20, "the same twenty, delivered again")
    free["bytes"] = 2048 * MB  # space is back: ingest resumes by itself
    wait_for(lambda: count(engine, presses) == 20, 20, "every held press stored")
    wait_for(lambda: acks and acks[-1] == 20, 10, "the kiosk acknowledged up to 20")
    assert worker.floor.holding == 0
    stop.set()
    thread.join(10)
    kiosk.loop_stop()


def test_ingest_exits_non_zero_on_a_broken_database(tmp_path, broker, procs):
    database = tmp_path / "collector.db"
    engine = open_database(f"sqlite:///{database}")
    config = collector_toml(tmp_path, broker, max_failed_commits=3)
    ingest = start_ingest(procs, config, broker)
    with engine.begin() as conn:  # damaged under the running ingest
        conn.exec_driver_sql("DROP TABLE presses")
    client = mqtt_client(broker, client_id="k1")
    client.publish(T.press("k1"), press_bytes("k1", 1), 1).wait_for_publish(5)
    assert ingest.wait(30) == 1, "systemd restarts a process that exits non-zero"
    log = procs.log("ingest")
    assert "giving up after 3 failed commits in a row" in log and "no such table" in log
    client.loop_stop()
