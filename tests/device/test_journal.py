"""Unit tests of the kiosk journal: seqs, delivery watermark, segments, damage, retention."""

import json
import logging
import os
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import hailong.device.archive as archive_module
import hailong.device.journal as journal_module
import hailong.device.line_storage as line_storage
import hailong.device.segments as segments
import hailong.protocol.files as files
from hailong.device.journal import Journal, JournalError
from hailong.protocol import Press
from tests.protocol.fsync_spy import identity, record_fsyncs

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
FIXTURE = Path(__file__).with_name("data") / "journal-tinydb-v1"  # written by the 2026 journal


def press(n: int = 0, ts: datetime = NOW, **extra) -> dict:
    """Build the fields of a press as the kiosk loop would, distinct per n."""
    return {
        "v": 1,
        "device": "ubnd-phuong-1",
        "rating": n % 4 + 1,
        "reason": None,
        "ts": ts.isoformat(timespec="milliseconds"),
        "synced": True,
        "boot": "5c1e-boot",
        "mono": 100.0 + n,
        "counter": "Q1",
        "official": "cb-03",
        "field": "ho-tich",
        "dossier": f"HS-{n:05d}",
        "mode": "live",
        **extra,
    }


def fill(journal: Journal, count: int, ts: datetime = NOW) -> list[dict]:
    """Add count distinct presses and return the stored records."""
    return [journal.add(press(journal.last_seq + 1, ts)) for _ in range(count)]


def segment_files(folder) -> list[str]:
    return sorted(p.name for p in folder.glob("segment-*.jsonl"))


def aside_files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".corrupt-" in p.name)


def test_empty_journal_starts_at_zero(tmp_path):
    with Journal.open(tmp_path / "j") as journal:
        assert (journal.last_seq, journal.acked, journal.backlog, journal.session) == (0, 0, 0, 0)
        assert journal.pending() == []
        assert list(journal.since(1)) == []


def test_add_assigns_next_seq_and_returns_a_new_stored_record(tmp_path):
    with Journal.open(tmp_path) as journal:
        fields = press(1)
        first = journal.add(fields)
        second = journal.add(press(2, seq=99))  # a caller's seq never wins
    assert first == {**fields, "seq": 1} and "seq" not in fields
    assert second["seq"] == 2
    first["rating"] = 0  # the caller's copy is not the stored one
    with Journal.open(tmp_path) as journal:
        assert list(journal.since(1)) == [{**fields, "seq": 1}, {**press(2), "seq": 2}]


def test_presses_survive_reopen_with_their_content(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 10)
        stored.append(journal.add(press(11, official="Nguyễn Văn An")))
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.last_seq == 11
        assert list(journal.since(1)) == stored
        assert journal.add(press(12))["seq"] == 12


@pytest.mark.parametrize(
    "fields", [None, [1, 2], "press", {"x": object()}, {"x": float("nan")}, {"x": {1, 2}}]
)
def test_add_refuses_what_is_not_a_json_dict_and_keeps_the_seq(tmp_path, fields):
    with Journal.open(tmp_path) as journal:
        journal.add(press(1))
        with pytest.raises(JournalError, match="press"):
            journal.add(fields)
        assert journal.add(press(2))["seq"] == 2


def test_pending_lists_undelivered_ascending_with_limit(tmp_path):
    with Journal.open(tmp_path, segment_size=3) as journal:
        stored = fill(journal, 10)
        assert journal.mark_delivered(4)
        assert journal.pending() == stored[4:]
        assert journal.pending(limit=2) == stored[4:6]
        assert journal.pending(limit=0) == []
        assert journal.backlog == 6


def test_mark_delivered_persists_and_reports_whether_it_moved(tmp_path):
    with Journal.open(tmp_path) as journal:
        fill(journal, 5)
        assert journal.mark_delivered(3) is True
        assert journal.mark_delivered(3) is False
        assert journal.mark_delivered(2) is False
        assert journal.acked == 3
    with Journal.open(tmp_path) as journal:
        assert (journal.acked, journal.backlog) == (3, 2)
        assert [r["seq"] for r in journal.pending()] == [4, 5]


