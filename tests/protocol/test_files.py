"""The one atomic file write: whole content, exact mode and group, durable file and folder."""

from __future__ import annotations

import os
import stat

import pytest

from hailong.protocol.files import TEMP_SUFFIX, fsync_folder, write_atomic
from tests.protocol.fsync_spy import identity, record_fsyncs


def leftovers(folder):
    """Return the temp files a write left in folder."""
    return sorted(path.name for path in folder.glob(f".*{TEMP_SUFFIX}"))


@pytest.mark.parametrize(("content", "mode"), [("Quầy 1\n", 0o640), (b"\x00\xffkey", 0o600)])
def test_the_file_holds_the_content_with_the_mode(tmp_path, content, mode):
    path = tmp_path / "deep" / "er" / "file"  # missing folders are made
    assert write_atomic(path, content, mode=mode) == path
    expected = content.encode() if isinstance(content, str) else content
    assert path.read_bytes() == expected
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert leftovers(path.parent) == []


def test_a_second_write_replaces_the_whole_file(tmp_path):
    path = tmp_path / "report.csv"
    write_atomic(path, b"a much longer first version\n" * 10)
    write_atomic(path, b"short\n", mode=0o644)
    assert path.read_bytes() == b"short\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch, failing):
    path = tmp_path / "signing.key"
    write_atomic(path, b"old key\n", mode=0o640)

    def fail(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, b"new key\n", mode=0o640)
    monkeypatch.undo()

    assert path.read_bytes() == b"old key\n"
    assert leftovers(tmp_path) == []


def test_an_interrupt_mid_write_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "meta.json"

    def interrupt(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, b"{}")
    monkeypatch.undo()
    assert not path.exists() and leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another group")
def test_root_gives_the_file_to_root_and_the_group(tmp_path):
    folder = tmp_path / "keys"
    folder.mkdir()
    os.chown(folder, 4321, 4321)
    folder.chmod(0o2770)  # setgid: a file made here would take group 4321 unless given another
    path = write_atomic(folder / "k1.key", "secret\n", mode=0o640, group=1234)
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 1234, 0o640)


def test_without_a_group_the_file_keeps_the_writers(tmp_path):
    path = write_atomic(tmp_path / "hailong.conf", "listener 1883\n", mode=0o644)
    assert (path.stat().st_uid, path.stat().st_gid) == (os.geteuid(), os.getegid())


def test_the_file_then_its_folder_are_synced(tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    path = write_atomic(tmp_path / "ack.json", b'{"upto":3}')
    assert synced == [identity(path), identity(tmp_path)]


def test_without_sync_folder_only_the_file_is_synced(tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    path = write_atomic(tmp_path / "meta.json", b'{"seq":1}', sync_folder=False)
    assert synced == [identity(path)]


def test_fsync_folder_syncs_the_folder_itself(tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    fsync_folder(tmp_path)
    assert synced == [identity(tmp_path)]


def test_the_temp_file_is_named_for_cleanup(tmp_path, monkeypatch):
    """A crash before the rename leaves .<name>.<random>.tmp, which the journal's sweep removes."""
    seen = []
    real = os.replace
    monkeypatch.setattr(
        os, "replace", lambda src, dst: seen.append(os.path.basename(src)) or real(src, dst)
    )
    write_atomic(tmp_path / "segment-000000000001.json", b"{}")
    assert len(seen) == 1
    assert seen[0].startswith(".segment-000000000001.json.") and seen[0].endswith(TEMP_SUFFIX)
