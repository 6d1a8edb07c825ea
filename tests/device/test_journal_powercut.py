"""Power cuts: SIGKILL a journaling child at random moments, and cut the power at every fsync in
process (tests/device/power_cut.py); no returned press may be lost, no seq handed out twice."""

import os
import random
import selectors
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest

from hailong.device.journal import Journal, JournalError
from tests.device.power_cut import VARIANTS, Disk

WRITER = Path(__file__).with_name("journal_writer.py")
ROOT = Path(__file__).resolve().parents[2]
KILLS = 200
SEGMENT_SIZE = 8  # small, so that kills land around rollovers too
READY_TIMEOUT_S = 10
MAX_WRITE_WINDOW_S = 0.06  # how long a child may journal before its kill


@dataclass
class Witness:
    """What the children reported as done, i.e. what the journal promised."""

    presses: dict[int, tuple[str, int]] = field(default_factory=dict)  # seq -> (token, rating)
    last_seq: int = 0  # as the journal said at the last verification
    acked: int = 0
    session: int = 0


@pytest.mark.slow
def test_power_cut_loses_no_durable_press_and_reuses_no_seq(tmp_path):
    folder = tmp_path / "journal"
    stderr_path = tmp_path / "writer-stderr.txt"
    rng = random.Random(20240601)
    witness = Witness()
    with stderr_path.open("ab") as stderr:
        for run in range(KILLS):
            output = run_until_killed(folder, rng, seed=run, stderr=stderr)
            check_reports(output, witness)
            verify_journal(folder, witness)
    assert len(witness.presses) > KILLS  # the children really journaled between kills
    assert witness.acked > 0 and witness.session > 0


def run_until_killed(folder: Path, rng: random.Random, seed: int, stderr) -> list[str]:
    """Start a writer, SIGKILL it at a random moment, return its complete output lines."""
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(folder), str(SEGMENT_SIZE), str(seed)],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        if rng.random() < 0.15:  # sometimes cut the power while it starts up or recovers
            output = b""
            time.sleep(rng.uniform(0, 0.08))
        else:
            output = read_first_line(child)
            time.sleep(rng.uniform(0, MAX_WRITE_WINDOW_S))
        os.kill(child.pid, signal.SIGKILL)
        output += child.stdout.read()
        child.wait(timeout=READY_TIMEOUT_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=READY_TIMEOUT_S)
        child.stdout.close()
    assert child.returncode in (-signal.SIGKILL, 0), f"writer failed, see {stderr.name}"
    text = output.decode()
    return text[: text.rfind("\n") + 1].splitlines()  # a line cut by the kill promised nothing


def read_first_line(child: subprocess.Popen) -> bytes:
    """Wait (bounded) for the writer's ready line; return everything read so far."""
    output = b""
    deadline = time.monotonic() + READY_TIMEOUT_S
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while b"\n" not in output:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                pytest.fail("writer did not get ready in time")
            chunk = os.read(child.stdout.fileno(), 65536)
            if not chunk:
                pytest.fail(f"writer exited early with {child.wait(timeout=READY_TIMEOUT_S)}")
            output += chunk
    return output


def check_reports(lines: list[str], witness: Witness) -> None:
    """Check that a child continued exactly where the journal stood, and remember its promises."""
    if not lines:
        return
    kind, *values = lines[0].split()
    assert kind == "ready"
    assert [int(v) for v in values] == [witness.last_seq, witness.acked, witness.session]
    expected_seq = witness.last_seq + 1
    for line in lines[1:]:
        kind, *values = line.split()
        if kind == "press":
            assert int(values[0]) == expected_seq, "seq skipped or reused"
            witness.presses[expected_seq] = (values[1], int(values[2]))
            expected_seq += 1
        elif kind == "ack":
            assert int(values[0]) >= witness.acked, "watermark went backwards"
            witness.acked = int(values[0])
        else:
            assert kind == "session" and int(values[0]) == witness.session + 1
            witness.session += 1


