"""When a batch is due: batch_ms after its first message arrived, not after the loop took it.

Messages that piled up while the last batch committed have waited already; waiting batch_ms
more for company left the database idle under load. The loop takes what is waiting (up to the
batch size) and commits; and a wall clock that steps cannot push a batch past batch_ms.
"""

from __future__ import annotations

import threading

from hailong.protocol import Topics
from hailong.server.config import load_config
from hailong.server.epoch import now_ms
from hailong.server.ingest.intake import Message
from hailong.server.ingest.process import Ingest, Received, _waited
from tests.support import collector_toml, press_bytes

T = Topics()


def received(seq: int, age_ms: int) -> Received:
    message = Message(T.press("k1"), press_bytes("k1", seq), None, now_ms() - age_ms)
    return Received(message, seq, 1, 0)


def collect(ingest: Ingest) -> list[Received]:
    """Run one _collect on a thread; fail if it has not returned within 5 s."""
    out: list = []
    thread = threading.Thread(target=lambda: out.append(ingest._collect(threading.Event())))
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "the batch waited for more than what was waiting"
    return out[0]


def make_ingest(tmp_path, broker, **batching) -> Ingest:
    return Ingest(load_config(collector_toml(tmp_path, broker, **batching)), engine=None)


def test_a_backlog_is_taken_at_once_though_batch_ms_has_not_passed(tmp_path, broker):
    # batch_ms of 10 s: were the batch due 10 s after the loop took its first message, the
    # thread would still be waiting when collect gives up.
    ingest = make_ingest(tmp_path, broker, batch_size=100, batch_ms=10_000)
    ingest.inbox.put([received(s, age_ms=20_000) for s in range(1, 6)])
    ingest.inbox.put(received(6, age_ms=20_000))
    assert [r.mid for r in collect(ingest)] == [1, 2, 3, 4, 5, 6]


def test_a_due_batch_still_takes_what_waits_up_to_its_size(tmp_path, broker):
    ingest = make_ingest(tmp_path, broker, batch_size=4, batch_ms=10)
    ingest.inbox.put([received(s, age_ms=5_000) for s in range(1, 7)])
    assert [r.mid for r in collect(ingest)] == [1, 2, 3, 4]
    assert [r.mid for r in collect(ingest)] == [5, 6]  # the rest of the list, kept in order


def test_the_wait_counted_stays_within_batch_ms_whatever_the_clock_did():
    assert _waited(received(1, age_ms=-3_600_000), 0.05) == 0.0  # clock stepped back an hour
    assert _waited(received(1, age_ms=3_600_000), 0.05) == 0.05  # or forward
    assert 0.0 <= _waited(received(1, age_ms=20), 0.05) <= 0.05
