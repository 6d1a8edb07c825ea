"""A dossier rated before a restart cannot be rated again after it."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta

from hailong.device.dossiers import used_dossiers
from hailong.device.events import ButtonPressed, DossierScanned
from hailong.device.journal import Journal
from hailong.device.segments import store_sealed
from hailong.device.state import (
    Kiosk,
    KioskSettings,
    RecordPress,
    Rejected,
)


def press(dossier, mode="live"):
    return {"v": 1, "device": "k1", "rating": 4, "reason": None,
            "ts": "2024-03-05T08:30:00.000+07:00", "synced": True, "boot": "b", "mono": 1.0,
            "counter": None, "official": None, "field": None, "dossier": dossier, "mode": mode}  # fmt: skip


def test_used_dossiers_come_from_live_presses_in_the_journal(tmp_path):
    with Journal.open(tmp_path / "j", segment_size=2) as journal:
        for code, mode in (("HS-1", "live"), (None, "live"), ("HS-2", "test"), ("HS-3", "live")):
            journal.add(press(code, mode))
    with Journal.open(tmp_path / "j") as journal:
        used = used_dossiers(journal)
    assert used == {"HS-1", "HS-3"}

    kiosk = Kiosk(KioskSettings(require_dossier=True))
    kiosk.mark_used(used)
    effects = kiosk.handle(DossierScanned("HS-1", 1.0)) + kiosk.handle(ButtonPressed(1, 2.0))
    assert any(isinstance(e, Rejected) for e in effects)
    assert not any(isinstance(e, RecordPress) for e in effects)
    effects = kiosk.handle(DossierScanned("HS-4", 20.0)) + kiosk.handle(ButtonPressed(1, 21.0))
    assert [e.dossier for e in effects if isinstance(e, RecordPress)] == ["HS-4"]


def journal_of(folder, codes, segment_size=2):
    """Journal one live press per code (None: no dossier), segment_size presses per segment."""
    with Journal.open(folder, segment_size=segment_size) as journal:
        for code in codes:
            journal.add(press(code))


def reads(journal, monkeypatch) -> list[int]:
    """Note the first seq of every segment the journal is asked to read."""
    seen, read = [], journal.segment
    monkeypatch.setattr(journal, "segment", lambda first: seen.append(first) or read(first))
    return seen


def test_a_restart_reads_only_the_newest_segment_through_the_cache(tmp_path, monkeypatch):
    journal_of(tmp_path / "j", ["A", None, "B", "C", None])  # segments from 1, 3 and 5
    cache = tmp_path / "dossiers.json"
    with Journal.open(tmp_path / "j") as journal:
        assert used_dossiers(journal, cache) == {"A", "B", "C"}
    with Journal.open(tmp_path / "j") as journal:
        seen = reads(journal, monkeypatch)
        assert used_dossiers(journal, cache) == {"A", "B", "C"}
    assert seen == [5]  # the newest may still grow: it is always read


def test_a_changed_segment_or_a_damaged_cache_is_read_again(tmp_path):
    journal_of(tmp_path / "j", ["A", None, "B", None, None])
    cache = tmp_path / "dossiers.json"
    with Journal.open(tmp_path / "j") as journal:
        assert used_dossiers(journal, cache) == {"A", "B"}
    rewritten = [{**press("Z"), "seq": 3}, {**press(None), "seq": 4}]
    store_sealed(tmp_path / "j", rewritten)  # a foreign hand: the stamp no longer matches
    with Journal.open(tmp_path / "j") as journal:
        assert used_dossiers(journal, cache) == {"A", "Z"}
    data = json.loads(cache.read_text())
    data["segments"]["1"]["codes"] = 7  # a malformed entry is dropped, its segment read
    cache.write_text(json.dumps(data))
    with Journal.open(tmp_path / "j") as journal:
        assert used_dossiers(journal, cache) == {"A", "Z"}
    cache.write_bytes(b"\x00garbage")
    with Journal.open(tmp_path / "j") as journal:
        assert used_dossiers(journal, cache) == {"A", "Z"}
    assert set(json.loads(cache.read_text())["segments"]) == {"1", "3"}


def test_a_pruned_segment_leaves_the_cache(tmp_path):
    journal_of(tmp_path / "j", ["A", None, "B", None, None])
    cache = tmp_path / "dossiers.json"
    with Journal.open(tmp_path / "j") as journal:
        used_dossiers(journal, cache)
    (tmp_path / "j" / "segment-000000000001.jsonl").unlink()  # retention removed it
    with Journal.open(tmp_path / "j") as journal:
        assert used_dossiers(journal, cache) == {"B"}
    assert set(json.loads(cache.read_text())["segments"]) == {"3"}


def opened_segments(monkeypatch) -> list[str]:
    """Note every segment file opened from now on, by any of Python's ways to open a file."""
    seen: list[str] = []
    for module, name in ((io, "open"), (os, "open")):
        real = getattr(module, name)

        def spy(path, *args, real=real, **kwargs):
            if "segment-" in str(path):
                seen.append(os.path.basename(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return seen


def test_a_prune_after_a_warm_start_opens_no_sealed_segment(tmp_path, monkeypatch):
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    ages = [401, 402, 10, 10, 500, 401, 0]  # days; segments of 2: 1-2 old, 3-4 recent, 5-6 old
    with Journal.open(tmp_path / "j", segment_size=2) as journal:
        for days in ages:
            ts = (now - timedelta(days=days)).isoformat(timespec="milliseconds")
            journal.add({**press(None), "ts": ts})
        journal.mark_delivered(6)
    cache = tmp_path / "dossiers.json"
    with Journal.open(tmp_path / "j", segment_size=2) as journal:
        used_dossiers(journal, cache)  # the first start after the upgrade reads every segment
    with Journal.open(tmp_path / "j", segment_size=2, retention_days=400) as journal:
        used_dossiers(journal, cache)  # a later start: the cache knows every sealed segment
        opened = opened_segments(monkeypatch)
        assert journal.prune(now) == 2
        assert opened == []
        assert [r["seq"] for r in journal.since(1)] == [3, 4, 7]
    assert sorted(p.name for p in (tmp_path / "j").glob("segment-*")) == [
        "segment-000000000003.jsonl", "segment-000000000007.jsonl"]  # fmt: skip


def test_a_cache_entry_without_a_press_time_is_read_again(tmp_path, monkeypatch):
    journal_of(tmp_path / "j", ["A", None, "B"])
    cache = tmp_path / "dossiers.json"
    with Journal.open(tmp_path / "j") as journal:
        used_dossiers(journal, cache)
    data = json.loads(cache.read_text())
    del data["segments"]["1"]["newest"]  # as a cache from before 2026-12 has it
    cache.write_text(json.dumps(data))
    with Journal.open(tmp_path / "j") as journal:
        seen = reads(journal, monkeypatch)
        assert used_dossiers(journal, cache) == {"A", "B"}
    assert seen == [1, 3]
    assert json.loads(cache.read_text())["segments"]["1"]["newest"] == "2024-03-05T01:30:00+00:00"
