"""read_press (orjson where it agrees) reads every payload exactly as parse_press (json) reads it.

The same Press, field for field and type for type, or the same error with the same message;
and on the presses kiosks send, orjson's reading is the one taken.
"""

from __future__ import annotations

import json
import math
import struct

import orjson
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from hailong.protocol import ProtocolError, parse_press
from hailong.protocol.press import _KNOWN_SET
from hailong.server.ingest import press_json
from hailong.server.ingest.press_json import FIELDS, read_press

DEVICE = "k-0001"
BASE = {"v": "1", "device": '"k-0001"', "seq": "123", "rating": "4", "reason": "null",
        "ts": '"2024-03-05T08:30:00.123+07:00"', "synced": "true", "boot": '"b"',
        "mono": "123.5", "counter": '"Q1"', "official": '"cb-01"', "field": '"ho-tich"',
        "dossier": "null", "mode": '"live"'}  # fmt: skip
PRESS = ("{" + ",".join(f'"{k}":{v}' for k, v in BASE.items()) + "}").encode()


def reading(read, payload):
    """Return a press as (field, type, value) triples (-0.0 told from 0.0), or the error."""
    try:
        press = read(payload)
    except ProtocolError as exc:
        return ("refused", str(exc))
    return [(k, type(v), struct.pack("<d", v) if type(v) is float else v)
            for k, v in sorted(press.__dict__.items())] + [("extra", dict(press.extra))]  # fmt: skip


def agree(payload: bytes, device: str = DEVICE) -> None:
    slow = reading(lambda p: parse_press(p, topic_device=device), payload)
    assert reading(lambda p: read_press(p, device), payload) == slow, payload


numbers = st.one_of(
    st.integers().map(str),
    st.sampled_from(
        [
            2**63 - 1,
            2**63,
            2**64 - 1,
            2**64,
            2**64 + 1,
            -(2**63),
            -(2**63) - 1,
            10**19,
            10**400,
            9007199254740993,
        ]
    ).map(str),  # fmt: skip
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "-1e400",
            "1e-400",
            "-0",
            "-0.0",
            "01",
            ".5",
            "1.",
            "1e",
            "+1",
            "0x10",
            "9223372036854775807.0",
            "9223372036854775808.0",
            "1e19",
            "2.2250738585072011e-308",
        ]
    ),  # fmt: skip
)
strings = st.one_of(
    st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.text(max_size=12).map(json.dumps),  # \u escapes, surrogate pairs among them
    st.sampled_from(
        [
            '"\\ud800"',
            '"\\udfff"',
            '"a\\udc00b"',
            '"\\ud83d\\ude00"',
            '"\\ud83d"',
            '"\\u0041"',
            '"\\u00e9"',
            '"Nguy\u1ec5n"',
            '"Nguye\u0302\u0303n"',
            '"\\u0000"',
            '"tab\\there"',
            '"\x7f"',
            '"\x01"',
            '"a\u202eb"',
            '"x"',
            '"2024-03-05T08:30:00.123Z"',
            '"2024-02-30T08:30:00.123Z"',
            '"collector"',
            '"k-0002"',
            '"test"',
            '""',
            '"' + "x" * 65 + '"',
        ]
    ),  # fmt: skip
)
values = st.one_of(
    numbers,
    strings,
    st.sampled_from(
        [
            "true",
            "false",
            "null",
            "[]",
            "{}",
            '[1,"a"]',
            '{"a":18446744073709551616}',
            "[" * 3 + "]" * 3,
        ]
    ),  # fmt: skip
)
space = st.sampled_from(["", "", "", " ", "\t", "\n", "\r\n "])  # JSON's own whitespace
keys = st.one_of(st.sampled_from(sorted(_KNOWN_SET)), st.sampled_from(["x", "V", "seq ", "extra"]))


@st.composite
def payloads(draw) -> bytes:
    """A press's JSON text by hand: values changed, fields dropped, repeated or added, spaced."""
    fields = dict(BASE)
    for key in draw(st.lists(keys, max_size=3)):
        fields[key] = draw(values)
    for key in draw(st.sets(st.sampled_from(sorted(BASE)), max_size=2)):
        fields.pop(key, None)
    pairs = [(json.dumps(k), v) for k, v in fields.items()]
    if draw(st.booleans()):  # a repeated key: json and orjson both keep its last value
        key = draw(st.sampled_from(sorted(_KNOWN_SET)))
        pairs.insert(draw(st.integers(0, len(pairs))), (json.dumps(key), draw(values)))
    gap = draw(space)
    body = ",".join(f"{gap}{k}{draw(space)}:{draw(space)}{v}" for k, v in pairs)
    text = draw(space) + "{" + body + draw(space) + "}" + draw(space)
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 3)) == 0:  # a byte or character out of place: bad UTF-8, a BOM, …
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xef\xbb\xbf", b"\xed\xa0\x80",
                                               b"\xc0\xaf", b"\x80", b"}", b",", b"\x0c", b"\x00",
                                               "\xa0".encode(), "\u2028".encode(), b"\x0b"])) + raw[at:]  # fmt: skip
    return raw


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads(), st.sampled_from([DEVICE, "k-0002"]))
@example(b'{"v":1,"device":"k-0001","seq":1,"rating":4,"ts":"2024-03-05T08:30:00.123Z",'
         b'"synced":true,"boot":"b","mono":18446744073709551616}', DEVICE)  # fmt: skip
@example(PRESS[:-1] + b',"x":18446744073709551617}', DEVICE)
@example(PRESS, "k-0002")
def test_any_payload_reads_as_parse_press_reads_it(payload, device):
    agree(payload, device)
    try:  # how many of the payloads were presses: the test tells little without enough
        event("a press" if parse_press(payload, topic_device=device) else "")
    except ProtocolError:
        event("refused")


@settings(max_examples=3000, deadline=None)
@given(numbers)
def test_every_number_orjson_takes_is_the_number_json_reads(text):
    # mono takes any number: orjson's float must be json's to the bit, its int json's int.
    try:
        ours = orjson.loads(text)
    except orjson.JSONDecodeError:
        return  # read_press then asks json
    theirs = json.loads(text)
    if type(ours) is float and abs(ours) >= 2.0**63:
        return  # read_press asks json here too (an integer beyond 64 bits becomes a float)
    assert type(ours) is type(theirs)
    assert ours == theirs and math.copysign(1, ours) == math.copysign(1, theirs)
    if type(ours) is float:
        assert struct.pack("<d", ours) == struct.pack("<d", theirs)


@pytest.mark.parametrize(
    "payload",
    [b"", b"[]", b"1", b'"x"', b"null", b"{}", b"{" * 2000 + b"}" * 2000, b"[" * 1030 + b"]" * 1030,
     b'{"v":' * 1020 + b"1" + b"}" * 1020, b'{"v":1}' + b" " * 17000, bytearray(b'{"v":1}')],
)  # fmt: skip
def test_odd_payloads_fail_alike(payload):
    agree(payload)


def test_a_kiosks_press_is_read_by_orjson_and_equals_jsons(monkeypatch):
    payload = PRESS
    slow = parse_press(payload, topic_device=DEVICE)
    assert press_json._flat(payload) is not None
    monkeypatch.setattr(press_json, "parse_press", None)  # not called: orjson's reading is kept
    fast = read_press(payload, DEVICE)
    assert fast == slow and reading(lambda p: fast, payload) == reading(lambda p: slow, payload)
    assert fast.extra == {} and type(fast.mono) is float and fast.mono == 123.5


def test_the_fields_are_the_press_contracts():
    assert FIELDS == _KNOWN_SET
