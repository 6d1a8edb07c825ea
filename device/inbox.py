"""The main loop's one queue: other threads put events; the loop sleeps until one comes."""

from __future__ import annotations

import queue


class Inbox:
    """A queue the loop sleeps on: a put from any thread wakes it."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, event: object) -> None:
        """Enqueue an event from any thread; never blocks, never does I/O."""
        self._queue.put(event)

    def wait(self, timeout: float | None) -> list[object]:
        """Sleep up to timeout for the first event, then return it and all that followed."""
        try:
            first = self._queue.get(timeout=None if timeout is None else max(timeout, 0))
        except queue.Empty:
            return []
        return [first, *self.drain()]

    def drain(self) -> list[object]:
        """Return every event waiting now, without sleeping."""
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out
