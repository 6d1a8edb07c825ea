"""Build batches as ingest hands them to the store, and store them (shared by the store's tests)."""

from __future__ import annotations

from hailong.protocol import Topics
from hailong.server.ingest.intake import Message, classify
from hailong.server.storage.batch import BatchOutcome, store_batch
from tests.support import press_bytes

T = Topics()
NOW = 1_709_600_000_000


def press(device: str, seq: int, **fields):
    """Return a classified press as ingest would hand it to the store."""
    message = Message(T.press(device), press_bytes(device, seq, **fields), None, NOW)
    return classify(message, T, {})


def store(engine, items) -> BatchOutcome:
    """Store one batch in its own transaction."""
    with engine.begin() as conn:
        return store_batch(conn, items, NOW)