def test_watermark_never_goes_backwards(tmp_path):
    rng = random.Random(7)
    expected = 0
    with Journal.open(tmp_path, segment_size=5) as journal:
        for _ in range(200):
            if rng.random() < 0.5:
                journal.add(press(journal.last_seq + 1))
            upto = rng.randint(-2, journal.last_seq + 3)
            moved = journal.mark_delivered(upto)
            assert moved == (min(upto, journal.last_seq) > expected)
            expected = max(expected, min(upto, journal.last_seq))
            assert journal.acked == expected
    with Journal.open(tmp_path, segment_size=5) as journal:
        assert journal.acked == expected


def test_ack_beyond_last_seq_is_clamped_and_logged(tmp_path, caplog):
    with Journal.open(tmp_path) as journal:
        fill(journal, 3)
        with caplog.at_level(logging.WARNING, logger="hailong.device.journal"):
            assert journal.mark_delivered(10)
        assert (journal.acked, journal.backlog) == (3, 0)
        assert "acknowledged up to 10; last press is 3" in caplog.text
        assert journal.add(press(4))["seq"] == 4 and journal.backlog == 1


@pytest.mark.parametrize("upto", ["3", 3.0, True, None])
def test_mark_delivered_and_skip_to_refuse_non_integers(tmp_path, upto):
    with Journal.open(tmp_path) as journal:
        fill(journal, 3)
        with pytest.raises(JournalError, match="integer"):
            journal.mark_delivered(upto)
        with pytest.raises(JournalError, match="integer"):
            journal.skip_to(upto)
        assert (journal.acked, journal.last_seq) == (0, 3)


def test_skip_to_never_reuses_seqs_the_collector_holds(tmp_path, caplog):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 2)
        with caplog.at_level(logging.WARNING, logger="hailong.device.journal"):
            assert journal.skip_to(50) is True  # our journal was restored from an old copy
        assert "holds seqs up to 50" in caplog.text
        assert journal.skip_to(49) is False and journal.skip_to(50) is False
        assert journal.mark_delivered(50) and journal.backlog == 0
        stored.append(journal.add(press(51)))
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert (journal.last_seq, journal.acked) == (51, 50)
        assert list(journal.since(1)) == stored and [r["seq"] for r in stored] == [1, 2, 51]
        assert journal.pending() == stored[2:]
    assert segment_files(tmp_path) == ["segment-000000000001.jsonl", "segment-000000000051.jsonl"]


def test_skip_to_survives_a_lost_meta_through_the_watermark(tmp_path):
    with Journal.open(tmp_path) as journal:
        journal.skip_to(30)
        journal.mark_delivered(30)
    (tmp_path / "meta.json").unlink()
    with Journal.open(tmp_path) as journal:
        assert journal.add(press(31))["seq"] == 31


def test_since_replays_archived_and_pending(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 13)
        journal.mark_delivered(9)
        assert list(journal.since(3)) == stored[2:]
        assert list(journal.since(0)) == stored
        assert list(journal.since(13)) == stored[12:]
        assert list(journal.since(14)) == []
        assert journal.acked == 9  # a replay changes no watermark


def test_next_session_counts_up_durably(tmp_path):
    with Journal.open(tmp_path) as journal:
        assert [journal.next_session() for _ in range(3)] == [1, 2, 3]
        fill(journal, 2)
    with Journal.open(tmp_path) as journal:
        assert journal.session == 3
        assert journal.next_session() == 4
        assert journal.last_seq == 2


def test_segments_roll_over_when_full(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 9)
    assert segment_files(tmp_path) == [
        "segment-000000000001.jsonl",
        "segment-000000000005.jsonl",
        "segment-000000000009.jsonl",
    ]
    sizes = [len((tmp_path / name).read_bytes().splitlines()) for name in segment_files(tmp_path)]
    assert sizes == [4, 4, 1]


