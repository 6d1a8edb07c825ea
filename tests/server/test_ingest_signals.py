"""SIGTERM ends ingest promptly, whenever it lands; a stop that hangs is cut short and says where.

CPython 3.11's SimpleQueue.get(timeout=...) waits for ever when a signal handler runs past the
wait's deadline (server/cli/signals.py): an idle ingest then never stopped. The process is
paused (SIGSTOP) inside its idle wait until that wait's deadline has passed, and the signal
comes as it resumes: a handler in the main thread would run after the deadline.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import func, select, text

from hailong.protocol import Topics, parse_ack
from hailong.server.cli.signals import STUCK_EXIT
from hailong.server.storage import press_lock
from hailong.server.storage.db import open_database, presses
from tests.support import (
    collector_toml,
    fresh_database,
    mqtt_client,
    press_bytes,
    start_ingest,
    wait_for,
)

T = Topics()

IDLE_WAIT_S = 0.2  # the ingest loop's idle inbox wait (process.Ingest._collect)


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


FUTEX = {"x86_64": ("202", "219"), "aarch64": ("98", "128")}  # futex, restart_syscall


def main_thread_waits(pid: int) -> bool:
    """Whether the main thread sleeps in a futex (its inbox wait), not running Python."""
    wchan = Path(f"/proc/{pid}/task/{pid}/wchan").read_text()
    return state(pid) == "S" and "futex" in wchan


def pause_in_wait(pid: int, timeout: float = 20) -> None:
    """Stop the process (SIGSTOP) at a moment its main thread is in a futex wait."""
    calls = FUTEX.get(platform.machine())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wait_for(lambda: main_thread_waits(pid), 10, "ingest idle in its inbox wait")
        os.kill(pid, signal.SIGSTOP)
        wait_for(lambda: state(pid) == "T", 10, "ingest paused")
        syscall = Path(f"/proc/{pid}/task/{pid}/syscall").read_text().split()[0]
        if calls is None or syscall in calls:
            return
        os.kill(pid, signal.SIGCONT)  # it had just woken up: try again
    raise AssertionError("could not pause ingest inside its wait")


def test_signals_handled_after_an_idle_wait_s_deadline_never_wedge_ingest(
    tmp_path, broker, procs, database_url
):
    # Stopped, no thread takes a signal; on SIGCONT any thread may: several SIGHUPs (a
    # broker's account reload sends one), each able to wedge the old ingest for good, make
    # it near certain that the main thread handles one of them.
    config = collector_toml(tmp_path, broker, database_url)
    child = start_ingest(procs, config, broker)
    for signum in (*[signal.SIGHUP] * 5, signal.SIGTERM):
        pause_in_wait(child.pid)
        time.sleep(IDLE_WAIT_S * 2)  # the pause must outlast the wait it interrupts: the case
        os.kill(child.pid, signum)
        os.kill(child.pid, signal.SIGCONT)
    try:
        status = child.wait(10)
    except subprocess.TimeoutExpired:
        raise AssertionError("ingest did not exit within 10 s of SIGTERM") from None
    assert status == 0
    log = procs.log("ingest")
    assert "reloaded 0 signing key(s)" in log  # SIGHUPs close together reload once
    assert "SIGTERM: stopping" in log
    assert "ingest stopped" in log


STUCK = textwrap.dedent("""
    import logging, threading
    from hailong.server.cli.signals import take_signals
    logging.basicConfig(level=logging.INFO)
    stop, hup = threading.Event(), threading.Event()
    take_signals(stop, on_hup=lambda: print("reloaded", flush=True), grace_s={grace})
    print("ready", flush=True)
    threading.Event().wait()  # a main thread that never sees stop: a call waiting on a lock
""")


def start_stuck(tmp_path, grace: float) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "stuck.log"
    with open(out, "wb") as log:
        child = subprocess.Popen([sys.executable, "-c", STUCK.format(grace=grace)],
                                 stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    return child, out


def wait_exit(child: subprocess.Popen, timeout: float) -> int:
    try:
        return child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(10)
        raise AssertionError(f"still running {timeout} s after SIGTERM") from None


def test_a_stop_that_outlasts_its_grace_exits_non_zero_showing_every_thread(tmp_path):
    child, out = start_stuck(tmp_path, grace=0.5)
    wait_for(lambda: b"ready" in out.read_bytes(), 20, "the stuck process ready")
    os.kill(child.pid, signal.SIGHUP)
    wait_for(lambda: b"reloaded" in out.read_bytes(), 10, "SIGHUP answered")
    os.kill(child.pid, signal.SIGTERM)
    assert wait_exit(child, 15) == STUCK_EXIT
    log = out.read_text()
    assert "SIGTERM: stopping" in log
    assert "still running 0.5 s after the stop signal: exiting without a clean stop" in log
    assert "Current thread" in log or "Thread 0x" in log  # faulthandler's dump
    assert 'File "<string>", line 8 in <module>' in log  # the main thread, where it waited


def test_a_second_sigterm_while_stopping_exits_at_once(tmp_path):
    child, out = start_stuck(tmp_path, grace=600)
    wait_for(lambda: b"ready" in out.read_bytes(), 20, "the stuck process ready")
    os.kill(child.pid, signal.SIGTERM)
    wait_for(lambda: b"SIGTERM: stopping" in out.read_bytes(), 10, "the first SIGTERM taken")
    os.kill(child.pid, signal.SIGTERM)
    assert wait_exit(child, 15) == STUCK_EXIT
    assert "SIGTERM again while stopping" in out.read_text()


def test_a_sigterm_while_a_commit_waits_for_the_press_lock_stops_once_it_is_stored_and_acked(
    tmp_path, broker, procs, request
):
    # A mark (reporting/marks.take) holds the writers' lock exclusive: the commit waits, the
    # SIGTERM is taken meanwhile, and the stop comes after the commit and its acks, not before.
    url = fresh_database(request, "postgresql", tmp_path)
    engine = open_database(url)
    config = collector_toml(tmp_path, broker, url, batch_size=50, batch_ms=20)
    child = start_ingest(procs, config, broker)
    kiosk = mqtt_client(broker, client_id="kiosk-k1")
    acks: list[int] = []
    kiosk.on_message = lambda _c, _u, msg: acks.append(parse_ack(msg.payload).upto)
    kiosk.subscribe(T.ack("k1"), 1)
    try:
        with engine.begin() as holder:
            press_lock.wait_for_writers(holder)
            for seq in range(1, 21):
                kiosk.publish(T.press("k1"), press_bytes("k1", seq), 1)
            wait_for(lambda: waiting_for_lock(engine), 20, "the commit waiting for the lock")
            os.kill(child.pid, signal.SIGTERM)
            wait_for(lambda: "SIGTERM: stopping" in procs.log("ingest"), 10, "SIGTERM taken")
            assert child.poll() is None  # still in its commit
        assert wait_exit(child, 15) == 0
        stored = count(engine)  # the batch that waited; the rest stays with the broker
        assert 1 <= stored <= 20
        wait_for(lambda: acks and acks[-1] == stored, 10, "the ack for what was committed")
        assert max(acks) == stored  # nothing uncommitted was acked
        again = start_ingest(procs, config, broker, name="ingest-again")
        wait_for(lambda: acks[-1] == 20, 20, "the rest stored after the restart")
        assert count(engine) == 20  # each once
        assert procs.stop(again) == 0
    finally:
        kiosk.loop_stop()
        kiosk.disconnect()
        engine.dispose()


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(presses)).scalar_one()


def waiting_for_lock(engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )).scalar_one())  # fmt: skip
