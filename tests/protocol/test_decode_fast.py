"""decode_object's fast path (the C scanner alone) reads what json's full decode reads, and fails alike.

The collector decodes every press; fields._decode skips json's Python layers when the scanner
reads the whole text. Any text must give the same value, or the same error, as _DECODER.decode.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hailong.protocol.fields import _DECODER, _decode

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
space = st.sampled_from(["", " ", "\n", "\t ", "\r\n"])


def outcome(decode, text: str):
    """Return what decode gives for text: ("value", v) or ("error", type, message)."""
    try:
        return ("value", decode(text))
    except (ValueError, RecursionError) as exc:
        return ("error", type(exc), str(exc))


@given(values, space, space, st.sampled_from(["", "x", "}", " 1", ",", "{}"]))
def test_any_text_reads_as_the_full_decode_reads_it(value, before, after, extra):
    text = before + json.dumps(value) + after + extra
    assert repr(outcome(_decode, text)) == repr(outcome(_DECODER.decode, text))


@pytest.mark.parametrize(
    "text",
    ["", " ", "{", "[1,", '{"a":1} x', " {}", "nope", "1e999", "-1e999", "NaN", "[Infinity]",
     '{"a": -Infinity}', '"\\ud800"', "[" * 100_000],
)  # fmt: skip
def test_bad_and_odd_texts_fail_or_read_alike(text):
    assert repr(outcome(_decode, text)) == repr(outcome(_DECODER.decode, text))
