"""The signed file of an office with no link: round trip, altered files refused, idempotent import."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hailong.protocol import sign
from hailong.server.reporting.exchange import (
    ExchangeError,
    _compact,
    _envelope,
    export_bytes,
    new_key,
    read_export,
)
from hailong.server.reporting.imports import (
    ALREADY,
    IMPORTED,
    LOG,
    REPLACED,
    FolderStore,
    import_file,
)
from tests.server.test_province import PERIOD, office, ratings

KEY = bytes.fromhex(new_key())
KEYS = {"xa-a": KEY, "xa-b": bytes.fromhex(new_key())}
MADE = datetime(2024, 4, 2, 3, 0, tzinfo=UTC)
FIGURES = office("xa-a", ratings("ho-tich", (4, 40), (2, 5)) + ratings("", (1, 2)),
                 {"ho-tich": 50, "chung-thuc": 0}, previous=[3] * 7, in_hours=44,
                 missing=("2024-03",))  # fmt: skip


def exported(figures=FIGURES, made=MADE, key=KEY) -> bytes:
    return export_bytes(figures, PERIOD, made, key)


def test_an_export_reads_back_as_the_same_figures_and_carries_no_presses():
    raw = exported()
    back = read_export(raw, KEYS)
    assert back.figures == FIGURES.__class__(**{**FIGURES.__dict__, "source": "file"})
    assert back.period == PERIOD and back.generated == MADE
    payload = json.loads(raw)["payload"]
    assert set(payload) == {"schema", "office", "period", "generated", "counts",
                            "previous_counts", "in_hours", "missing_months", "fields"}  # fmt: skip
    assert payload["period"] == {"label": "2024-03", "convention": "calendar",
                                 "start": "2024-03-01", "end": "2024-03-31"}  # fmt: skip


def test_every_single_altered_byte_is_refused():
    raw = exported()
    for i in range(len(raw)):
        altered = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        with pytest.raises(ExchangeError):
            read_export(altered, KEYS)


def test_a_changed_count_re_serialised_cleanly_is_refused_by_the_signature():
    document = json.loads(exported())
    document["payload"]["counts"]["4"] += 10
    document["payload"]["fields"][1]["counts"]["4"] += 10  # still adds up
    raw = _envelope(document["payload"], document["signature"]["value"])
    with pytest.raises(ExchangeError, match="signature does not match"):
        read_export(raw, KEYS)


def test_another_office_s_key_and_an_unregistered_office_are_refused():
    with pytest.raises(ExchangeError, match="signature does not match"):
        read_export(exported(key=KEYS["xa-b"]), KEYS)
    with pytest.raises(ExchangeError, match="no key for office xa-a"):
        read_export(exported(), {"xa-b": KEYS["xa-b"]})
    with pytest.raises(ExchangeError, match="cannot be read"):
        read_export(b"PK\x03\x04 not json", KEYS)


def test_a_signed_file_with_counts_that_do_not_hold_is_refused():
    payload = json.loads(exported())["payload"]
    payload["counts"]["1"] = 99  # the fields no longer add up to the total
    with pytest.raises(ExchangeError, match="invalid figures.*do not add up"):
        read_export(_envelope(payload, sign(KEY, _compact(payload))), KEYS)
    payload = json.loads(exported())["payload"]
    payload["period"]["end"] = "2024-03-30"
    with pytest.raises(ExchangeError, match="does not run"):
        read_export(_envelope(payload, sign(KEY, _compact(payload))), KEYS)


def test_importing_the_same_file_twice_is_idempotent(tmp_path):
    store = FolderStore(tmp_path)
    raw = exported()
    assert import_file(store, raw, KEYS).outcome == IMPORTED
    kept = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    again = import_file(store, raw, KEYS)
    assert again.outcome == ALREADY and again.export.figures.code == "xa-a"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == kept
    assert len((tmp_path / LOG).read_text().splitlines()) == 1
    assert [e.figures.code for e in store.exports(PERIOD, KEYS)] == ["xa-a"]


def test_a_newer_export_replaces_only_when_asked_and_the_replacement_is_recorded(tmp_path):
    store = FolderStore(tmp_path)
    first = exported()
    import_file(store, first, KEYS)
    newer_figures = office("xa-a", ratings("ho-tich", (4, 50)), {"ho-tich": 50})
    newer = exported(newer_figures, MADE + timedelta(days=1))
    with pytest.raises(ExchangeError, match="replaced only when run again with --replace"):
        import_file(store, newer, KEYS)
    assert store.exports(PERIOD, KEYS)[0].figures.counts[4] == 40  # unchanged
    done = import_file(store, newer, KEYS, replace=True)
    assert done.outcome == REPLACED and done.replaced_sha256 == read_export(first, KEYS).sha256
    assert store.exports(PERIOD, KEYS)[0].figures.counts[4] == 50
    old = list((tmp_path / "2024-03-calendar").glob("xa-a.replaced-*.json"))
    assert [p.read_bytes() for p in old] == [first]  # the replaced record is kept whole
    log = [json.loads(line) for line in (tmp_path / LOG).read_text().splitlines()]
    assert [entry["outcome"] for entry in log] == [IMPORTED, REPLACED]
    assert log[1]["replaced_sha256"] == done.replaced_sha256
    with pytest.raises(ExchangeError, match="not replaced"):  # an older one never replaces
        import_file(store, first, KEYS, replace=True)


def test_an_altered_import_stores_nothing_and_an_altered_stored_file_is_refused_on_reading(
    tmp_path,
):
    store = FolderStore(tmp_path)
    raw = exported()
    with pytest.raises(ExchangeError):
        import_file(store, raw.replace(b'"4": 40', b'"4": 41'), KEYS)
    assert not any(tmp_path.iterdir())
    import_file(store, raw, KEYS)
    path = tmp_path / "2024-03-calendar" / "xa-a.json"
    path.write_bytes(raw.replace(b'"4": 40', b'"4": 41'))
    with pytest.raises(ExchangeError):
        store.exports(PERIOD, KEYS)