def test_reopen_keeps_filling_the_newest_segment(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 2)
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 3)
    assert segment_files(tmp_path) == ["segment-000000000001.jsonl", "segment-000000000005.jsonl"]


def test_reopen_with_a_smaller_segment_size_starts_a_new_segment(tmp_path):
    with Journal.open(tmp_path, segment_size=8) as journal:
        fill(journal, 5)
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.add(press(6))["seq"] == 6
        assert [r["seq"] for r in journal.since(1)] == [1, 2, 3, 4, 5, 6]
    assert segment_files(tmp_path)[-1] == "segment-000000000006.jsonl"


def test_seq_recovered_when_meta_is_older_than_segments(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 3)
        journal.save_guard()
        old_meta = (tmp_path / "meta.json").read_bytes()
        stored = fill(journal, 6)
    (tmp_path / "meta.json").write_bytes(old_meta)  # as if the meta write was lost in a crash
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.last_seq == 9
        assert json.loads((tmp_path / "meta.json").read_text())["seq"] == 9  # repaired at open
        assert journal.add(press(10))["seq"] == 10
        assert list(journal.since(4))[:-1] == stored
    assert json.loads((tmp_path / "meta.json").read_text())["seq"] == 10


def test_seq_recovered_when_meta_is_missing(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 6)
        journal.mark_delivered(6)
    (tmp_path / "meta.json").unlink()
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.last_seq == 6 and journal.add(press(7))["seq"] == 7


def test_corrupt_meta_is_moved_aside_and_seq_comes_from_segments(tmp_path, caplog):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 6)
    (tmp_path / "meta.json").write_text('{"v":1,"seq":')
    with caplog.at_level(logging.ERROR), Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.last_seq == 6
        assert list(journal.since(1)) == stored
        assert journal.add(press(7))["seq"] == 7
    assert [name.split(".corrupt-")[0] for name in aside_files(tmp_path)] == ["meta.json"]
    assert "meta.json is damaged" in caplog.text and "moved aside" in caplog.text


def test_meta_with_wrong_shape_counts_as_corrupt(tmp_path):
    with Journal.open(tmp_path) as journal:
        fill(journal, 2)
    (tmp_path / "meta.json").write_text('{"v":1,"seq":-5,"session":"x"}')
    with Journal.open(tmp_path) as journal:
        assert journal.last_seq == 2 and journal.session == 0
    assert len(aside_files(tmp_path)) == 1


def test_corrupt_pending_segment_is_moved_aside_and_the_rest_loads(tmp_path, caplog):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 10)
    (tmp_path / "segment-000000000005.jsonl").write_bytes(b"\x00\xff garbage")
    with caplog.at_level(logging.ERROR), Journal.open(tmp_path, segment_size=4) as journal:
        assert aside_files(tmp_path)[0].startswith("segment-000000000005.jsonl.corrupt-")
        assert "segment-000000000005.jsonl is damaged" in caplog.text
        assert journal.pending() == stored[:4] + stored[8:]
        assert journal.last_seq == 10 and journal.add(press(11))["seq"] == 11


def test_corrupt_newest_segment_does_not_reuse_its_seqs(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 7)
    (tmp_path / "segment-000000000005.jsonl").write_text("{}")
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.last_seq == 7
        assert journal.add(press(8))["seq"] == 8
        assert list(journal.since(1))[:-1] == stored[:4]


def test_corrupt_newest_segment_and_meta_still_keep_the_segments_first_seq(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 5)
    (tmp_path / "segment-000000000005.jsonl").write_text("[")
    (tmp_path / "meta.json").write_text("")
    with Journal.open(tmp_path, segment_size=4) as journal:
        # The damaged file's name proves seq 5 was handed out: the next press must not take it.
        assert journal.add(press(6))["seq"] == 6
    assert len(aside_files(tmp_path)) == 2


