"""Read a press's payload with orjson where json would read it the same; json decides the rest.

Ingest reads every press, and json's decoder was the largest share of it. orjson reads a
press in a quarter of the time, but not every payload as json does: an integer beyond 64 bits
becomes a float, and its errors say other things. So orjson's reading is kept only when it is
an object of the press's own fields that Press.from_dict takes, of the same device, its mono
(the one field that takes a float) below 2**63, where no integer of json's could have become
a float of orjson's. Anything else (an error, another shape, an unknown field, a press that
fails a check) is read again by parse_press, which accepts, refuses and names the fault as it
always has. tests/server/test_press_json.py proves the two readings agree (hypothesis).
"""

from __future__ import annotations

import dataclasses

import orjson

from hailong.protocol import Press, ProtocolError, parse_press
from hailong.protocol.fields import MAX_PAYLOAD

# The fields a press may carry: a payload with any other is parse_press's to keep in `extra`.
FIELDS = frozenset({"v"} | {f.name for f in dataclasses.fields(Press)} - {"extra"})
_BIG = float(2**63)  # orjson's float for an integer beyond 64 bits is at least this large


def read_press(payload: bytes, device: str) -> Press:
    """Return parse_press(payload, topic_device=device), the same Press or the same error."""
    obj = _flat(payload)
    if obj is not None:
        try:
            press = Press.from_dict(obj)
        except (ProtocolError, RecursionError):  # the latter: repr of a value nested ~1,000 deep
            press = None  # parse_press names the fault from json's reading
        if press is not None and press.device == device and press.mono < _BIG:
            return press
    return parse_press(payload, topic_device=device)


def _flat(payload: bytes) -> dict | None:
    """Return orjson's reading of a payload of press fields alone, or None."""
    if type(payload) is not bytes or len(payload) > MAX_PAYLOAD:
        return None
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return obj if type(obj) is dict and obj.keys() <= FIELDS else None
