"""The main loop's one queue: other threads put events; the loop sleeps until one comes."""

from __future__ import annotations

import queue
from collections.abc import Callable


class Inbox:
    """A queue whose put also wakes the loop (e.g. by posting a pygame event)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._wake: Callable[[], None] | None = None

    def put(self, event: object) -> None:
        """Enqueue an event from any thread; never blocks, never does I/O."""
        self._queue.put(event)
        if self._wake is not None:
            self._wake()

    def wake_with(self, wake: Callable[[], None] | None) -> None:
        """Set how a put wakes a loop that sleeps elsewhere than on this queue."""
        self._wake = wake

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