def test_a_segment_cut_short_keeps_its_whole_lines(tmp_path, caplog):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 8)
    path = tmp_path / "segment-000000000001.jsonl"
    path.write_bytes(path.read_bytes()[:-40])  # damage: a sealed segment's last line was whole
    with caplog.at_level(logging.WARNING), Journal.open(tmp_path, segment_size=4) as journal:
        assert list(journal.since(1)) == stored[:3] + stored[4:]
        assert journal.add(press(9))["seq"] == 9
    assert "segment-000000000001.jsonl ends in a torn line" in caplog.text
    assert aside_files(tmp_path) == []  # the file stays as it is, for a technician


def test_empty_segment_file_is_moved_aside(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 6)
    (tmp_path / "segment-000000000005.jsonl").write_bytes(b"")
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.last_seq == 6 and journal.add(press(7))["seq"] == 7


def test_segment_whose_records_lie_about_their_seq_is_corrupt(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        fill(journal, 4)
    path = tmp_path / "segment-000000000001.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"seq":2', b'"seq":3')
    path.write_bytes(b"".join(lines))
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert list(journal.since(1)) == []
        assert journal.add(press(5))["seq"] == 5
    assert aside_files(tmp_path)[0].startswith("segment-000000000001.jsonl.corrupt-")


def test_corrupt_ack_is_moved_aside_and_everything_is_pending_again(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 6)
        journal.mark_delivered(5)
    (tmp_path / "ack.json").write_text("not json")
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert journal.acked == 0
        assert journal.pending() == stored  # resent: the collector drops identical duplicates
    assert aside_files(tmp_path)[0].startswith("ack.json.corrupt-")


def test_corrupt_archived_segment_found_by_replay_is_moved_aside(tmp_path):
    with Journal.open(tmp_path, segment_size=4) as journal:
        stored = fill(journal, 12)
        journal.mark_delivered(12)
    (tmp_path / "segment-000000000001.jsonl").write_text('{"presses": 3}')
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert aside_files(tmp_path) == []  # delivered history is checked when read, not at open
        assert list(journal.since(1)) == stored[4:]
        assert len(aside_files(tmp_path)) == 1
        assert list(journal.since(1)) == stored[4:]


def test_stale_temp_files_are_removed_at_open(tmp_path):
    with Journal.open(tmp_path) as journal:
        fill(journal, 2)
    stale = tmp_path / ".meta.json.abc123.tmp"
    stale.write_text('{"v":1,"seq":1000,"session":1000}')  # a write cut before its rename
    with Journal.open(tmp_path) as journal:
        assert journal.last_seq == 2 and journal.session == 0
    assert not stale.exists()


def test_prune_removes_only_old_delivered_sealed_segments(tmp_path):
    old = NOW - timedelta(days=401)
    with Journal.open(tmp_path, segment_size=4, retention_days=400) as journal:
        fill(journal, 8, ts=old)  # segments 1-4 and 5-8
        fill(journal, 4, ts=NOW)  # segment 9-12
        fill(journal, 4, ts=old)  # segment 13-16, old again (a clock set back)
        journal.mark_delivered(14)
        assert journal.prune(NOW) == 2
        assert segment_files(tmp_path) == [
            "segment-000000000009.jsonl",
            "segment-000000000013.jsonl",
        ]
        assert [r["seq"] for r in journal.since(1)] == list(range(9, 17))
        assert journal.prune(NOW) == 0
        journal.mark_delivered(16)
        assert journal.prune(NOW + timedelta(days=1000)) == 1  # the newest always stays
        assert segment_files(tmp_path) == ["segment-000000000013.jsonl"]
    with Journal.open(tmp_path, segment_size=4) as journal:
        assert (journal.last_seq, journal.acked) == (16, 16)
        assert journal.add(press(17))["seq"] == 17


def test_prune_keeps_segments_within_retention_and_undelivered_ones(tmp_path):
    with Journal.open(tmp_path, segment_size=2, retention_days=30) as journal:
        fill(journal, 2, ts=NOW - timedelta(days=29))
        fill(journal, 2, ts=NOW - timedelta(days=31))
        fill(journal, 2, ts=NOW - timedelta(days=90))
        fill(journal, 1)
        journal.mark_delivered(4)
        assert journal.prune(NOW) == 1  # seqs 3-4; 1-2 are recent, 5-6 undelivered
        assert [r["seq"] for r in journal.since(1)] == [1, 2, 5, 6, 7]


def test_prune_accepts_naive_now_as_utc_and_falls_back_to_file_age(tmp_path):
    with Journal.open(tmp_path, segment_size=2, retention_days=1) as journal:
        journal.add({"rating": 4, "ts": "not a time"})
        journal.add({"rating": 3})
        fill(journal, 1)
        journal.mark_delivered(3)
        naive_now = datetime.now(UTC).replace(tzinfo=None)
        assert journal.prune(naive_now) == 0  # the file is new
        assert journal.prune(naive_now + timedelta(days=2)) == 1


def test_default_retention_is_400_days(tmp_path):
    with Journal.open(tmp_path, segment_size=2) as journal:
        fill(journal, 2, ts=NOW - timedelta(days=399))
        fill(journal, 2, ts=NOW - timedelta(days=401))
        fill(journal, 1)
        journal.mark_delivered(5)
        assert journal.prune(NOW) == 1
        assert [r["seq"] for r in journal.since(1)] == [1, 2, 5]


def test_pending_reads_no_delivered_segment_in_a_large_history(tmp_path, monkeypatch):
    history = [{**press(seq), "seq": seq} for seq in range(1, 20_001)]
    for start in range(0, len(history), 256):
        segments.store_sealed(tmp_path, history[start : start + 256])
    segments.save_counters(tmp_path / "ack.json", {"upto": 19_900})
    segments.save_counters(tmp_path / "meta.json", {"seq": 20_000, "session": 4})
    reads = []
    real_read = archive_module.read_segment
    monkeypatch.setattr(
        archive_module,
        "read_segment",
        lambda path, first: reads.append(first) or real_read(path, first),
    )
    with Journal.open(tmp_path) as journal:
        # Pending presses live in 19,713-19,968 and 19,969-20,000 (the newest, kept in memory).
        assert reads == [19_713, 19_969]
        assert journal.pending() == history[19_900:]
        assert journal.add(press(20_001))["seq"] == 20_001
        assert journal.pending(limit=3) == history[19_900:19_903]
        assert reads == [19_713, 19_969, 19_713, 19_713]
        assert journal.backlog == 101


def test_a_failed_write_does_not_consume_the_seq(tmp_path, monkeypatch):
    with Journal.open(tmp_path, segment_size=3) as journal:
        fill(journal, 2)
        monkeypatch.setattr(os, "pwrite", fail_once(os.pwrite, OSError(28, "No space")))
        with pytest.raises(JournalError, match="cannot store press 3"):
            journal.add(press(3))  # an append
        assert journal.last_seq == 2
        assert journal.add(press(3))["seq"] == 3
        monkeypatch.setattr(
            line_storage, "write_atomic", fail_once(files.write_atomic, OSError(28, ""))
        )
        with pytest.raises(JournalError, match="cannot store press 4"):
            journal.add(press(4))  # the first of a new segment
        assert journal.last_seq == 3
        assert journal.add(press(4))["seq"] == 4
        assert [r["seq"] for r in journal.since(1)] == [1, 2, 3, 4]
    with Journal.open(tmp_path, segment_size=3) as journal:
        assert [r["seq"] for r in journal.since(1)] == [1, 2, 3, 4]


def test_a_write_cut_short_is_cut_off_before_the_next_press(tmp_path, monkeypatch):
    with Journal.open(tmp_path) as journal:
        stored = fill(journal, 2)

        def half_then_fail(fd, data, offset):
            os.pwrite(fd, data[: len(data) // 2], offset)
            raise OSError(5, "I/O error")

        with monkeypatch.context() as patch:
            patch.setattr(os, "pwrite", fail_once(os.pwrite, None, half_then_fail))
            with pytest.raises(JournalError, match="cannot store press 3"):
                journal.add(press(3))
        assert journal.last_seq == 2
        stored.append(journal.add(press(3, official="Trần Thị Bình")))
    with Journal.open(tmp_path) as journal:
        assert list(journal.since(1)) == stored
    assert aside_files(tmp_path) == []


def test_a_torn_last_line_left_by_a_power_cut_is_dropped_and_cut_off(tmp_path, caplog):
    with Journal.open(tmp_path) as journal:
        stored = fill(journal, 3)
    path = tmp_path / "segment-000000000001.jsonl"
    whole = path.read_bytes()
    for torn in (b'{"v":1,"device":"ubnd', b"\x00" * 999 + b"\n"):  # cut mid-line; zeros
        path.write_bytes(whole + torn)
        with caplog.at_level(logging.WARNING), Journal.open(tmp_path) as journal:
            assert journal.last_seq == 3 and list(journal.since(1)) == stored
        assert path.read_bytes() == whole + torn  # opening changes nothing
    assert "ends in a torn line" in caplog.text
    with Journal.open(tmp_path) as journal:
        stored.append(journal.add(press(4)))
    assert path.read_bytes() == whole + segments.encode(stored[-1]) + b"\n"
    assert aside_files(tmp_path) == []


def test_a_press_that_landed_despite_an_error_is_counted(tmp_path, monkeypatch):
    with Journal.open(tmp_path, segment_size=2) as journal:
        fill(journal, 2)
        real = files.fsync_folder  # fails after the rename: the press is on disk
        monkeypatch.setattr(files, "fsync_folder", fail_once(real, OSError(5, "I/O error")))
        with pytest.raises(JournalError):
            journal.add(press(3))
        assert journal.last_seq == 3
        assert journal.add(press(4))["seq"] == 4
        assert [r["seq"] for r in journal.since(1)] == [1, 2, 3, 4]


def test_a_failed_meta_write_keeps_the_press(tmp_path, monkeypatch, caplog):
    with Journal.open(tmp_path) as journal:
        real = journal_module.save_counters
        monkeypatch.setattr(journal_module, "save_counters", fail_once(real, OSError(28, "full")))
        with caplog.at_level(logging.ERROR):
            assert journal.add(press(1))["seq"] == 1
            journal.save_guard()
        assert "cannot store the seq counter" in caplog.text
    with Journal.open(tmp_path) as journal:
        assert journal.last_seq == 1


def test_second_open_of_the_same_folder_is_refused(tmp_path):
    with Journal.open(tmp_path), pytest.raises(JournalError, match="already open"):
        Journal.open(tmp_path)
    with Journal.open(tmp_path) as journal:
        assert journal.last_seq == 0


def test_a_closed_journal_refuses_work(tmp_path):
    journal = Journal.open(tmp_path)
    journal.close()
    journal.close()
    for call in (lambda: journal.add(press()), journal.pending, journal.next_session):
        with pytest.raises(JournalError, match="closed"):
            call()


@pytest.mark.parametrize(
    "settings", [{"segment_size": 0}, {"segment_size": "256"}, {"retention_days": -1}]
)
def test_invalid_settings_are_refused(tmp_path, settings):
    with pytest.raises(JournalError, match=next(iter(settings))):
        Journal.open(tmp_path, **settings)


def fail_once(real, error: Exception | None, instead=None):
    """Wrap real so that its first call raises error (or runs instead) and later calls go through."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            if instead is not None:
                return instead(*args, **kwargs)
            raise error
        return real(*args, **kwargs)

    return wrapper


def typed(seq: int, **changes) -> Press:
    """Return the Press the kiosk loop would record as seq."""
    return Press.from_dict({**press(seq), "seq": seq, **changes})


def test_append_stores_a_typed_press_with_the_next_seq(tmp_path):
    with Journal.open(tmp_path) as journal:
        first = typed(1)
        assert journal.append(first) is first
        journal.append(typed(2, dossier=None))
    with Journal.open(tmp_path) as journal:
        stored = list(journal.since(1))
    assert [Press.from_dict(r) for r in stored] == [first, typed(2, dossier=None)]


@pytest.mark.parametrize("seq", [1, 3, 99])
def test_append_refuses_a_press_that_is_not_the_next_one(tmp_path, seq):
    with Journal.open(tmp_path) as journal:
        journal.append(typed(1))
        with pytest.raises(JournalError, match=f"press seq {seq} is not the next one, 2"):
            journal.append(typed(seq))
        assert journal.last_seq == 1
    assert len(segments.read_segment(tmp_path / "segment-000000000001.jsonl", 1)) == 1


def test_append_refuses_what_is_not_a_press(tmp_path):
    with Journal.open(tmp_path) as journal, pytest.raises(JournalError, match="must be a Press"):
        journal.append({**press(1), "seq": 1})


def test_an_append_that_landed_despite_a_failed_fsync_is_counted(tmp_path, monkeypatch):
    with Journal.open(tmp_path) as journal:
        fill(journal, 2)
        with monkeypatch.context() as patch:
            patch.setattr(os, "fsync", fail_once(os.fsync, OSError(5, "I/O error")))
            with pytest.raises(JournalError, match="cannot store press 3"):
                journal.add(press(3))
        assert journal.last_seq == 3  # the line is whole in the file: never hand out 3 again
        assert journal.add(press(4))["seq"] == 4
    with Journal.open(tmp_path) as journal:
        assert [r["seq"] for r in journal.since(1)] == [1, 2, 3, 4]


def test_a_press_fsyncs_its_segment_file_only(tmp_path, monkeypatch):
    with Journal.open(tmp_path, segment_size=3) as journal:
        fill(journal, 1)
        synced = record_fsyncs(monkeypatch)
        journal.add(press(2))
        assert synced == [identity(tmp_path / "segment-000000000001.jsonl")]  # one fsync
        journal.save_guard()  # after the thanks: the guard's temp file, no folder fsync
        assert len(synced) == 2 and identity(tmp_path / "meta.json") == synced[1]
        journal.save_guard()
        assert len(synced) == 2  # nothing new to guard
        journal.add(press(3))
        journal.add(press(4))  # starts a segment: its file whole, then the folder
        assert synced[3:] == [identity(tmp_path / "segment-000000000004.jsonl"), identity(tmp_path)]


def test_a_journal_in_the_old_tinydb_format_reads_on_and_grows_in_lines(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "j")
    old = {p.name: p.read_bytes() for p in (tmp_path / "j").glob("segment-*.json")}
    with Journal.open(tmp_path / "j", segment_size=4) as journal:
        assert (journal.last_seq, journal.acked, journal.session) == (10, 6, 2)
        records = list(journal.since(1))
        assert [r["seq"] for r in records] == list(range(1, 11))
        assert records[2]["dossier"] == "HS-00003" and records[9]["official"] == "Nguyễn Văn An"
        assert records[0]["ts"] == "2025-03-02T08:00:00.000+00:00"
        assert journal.pending() == records[6:]
        new = journal.add(press(11))  # the newest old segment has room, but is never rewritten
        assert journal.prune(datetime(2026, 12, 5, tzinfo=UTC)) == 1  # seqs 1-4: delivered, old
    assert {p.name: p.read_bytes() for p in (tmp_path / "j").glob("segment-*.json")} == {
        name: data for name, data in old.items() if name != "segment-000000000001.json"
    }
    with Journal.open(tmp_path / "j", segment_size=4) as journal:
        assert list(journal.since(1)) == records[4:] + [new]
    assert segment_files(tmp_path / "j") == ["segment-000000000011.jsonl"]
