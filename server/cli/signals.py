"""Signals for a long-running process, taken by a thread of their own, never by the main thread.

A Python signal handler runs in the main thread, and the C call it interrupts may not come back
as it should. CPython 3.11's queue.SimpleQueue.get(timeout=...), which the ingest waits in
while idle, recomputes its timeout after the handler ran and, if the deadline passed meanwhile
(a signal in its last microsecond, or a busy machine that runs the process a little late), waits
with a negative timeout: for ever, until something is put in the queue (CPython's lock.acquire
checks for that case; _queuemodule.c does not). An idle ingest then never saw its SIGTERM and
systemd had to kill it. Here the signals are blocked in every thread and one thread waits for
them with sigwait: the main thread's waits end at their own timeouts, untouched.

Stopping has a deadline: a process still running STOP_GRACE_S after the signal (a database call
that waits for a lock, say) writes where every thread is and exits non-zero, before systemd's
TimeoutStopSec (30 s) would kill it without a word. Exiting then is no worse than a crash, which
the ingest survives: nothing is acked before its commit, and what was stored but not acked comes
again and is stored once. A second SIGTERM or Ctrl-C does the same at once.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
STOPPING = (signal.SIGTERM, signal.SIGINT)
STOP_GRACE_S = 20.0  # below TimeoutStopSec = 30 in systemd/hailong-collector-ingest*.service
STUCK_EXIT = 70  # EX_SOFTWARE: stopped by the deadline, not cleanly


def take_signals(stop: threading.Event, on_hup: Callable[[], None] | None = None,
                 grace_s: float = STOP_GRACE_S) -> threading.Thread:  # fmt: skip
    """Answer SIGTERM/SIGINT (set stop) and SIGHUP (call on_hup) from a thread of their own.

    Call it from the main thread before any other thread starts: threads inherit the blocked
    signals, so that no thread but this one ever takes them.
    """
    wanted = {*STOPPING, signal.SIGHUP} if on_hup else set(STOPPING)
    # Handlers too, for a thread that some library started earlier with the signals open:
    # without them such a SIGHUP would end the process.
    for signum in STOPPING:
        signal.signal(signum, lambda *_: stop.set())
    if on_hup:
        signal.signal(signal.SIGHUP, lambda *_: on_hup())
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    thread = threading.Thread(target=_watch, args=(wanted, stop, on_hup, grace_s),
                              name="signals", daemon=True)  # fmt: skip
    thread.start()
    return thread


def _watch(wanted: set[int], stop: threading.Event, on_hup, grace_s: float) -> None:
    deadline = None
    while True:
        timeout = None if deadline is None else deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            _give_up(f"still running {grace_s:g} s after the stop signal")
        signum = _next_signal(wanted, timeout)
        if signum is None:
            continue  # the deadline passed: checked above
        if signum == signal.SIGHUP:
            on_hup()
        elif deadline is None:
            log.info("%s: stopping", signal.Signals(signum).name)
            deadline = time.monotonic() + grace_s
            stop.set()
        else:
            _give_up(f"{signal.Signals(signum).name} again while stopping")


def _next_signal(wanted: set[int], timeout: float | None) -> int | None:
    if timeout is None:
        return signal.sigwait(wanted)
    info = signal.sigtimedwait(wanted, timeout)
    return None if info is None else info.si_signo


def _give_up(why: str) -> None:
    """Say where every thread is, then exit non-zero without waiting for any of them."""
    log.critical("%s: exiting without a clean stop; where each thread was:", why)
    for handler in logging.getLogger().handlers:
        handler.flush()
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.flush()
    os._exit(STUCK_EXIT)
