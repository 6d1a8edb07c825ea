"""Fuzz the parsers: any input gives a message or a ProtocolError, and messages round-trip."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hailong.protocol import (
    ProtocolError,
    parse_ack,
    parse_config,
    parse_health,
    parse_press,
    parse_status,
)

PARSERS = {
    "press": parse_press,
    "ack": parse_ack,
    "status": parse_status,
    "health": parse_health,
    "config": parse_config,
}
SAMPLES = sorted((Path(__file__).parent / "samples" / "valid").iterdir())
# A valid object of each kind: the near-miss strategies start from these and break them.
BASES = {
    "press": json.loads((Path(__file__).parent / "samples/valid/press-full.json").read_bytes()),
    "ack": {"v": 1, "upto": 10},
    "status": {"v": 1, "state": "online", "session": 3},
    "health": json.loads((Path(__file__).parent / "samples/valid/health-full.json").read_bytes()),
    "config": json.loads((Path(__file__).parent / "samples/valid/config-full.json").read_bytes()),
}
NAMES = {kind: [*base, "extra", "x"] for kind, base in BASES.items()}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-2, max_value=5),
    st.floats(),
    st.text(max_size=70),
    st.sampled_from(
        [
            "k1",
            "collector",
            "live",
            "test",
            "online",
            "offline",
            "2024-03-05T08:30:00.123+07:00",
            "2024-02-30T08:30:00.123Z",
            "07:30",
            "17:00",
            "Nguye\u0302\u0303n",
            "",
        ]
    ),
)
# JSON tokens json.dumps never writes but a sender might: the parser must still answer cleanly.
RAW_TOKENS = (
    "1e400",
    "-1e400",
    "1" + "0" * 400,
    "NaN",
    "-Infinity",
    '"\\ud800"',
    '"\\udfff x"',
    '"\\ud83d\\ude00"',
    "1.0e-400",
    "-0",
)


class Raw:
    """A placeholder that encode() swaps for one of RAW_TOKENS."""

    def __init__(self, index: int):
        self.index = index

    def __repr__(self):
        return f"Raw({RAW_TOKENS[self.index]!r})"


scalars = st.one_of(
    scalars,
    st.builds(Raw, st.integers(0, len(RAW_TOKENS) - 1)),
    st.text(st.characters(exclude_categories=()), max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)


def check(kind: str, payload: bytes):
    """Parse payload; on success, assert that serialising and parsing again is the identity."""
    parse = PARSERS[kind]
    try:
        message = parse(payload)
    except ProtocolError as exc:
        assert exc.field.split(".")[0].split("[")[0] == kind
        return None
    again = parse(message.to_bytes())
    assert again == message
    assert again.to_bytes() == message.to_bytes()
    return message


@st.composite
def near_miss(draw, kind: str) -> dict:
    """Draw a valid object of kind with some fields dropped, replaced or added."""
    obj = dict(BASES[kind])
    for name in draw(st.lists(st.sampled_from(sorted(obj)), max_size=2)):
        obj.pop(name, None)
    changes = draw(st.dictionaries(st.sampled_from(NAMES[kind]), json_values, max_size=2))
    return {**obj, **changes}


def encode(obj, ascii_only: bool) -> bytes:
    """Serialise a drawn object as JSON the way an arbitrary sender might."""
    text = json.dumps(obj, ensure_ascii=ascii_only, default=lambda raw: f"@@raw{raw.index}@@")
    for index, token in enumerate(RAW_TOKENS):
        text = text.replace(f'"@@raw{index}@@"', token)
    return text.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("kind", sorted(PARSERS))
@FUZZ
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes(kind, payload):
    check(kind, payload)


@pytest.mark.parametrize("kind", sorted(PARSERS))
@FUZZ
@given(sample=st.sampled_from(SAMPLES), data=st.data())
def test_mutated_sample_bytes(kind, sample, data):
    payload = bytearray(sample.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(payload) - 1))
        payload[position] = data.draw(st.integers(0, 255))
    check(kind, bytes(payload))


@pytest.mark.parametrize("kind", sorted(PARSERS))
@FUZZ
@given(data=st.data(), ascii_only=st.booleans())
def test_near_miss_objects(kind, data, ascii_only):
    obj = data.draw(near_miss(kind))
    check(kind, encode(obj, ascii_only))


@pytest.mark.parametrize("kind", sorted(PARSERS))
@FUZZ
@given(obj=st.dictionaries(st.sampled_from(NAMES["press"]), json_values, max_size=16))
def test_arbitrary_objects_over_press_names(kind, obj):
    check(kind, encode(obj, ascii_only=False))


@pytest.mark.parametrize("kind", sorted(PARSERS))
@FUZZ
@given(data=st.data(), ascii_only=st.booleans())
def test_valid_objects_with_unknown_fields(kind, data, ascii_only):
    unknown = st.text(max_size=10).filter(lambda key: key not in BASES[kind])
    extras = data.draw(st.dictionaries(unknown, json_values, min_size=1, max_size=3))
    message = check(kind, encode({**BASES[kind], **extras}, ascii_only))
    if message is not None and kind != "ack":
        assert set(json.loads(message.to_bytes())) >= set(extras)


@FUZZ
@given(value=json_values)
def test_arbitrary_json_documents(value):
    payload = encode(value, ascii_only=True)
    for kind in PARSERS:
        check(kind, payload)


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_bases_are_valid(kind):
    # The near-miss strategies only probe the edges if they start from valid objects.
    assert check(kind, json.dumps(BASES[kind]).encode()) is not None