def verify_journal(folder: Path, witness: Witness) -> None:
    """Reopen the journal as the next boot would and check it against the children's reports."""
    with Journal.open(folder, segment_size=SEGMENT_SIZE) as journal:
        reported = max(witness.presses, default=0)
        # At most one press can be durable yet unreported: killed between add() and print().
        assert reported <= journal.last_seq <= max(reported, witness.last_seq) + 1
        records = list(journal.since(1))
        assert [r["seq"] for r in records] == list(range(1, journal.last_seq + 1))
        for record in records:
            if record["seq"] in witness.presses:
                assert (record["token"], record["rating"]) == witness.presses[record["seq"]]
            assert record["device"] == "kiosk-1"
        assert witness.acked <= journal.acked <= journal.last_seq
        assert witness.session <= journal.session <= witness.session + 1
        assert journal.pending() == [r for r in records if r["seq"] > journal.acked]
        witness.last_seq, witness.acked = journal.last_seq, journal.acked
        witness.session = journal.session
    leftovers = [
        p.name for p in folder.iterdir() if ".corrupt-" in p.name or p.name.startswith(".")
    ]
    assert leftovers == [], "an atomic write left a damaged or temporary file behind"


# Simulated power cuts (tests/device/power_cut.py): in process, the power fails at a chosen fsync
# and the folder is rebuilt as a disk could hold it: only what was fsync'd, a torn append, or all.

FIXTURE = Path(__file__).with_name("data") / "journal-tinydb-v1"  # written by the 2026 journal
SIM_SEGMENT_SIZE = 4
SCRIPT_OPS = 24  # a script crosses several segment rollovers, acks, sessions and a skip
BOOTS = 150


@dataclass
class Promises:
    """What the journal's callers were told: returned presses, the highest seq, acks, sessions."""

    presses: dict[int, str] = field(default_factory=dict)  # seq -> token
    kept: dict[int, dict] = field(default_factory=dict)  # seq -> record found at the first open
    top: int = 0  # the highest seq handed out (a press or skip_to)
    acked: int = 0
    session: int = 0


@contextmanager
def powered_by(disk: Disk):
    """Route every fsync through disk's model (the real fsync is never called)."""
    try:
        with mock.patch("os.fsync", disk.fsync):
            yield disk
    finally:
        if not disk.cut:  # after a cut the caller rebuilds from the pins, then releases them
            disk.release()  # a pin per inode: hundreds of descriptors over a test otherwise


def boot(folder: Path, disk: Disk, rng: random.Random, promises: Promises, ops: int) -> None:
    """Open the journal (checking it against the promises), then work until ops or the cut."""
    with powered_by(disk):
        try:
            journal = Journal.open(folder, segment_size=SIM_SEGMENT_SIZE)
        except JournalError:
            assert disk.cut, "only the power cut may stop a journal from opening"
            disk.release()
            return
        try:
            check_recovered(journal, promises)
            for _ in range(ops):
                step(journal, rng, promises)
                if disk.cut:
                    break
        except JournalError:
            assert disk.cut, "only the power cut may fail a journal call"
        finally:
            journal.close()
            disk.release()


def step(journal: Journal, rng: random.Random, promises: Promises) -> None:
    """Do what a kiosk does, noting each promise once its call returned."""
    roll = rng.random()
    if roll < 0.06:
        journal.mark_delivered(rng.randint(0, journal.last_seq + 1))
        promises.acked = journal.acked
    elif roll < 0.09:
        promises.session = journal.next_session()
    elif roll < 0.11:  # the collector held more than the journal (a restored old copy)
        target = journal.last_seq + rng.randint(1, 3)
        journal.skip_to(target)
        promises.top = target
    else:
        token = f"{rng.getrandbits(64):016x}"
        seq = journal.add({"v": 1, "device": "kiosk-1", "rating": 1, "token": token})["seq"]
        assert seq > promises.top, f"seq {seq} handed out again"
        promises.presses[seq], promises.top = token, seq
        journal.save_guard()  # after the thanks frame, as the kiosk's loop does


