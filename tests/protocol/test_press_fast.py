"""The press check's one-pass path agrees with the field-by-field one on any object.

_check_plain handles the shape kiosks send and declines (None) everything else, which
_check_each then accepts or refuses naming the field. Whenever the fast path answers, its
answer must be exactly _check_each's; and on an ordinary press it must answer, or the collector
would pay for both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hailong.protocol import ProtocolError
from hailong.protocol.press import _check_each, _check_plain

BASE = json.loads((Path(__file__).parent / "samples/valid/press-full.json").read_bytes())
FIELDS = ["v", "device", "seq", "rating", "reason", "ts", "synced", "boot", "mono", "mode",
          "counter", "official", "field", "dossier"]  # fmt: skip

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=6),
    st.integers(),
    st.sampled_from([2**63 - 1, 2**63, 10**400]),
    st.floats(),
    st.text(max_size=70),
    st.text(alphabet="ab-1", min_size=0, max_size=66),
    st.sampled_from(
        [
            "k1",
            "collector",
            "-k",
            "live",
            "test",
            "Live",
            "2024-03-05T08:30:00.123+07:00",
            "2024-02-30T08:30:00.123Z",
            "2024-03-05T08:30:00.123+24:00",
            "2024-03-05T08:30:00Z",
            "Nguye\u0302\u0303n",
            "Nguyễn",
            "a\u202eb",
            "a\u200bb",
            "tab\there",
            "x" * 64,
            "x" * 65,
            "",
        ]
    ),  # fmt: skip
)


def verdict(check, obj):
    try:
        return check(obj, "press")
    except ProtocolError as exc:
        return ("refused", exc.field)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(st.sampled_from(FIELDS), values, max_size=4),
       dropped=st.sets(st.sampled_from(FIELDS), max_size=2))  # fmt: skip
def test_the_fast_path_answers_as_the_careful_one_or_not_at_all(changes, dropped):
    obj = {k: v for k, v in {**BASE, **changes}.items() if k not in dropped}
    fast = _check_plain(obj)
    if fast is not None:
        assert fast == verdict(_check_each, obj)


@pytest.mark.parametrize(
    "changes",
    [{}, {"reason": None, "dossier": None, "counter": None}, {"mode": "test"}, {"mono": 7},
     {"synced": False}],
)  # fmt: skip
def test_an_ordinary_press_takes_the_fast_path(changes):
    obj = {**BASE, **changes}
    assert _check_plain(obj) is not None
    assert _check_plain(obj) == _check_each(obj, "press")


EDGES = [None, True, False, -1, 0, 1, 4, 5, 2**63 - 1, 2**63, 10**400, 1.5, -0.0, float("nan"),
         float("inf"), "", "k1", "collector", "live", "test", "x" * 64, "x" * 65, "Nguyễn",
         "a\u202eb", "2024-03-05T08:30:00.123+07:00", "2024-02-30T08:30:00.123Z", [], {}]  # fmt: skip


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_at_its_edges_gets_the_same_answer(field):
    for value in [*EDGES, "missing"]:
        obj = {k: v for k, v in BASE.items() if k != field}
        if value != "missing":
            obj[field] = value
        fast = _check_plain(obj)
        assert fast is None or fast == verdict(_check_each, obj), (field, value)
