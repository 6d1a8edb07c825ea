"""Unit tests of the journal's TinyDB storage: appends append, anything else rewrites atomically."""

import logging
import os

import pytest
from tinydb import TinyDB, where
from tinydb.operations import add
from tinydb.table import Document

from hailong.device.line_storage import CorruptFile, JSONLinesStorage, encode
from tests.protocol.fsync_spy import identity, record_fsyncs


def doc(seq: int, **extra) -> dict:
    """Build a press-like document carrying its id, with a nested list to mutate."""
    return {"seq": seq, "rating": seq % 4 + 1, "dossier": f"HS-{seq:05d}", "tags": ["a"], **extra}


def lines(*docs: dict) -> bytes:
    return b"".join(encode(d) + b"\n" for d in docs)


def opened(path, first=None) -> TinyDB:
    return TinyDB(path, storage=JSONLinesStorage, first=first)


def insert(db: TinyDB, *docs: dict) -> None:
    for d in docs:
        db.insert(Document(d, doc_id=d["seq"]))


def count_pwrites(monkeypatch) -> list[int]:
    """Let os.pwrite run, noting how many bytes each call was given."""
    sizes, real = [], os.pwrite

    def spy(fd, data, offset):
        sizes.append(len(data))
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", spy)
    return sizes


def test_a_new_file_is_written_whole_then_its_folder_synced(tmp_path, monkeypatch):
    path = tmp_path / "segment-000000000007.jsonl"
    synced = record_fsyncs(monkeypatch)
    with opened(path) as db:
        insert(db, doc(7))
    assert path.read_bytes() == lines(doc(7))
    assert len(synced) == 2 and synced[1] == identity(tmp_path)  # temp file, then the folder
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_an_added_document_is_one_write_and_one_fsync_of_the_file(tmp_path, monkeypatch):
    path = tmp_path / "s.jsonl"
    with opened(path) as db:
        insert(db, doc(1), doc(2))
        before, inode = path.read_bytes(), identity(path)
        synced, writes = record_fsyncs(monkeypatch), count_pwrites(monkeypatch)
        insert(db, doc(3))
        assert synced == [identity(path)] and identity(path) == inode  # appended, not replaced
        assert writes == [len(encode(doc(3))) + 1]
        assert path.read_bytes() == before + lines(doc(3))
        assert db.get(doc_id=3) == doc(3) and len(db) == 3
    with opened(path) as db:  # a second owner reads what the first wrote
        assert [dict(d) for d in db.all()] == [doc(1), doc(2), doc(3)]
        assert [d.doc_id for d in db.search(where("rating") == 3)] == [2]


@pytest.mark.parametrize(
    "change",
    [
        lambda db: db.update({"rating": 5}, doc_ids=[2]),
        lambda db: db.update(add("tags", ["b"]), doc_ids=[1]),  # a nested list, grown in place
        lambda db: db.remove(doc_ids=[3]),
        lambda db: db.upsert(Document(doc(3, rating=1), doc_id=3)),
    ],
    ids=["update", "nested-in-place", "remove-last", "upsert"],
)
def test_any_other_change_rewrites_the_file_atomically(tmp_path, monkeypatch, change):
    path = tmp_path / "s.jsonl"
    with opened(path) as db:
        insert(db, doc(1), doc(2), doc(3))
        old_inode = identity(path)
        synced, writes = record_fsyncs(monkeypatch), count_pwrites(monkeypatch)
        change(db)
        expected = [dict(d) for d in db.all()]
        assert expected != [doc(1), doc(2), doc(3)]  # the change is visible through TinyDB
        assert writes == [] and identity(path) != old_inode  # a new file renamed into place
        assert len(synced) == 2 and synced[1] == identity(tmp_path)
        assert path.read_bytes() == lines(*expected)
        insert(db, doc(len(expected) + 1))  # appending goes on in the new file
        expected.append(doc(len(expected) + 1))
    with opened(path) as db:
        assert [dict(d) for d in db.all()] == expected


def test_an_unchanged_database_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "s.jsonl"
    with opened(path) as db:
        insert(db, doc(1), doc(2))
        synced = record_fsyncs(monkeypatch)
        db.update({"rating": doc(2)["rating"]}, doc_ids=[2])  # the same value
        assert synced == []


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda db: db.remove(doc_ids=[2]), "consecutive"),  # a hole in the seqs
        (lambda db: db.remove(doc_ids=[1]), "consecutive"),  # the first, which names the file
        (lambda db: db.insert(doc(9)), "consecutive"),  # a gap after the last
        (lambda db: db.insert({"rating": 1}), "must carry seq"),  # TinyDB's own next id
        (lambda db: db.update({"seq": 7}, doc_ids=[1]), "must carry seq"),
        (lambda db: db.insert(Document(doc(4), doc_id=7)), "document 7 must carry seq 4"),
        (lambda db: db.truncate(), "at least one document"),
        (lambda db: db.table("other").insert(doc(4)), "only TinyDB's '_default' table"),
    ],
)
def test_what_the_format_cannot_hold_is_refused_and_the_file_kept(tmp_path, change, message):
    path = tmp_path / "s.jsonl"
    with opened(path) as db:
        insert(db, doc(1), doc(2), doc(3))
        before = path.read_bytes()
        with pytest.raises(ValueError, match=message):
            change(db)
        assert path.read_bytes() == before
        assert [d.doc_id for d in db.all()] == [1, 2, 3]
        insert(db, doc(4))
    assert path.read_bytes() == before + lines(doc(4))


def test_a_torn_last_line_is_left_out_and_cut_off_before_the_next_append(tmp_path, caplog):
    path = tmp_path / "s.jsonl"
    whole = lines(doc(1), doc(2))
    path.write_bytes(whole + b'{"seq":3,"rat')
    with caplog.at_level(logging.WARNING), opened(path, first=1) as db:
        assert [d.doc_id for d in db.all()] == [1, 2]
        assert path.read_bytes().endswith(b'"rat')  # reading changes nothing
        insert(db, doc(3))
    assert path.read_bytes() == whole + lines(doc(3))
    assert "ends in a torn line" in caplog.text


def test_damage_raises_corrupt_file(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(lines(doc(1)) + b"not json\n" + lines(doc(3)))
    with opened(path) as db, pytest.raises(CorruptFile, match="line 2 is not JSON"):
        db.all()
    path.write_bytes(lines(doc(2)))
    with opened(path, first=1) as db, pytest.raises(CorruptFile, match="line 1"):
        db.all()  # the file must start with the id its owner expects
    path.write_bytes(b"")
    with opened(path) as db, pytest.raises(CorruptFile, match="no whole document"):
        db.all()


def test_reads_are_new_objects_so_edits_outside_tinydb_change_nothing(tmp_path, monkeypatch):
    path = tmp_path / "s.jsonl"
    with opened(path) as db:
        insert(db, doc(1))
        db.storage.read()["_default"]["1"]["tags"].append("x")  # a caller's stray edit
        db.all()[0]["tags"].append("y")
        synced = record_fsyncs(monkeypatch)
        db.storage.write(db.storage.read())
        assert synced == [] and db.get(doc_id=1) == doc(1)