def check_recovered(journal: Journal, promises: Promises) -> None:
    """Check a journal reopened after a cut: every promise kept, no seq to be handed out again."""
    records = {record["seq"]: record for record in journal.since(1)}
    assert list(records) == sorted(records), "seqs out of order or repeated"
    # An interrupted skip_to may have landed: last_seq can pass every promise, never fall short.
    assert journal.last_seq >= max([promises.top, *records]), "a seq handed out would be reused"
    tokens = {seq: record.get("token") for seq, record in records.items()}
    assert {s: t for s, t in promises.presses.items() if tokens.get(s) != t} == {}, "press lost"
    assert {s: r for s, r in promises.kept.items() if records.get(s) != r} == {}, "history lost"
    assert len([seq for seq in records if seq > promises.top]) <= 1  # the one the cut interrupted
    assert journal.acked >= promises.acked and journal.session >= promises.session
    assert journal.pending() == [r for seq, r in records.items() if seq > journal.acked]
    promises.top, promises.acked, promises.session = (
        journal.last_seq, journal.acked, journal.session)  # fmt: skip


def no_damage_seen(folder: Path) -> None:
    """Assert that recovery took nothing for damage: a power cut is not media damage."""
    assert [path.name for path in folder.iterdir() if ".corrupt-" in path.name] == []


def first_promises(folder: Path) -> Promises:
    """Return the promises a journal already on disk stands for (its records must stay)."""
    promises = Promises()
    with powered_by(Disk(folder)), Journal.open(folder, segment_size=SIM_SEGMENT_SIZE) as journal:
        promises.kept = {record["seq"]: record for record in journal.since(1)}
        promises.top, promises.acked, promises.session = (
            journal.last_seq, journal.acked, journal.session)  # fmt: skip
    return promises


def cut_and_recover(origin: Path, work: Path, cut_at: int, variant: str) -> bool:
    """Run the script on a copy of origin, cut at fsync cut_at, rebuild, recover and go on."""
    folder = work / "before"
    shutil.copytree(origin, folder)
    promises = first_promises(folder)
    disk = Disk(folder, cut_at)
    boot(folder, disk, random.Random(SCRIPT_OPS), promises, SCRIPT_OPS)
    if not disk.cut:
        return False
    rng = random.Random(cut_at)
    disk.rebuild(work / "after", variant, rng)
    boot(work / "after", Disk(work / "after"), rng, promises, 6)  # recover and press on
    boot(work / "after", Disk(work / "after"), rng, promises, 0)  # and that held too
    no_damage_seen(work / "after")
    return True


@pytest.mark.parametrize("start", ["empty", "tinydb-v1"])
def test_a_power_cut_at_any_fsync_loses_no_returned_press_and_reuses_no_seq(tmp_path, start):
    origin = tmp_path / "origin"
    if start == "empty":
        origin.mkdir()
    else:
        shutil.copytree(FIXTURE, origin)  # an upgraded kiosk: its first press starts a segment
    cuts = 0
    while cut_and_recover(origin, tmp_path / f"cut-{cuts}", cuts, VARIANTS[cuts % 3]):
        for variant in VARIANTS[cuts % 3 + 1 :] + VARIANTS[: cuts % 3]:
            assert cut_and_recover(origin, tmp_path / f"cut-{cuts}-{variant}", cuts, variant)
        cuts += 1
    assert cuts > SCRIPT_OPS  # every fsync of the script was a cut point, in every variant


@pytest.mark.slow
def test_power_cuts_in_a_row_lose_no_returned_press_and_reuse_no_seq(tmp_path):
    rng = random.Random(20261205)
    folder = tmp_path / "boot-0"
    folder.mkdir()
    promises = Promises()
    for n in range(1, BOOTS + 1):
        disk = Disk(folder, rng.randint(0, 30))  # sometimes while it recovers from the last cut
        boot(folder, disk, rng, promises, 20)
        if disk.cut:
            folder = tmp_path / f"boot-{n}"
            disk.rebuild(folder, VARIANTS[n % 3], rng)
    boot(folder, Disk(folder), rng, promises, 0)
    no_damage_seen(folder)
    assert len(promises.presses) > BOOTS  # the boots really journaled between cuts
    assert promises.acked > 0 and promises.session > 0
