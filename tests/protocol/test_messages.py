"""Press, Ack, Status, Health and Config: constructing, parsing and serialising."""

import dataclasses
import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hailong.protocol import (
    LEVELS,
    UNSET,
    Ack,
    Anchor,
    Config,
    Health,
    Press,
    ProtocolError,
    Status,
    format_ts,
    parse_ack,
    parse_config,
    parse_health,
    parse_press,
    parse_status,
)

FIELDS = dict(
    device="k1",
    seq=1042,
    rating=4,
    ts="2024-03-05T08:30:00.123+07:00",
    synced=True,
    boot="3f1c6c1e-8d0a-4b52-9a57-2b8e3c0d9f41",
    mono=8123.456,
)
ORDER = [
    "v", "device", "seq", "rating", "reason", "ts", "synced", "boot", "mono",
    "counter", "official", "field", "dossier", "mode",
]  # fmt: skip


def decomposed(text: str) -> str:
    """Return text in NFD, as some keyboards and browsers send it."""
    out = unicodedata.normalize("NFD", text)
    assert out != text
    return out


def press_bytes(**changes) -> bytes:
    """Return canonical press payload bytes with some fields changed."""
    return Press(**{**FIELDS, **changes}).to_bytes()


def test_press_defaults_and_canonical_order():
    press = Press(**FIELDS)
    assert press.reason is None and press.counter is None and press.dossier is None
    assert press.mode == "live"
    body = press.to_dict()
    assert list(body) == ORDER
    assert body["v"] == 1 and body["seq"] == 1042
    assert press.to_bytes() == (
        b'{"v":1,"device":"k1","seq":1042,"rating":4,"reason":null,'
        b'"ts":"2024-03-05T08:30:00.123+07:00","synced":true,'
        b'"boot":"3f1c6c1e-8d0a-4b52-9a57-2b8e3c0d9f41","mono":8123.456,'
        b'"counter":null,"official":null,"field":null,"dossier":null,"mode":"live"}'
    )


def test_press_round_trips_through_bytes():
    press = Press(**FIELDS, reason=2, counter="Q1", official="cb-03", field="ho-tich", mode="test")
    assert parse_press(press.to_bytes(), "k1") == press


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"device": "K1"}, "press.device"),
        ({"device": "collector"}, "press.device"),
        ({"device": "a" * 33}, "press.device"),
        ({"device": None}, "press.device"),
        ({"seq": 0}, "press.seq"),
        ({"seq": -5}, "press.seq"),
        ({"seq": 1.0}, "press.seq"),
        ({"seq": True}, "press.seq"),
        ({"seq": 2**63}, "press.seq"),
        ({"rating": 0}, "press.rating"),
        ({"rating": 5}, "press.rating"),
        ({"rating": "4"}, "press.rating"),
        ({"rating": True}, "press.rating"),
        ({"reason": 5}, "press.reason"),
        ({"reason": False}, "press.reason"),
        ({"ts": "2024-03-05T08:30:00+07:00"}, "press.ts"),
        ({"ts": "2024-03-05T08:30:00.123"}, "press.ts"),
        ({"ts": "2024-02-30T08:30:00.123+07:00"}, "press.ts"),
        ({"synced": 1}, "press.synced"),
        ({"synced": None}, "press.synced"),
        ({"boot": ""}, "press.boot"),
        ({"mono": -1}, "press.mono"),
        ({"mono": float("nan")}, "press.mono"),
        ({"mono": float("inf")}, "press.mono"),
        ({"mono": True}, "press.mono"),
        ({"mode": "prod"}, "press.mode"),
        ({"counter": "Q\x001"}, "press.counter"),
        ({"official": "cb\x7f03"}, "press.official"),
        ({"field": ""}, "press.field"),
        ({"dossier": "D" * 65}, "press.dossier"),
        ({"dossier": 12345}, "press.dossier"),
    ],
)
def test_press_constructor_validates(changes, field):
    with pytest.raises(ProtocolError) as caught:
        Press(**{**FIELDS, **changes})
    assert caught.value.field == field


def test_press_constructor_rejects_extra_repeating_a_known_field():
    with pytest.raises(ProtocolError) as caught:
        Press(**FIELDS, extra={"rating": 1})
    assert caught.value.field == "press.extra"


def test_press_is_immutable():
    press = Press(**FIELDS, extra={"fw": "1.0"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        press.rating = 1
    with pytest.raises(TypeError):
        press.extra["fw"] = "2.0"


def test_press_constructor_normalises_decomposed_text_to_nfc():
    press = Press(**FIELDS, counter=decomposed("Quầy 3"), official=decomposed("Nguyễn Văn An"))
    assert press.counter == "Quầy 3"
    assert press.official == "Nguyễn Văn An"
    assert "Nguyễn Văn An".encode() in press.to_bytes()


def test_parse_press_normalises_decomposed_text_to_nfc():
    body = json.loads(press_bytes())
    body["field"] = decomposed("Hộ tịch")
    body["dossier"] = decomposed("Hồ sơ 15")
    press = parse_press(json.dumps(body, ensure_ascii=False).encode())
    assert press.field == "Hộ tịch" and press.dossier == "Hồ sơ 15"
    assert unicodedata.is_normalized("NFC", press.to_bytes().decode())


def test_text_length_is_counted_after_nfc():
    nfc = "ễ" * 64
    assert len(unicodedata.normalize("NFD", nfc)) == 192
    assert Press(**FIELDS, dossier=unicodedata.normalize("NFD", nfc)).dossier == nfc
    with pytest.raises(ProtocolError):
        Press(**FIELDS, dossier=nfc + "e")


def test_unknown_fields_are_kept_and_re_emitted_last():
    body = {**json.loads(press_bytes()), "fw": "esp32-1.4.2", "nested": {"a": [1, None]}}
    press = parse_press(json.dumps(body).encode())
    assert dict(press.extra) == {"fw": "esp32-1.4.2", "nested": {"a": [1, None]}}
    emitted = json.loads(press.to_bytes())
    assert emitted == body
    assert list(emitted) == [*ORDER, "fw", "nested"]


def test_optional_press_fields_may_be_absent():
    body = {k: v for k, v in json.loads(press_bytes()).items() if k in ORDER[:4] + ORDER[5:9]}
    assert "reason" not in body and "mode" not in body
    press = parse_press(json.dumps(body).encode())
    assert press.reason is None and press.mode == "live" and press.dossier is None


def test_parse_press_rejects_a_device_other_than_the_topics():
    payload = press_bytes(device="k2")
    assert parse_press(payload, "k2").device == "k2"
    with pytest.raises(ProtocolError) as caught:
        parse_press(payload, "k1")
    assert caught.value.field == "press.device"
    assert "k1" in caught.value.problem and "k2" in caught.value.problem


@pytest.mark.parametrize("payload", ["{}", None, 42, {"v": 1}])
def test_payload_must_be_bytes(payload):
    with pytest.raises(ProtocolError) as caught:
        parse_press(payload)
    assert caught.value.field == "press"


def test_bytearray_payload_is_accepted():
    assert parse_press(bytearray(press_bytes())).seq == 1042


def test_payload_limit_is_16_kib_inclusive():
    base = press_bytes()[:-1] + b',"pad":"'
    room = 16 * 1024 - len(base) - 2
    exact = base + b"x" * room + b'"}'
    assert len(exact) == 16 * 1024
    assert parse_press(exact).extra["pad"] == "x" * room
    with pytest.raises(ProtocolError) as caught:
        parse_press(base + b"x" * (room + 1) + b'"}')
    assert caught.value.field == "press" and "16384" in caught.value.problem


@pytest.mark.parametrize(
    "tail",
    [b',"x":NaN}', b',"x":Infinity}', b',"x":-Infinity}', b',"x":1e400}', b',"x":"\\udc00"}'],
)
def test_values_that_could_not_be_re_serialised_are_rejected(tail):
    with pytest.raises(ProtocolError) as caught:
        parse_press(press_bytes()[:-1] + tail)
    assert caught.value.field == "press"


def test_surrogate_pair_escape_is_one_character():
    press = parse_press(press_bytes()[:-1] + b',"x":"\\ud83d\\ude00"}')
    assert press.extra["x"] == "\U0001f600"
    assert press.to_bytes().endswith('"x":"\U0001f600"}'.encode())


def test_huge_integer_number_is_a_protocol_error():
    payload = press_bytes().replace(b'"mono":8123.456', b'"mono":1' + b"0" * 400)
    with pytest.raises(ProtocolError) as caught:
        parse_press(payload)
    assert caught.value.field == "press.mono"


def test_timestamp_offset_must_be_a_real_offset():
    with pytest.raises(ProtocolError):
        Press(**{**FIELDS, "ts": "2024-03-05T08:30:00.123+07:60"})
    assert Press(**{**FIELDS, "ts": "2024-03-05T08:30:00.123-09:30"}).ts.endswith("-09:30")


def test_timestamp_digits_must_be_ascii():
    with pytest.raises(ProtocolError) as caught:
        Press(**{**FIELDS, "ts": "２０２４-03-05T08:30:00.123+07:00"})
    assert caught.value.field == "press.ts"


def test_format_ts_and_moment():
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2024, 3, 5, 8, 30, 0, 123456, tzinfo=hanoi)
    assert format_ts(moment) == "2024-03-05T08:30:00.123+07:00"
    assert format_ts(datetime(2024, 3, 5, 1, 30, tzinfo=UTC)) == "2024-03-05T01:30:00.000Z"
    press = Press(**{**FIELDS, "ts": format_ts(moment)})
    assert press.moment == moment.replace(microsecond=123000)
    with pytest.raises(ProtocolError):
        format_ts(datetime(2024, 3, 5, 8, 30))


def test_levels_are_best_first():
    assert LEVELS == {4: "Rất hài lòng", 3: "Hài lòng", 2: "Bình thường", 1: "Không hài lòng"}


def test_ack_round_trip_and_validation():
    assert Ack(0).to_bytes() == b'{"v":1,"upto":0}'
    assert parse_ack(b'{"v":1,"upto":1042}') == Ack(1042)
    assert parse_ack(b'{"upto":7,"v":1,"note":"x"}').upto == 7
    for bad in (-1, True, 1.5, None, 2**63):
        with pytest.raises(ProtocolError) as caught:
            Ack(bad)
        assert caught.value.field == "ack.upto"


def test_status_with_and_without_session():
    assert Status("online", 17).to_bytes() == b'{"v":1,"state":"online","session":17}'
    assert Status("offline").to_bytes() == b'{"v":1,"state":"offline"}'
    status = parse_status(b'{"v":1,"state":"online","session":3,"ip":"10.0.4.21"}')
    assert (status.state, status.session, dict(status.extra)) == ("online", 3, {"ip": "10.0.4.21"})
    assert status.to_bytes() == b'{"v":1,"state":"online","session":3,"ip":"10.0.4.21"}'


@pytest.mark.parametrize(
    ("state", "session", "field"),
    [("away", 1, "status.state"), (None, 1, "status.state"), ("online", -1, "status.session")],
)
def test_status_constructor_validates(state, session, field):
    with pytest.raises(ProtocolError) as caught:
        Status(state, session)
    assert caught.value.field == field


def test_health_defaults_and_round_trip():
    anchor = Anchor("boot-1", 5000.125, "2024-03-05T07:00:01.000+07:00")
    health = Health(17, version="0.1.0", uptime=60.5, synced=True, anchor=anchor, faults=["x-1"])
    assert health.faults == ("x-1",)
    assert parse_health(health.to_bytes()) == health
    body = json.loads(Health(1).to_bytes())
    assert body == {
        "v": 1, "session": 1, "version": "", "uptime": 0, "backlog": 0, "last_seq": 0,
        "synced": False, "anchor": None, "disk_free_mb": None, "cpu_temp_c": None,
        "undervoltage": None, "suppressed": 0, "faults": [],
    }  # fmt: skip


def test_health_keeps_unknown_fields():
    health = parse_health(b'{"v":1,"session":2,"battery_mv":3712}')
    assert dict(health.extra) == {"battery_mv": 3712}
    assert json.loads(health.to_bytes())["battery_mv"] == 3712


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", 1.0, "2024-03-05T07:00:01.000Z"), "health.anchor.boot"),
        (("b", -1.0, "2024-03-05T07:00:01.000Z"), "health.anchor.mono"),
        (("b", 1.0, "2024-03-05T07:00:01Z"), "health.anchor.ts"),
    ],
)
def test_anchor_constructor_validates(args, field):
    with pytest.raises(ProtocolError) as caught:
        Anchor(*args)
    assert caught.value.field == field


def test_health_constructor_validates():
    with pytest.raises(ProtocolError) as caught:
        Health(-1)
    assert caught.value.field == "health.session"
    with pytest.raises(ProtocolError) as caught:
        Health(1, faults=["x"] * 33)
    assert caught.value.field == "health.faults"


def test_config_absent_fields_stay_unset():
    config = parse_config(b'{"v":1,"cooldown_s":2.5}')
    assert config.cooldown_s == 2.5
    assert config.labels is UNSET and config.resend_from is UNSET
    assert config.present() == {"cooldown_s": 2.5}
    assert config.to_bytes() == b'{"v":1,"cooldown_s":2.5}'


def test_config_null_is_present_and_distinct_from_absent():
    config = parse_config(b'{"v":1,"official":null,"reasons":null}')
    assert config.present() == {"official": None, "reasons": None}
    assert config.to_bytes() == b'{"v":1,"official":null,"reasons":null}'


def test_config_over_keeps_the_base_where_absent():
    base = Config(counter="Q1", official="cb-03", cooldown_s=5)
    merged = Config(official="cb-07", resend_from=120).over(base)
    assert (merged.counter, merged.official, merged.cooldown_s) == ("Q1", "cb-07", 5)
    assert merged.resend_from == 120


def test_config_normalises_and_serialises_lists():
    labels = [decomposed("Rất hài lòng"), "Hài lòng", "Bình thường", decomposed("Không hài lòng")]
    config = Config(labels=labels, office_hours=[["07:30", "11:30"]])
    assert config.labels == ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng")
    assert config.office_hours == (("07:30", "11:30"),)
    body = json.loads(config.to_bytes())
    assert body["labels"][0] == "Rất hài lòng"
    assert body["office_hours"] == [["07:30", "11:30"]]
    assert parse_config(config.to_bytes()) == config


def test_config_keeps_unknown_fields():
    config = parse_config('{"v":1,"brightness":80,"field_name":"Hộ tịch"}'.encode())
    assert dict(config.extra) == {"brightness": 80}
    assert config.field_name == "Hộ tịch"
    assert json.loads(config.to_bytes()) == {"v": 1, "field_name": "Hộ tịch", "brightness": 80}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"labels": ("a", "b", "c")}, "config.labels"),
        ({"labels": None}, "config.labels"),
        ({"reasons": ("a", "b", "c", "\n")}, "config.reasons[3]"),
        ({"office_hours": (("11:30", "07:30"),)}, "config.office_hours[0]"),
        ({"office_hours": (("07:30", "07:30"),)}, "config.office_hours[0]"),
        ({"office_hours": (("24:00", "25:00"),)}, "config.office_hours[0]"),
        ({"office_hours": [["07:00", "08:00"]] * 9}, "config.office_hours"),
        ({"resend_from": 0}, "config.resend_from"),
        ({"cooldown_s": 3601}, "config.cooldown_s"),
        ({"require_dossier": 0}, "config.require_dossier"),
        ({"question": "q" * 301}, "config.question"),
        ({"official_name": "x" * 129}, "config.official_name"),
    ],
)
def test_config_constructor_validates(changes, field):
    with pytest.raises(ProtocolError) as caught:
        Config(**changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "hidden", ["\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\u00a0", "\ue000"]
)
@pytest.mark.parametrize("field", ["official", "counter", "field", "dossier"])
def test_invisible_and_bidi_characters_are_refused(hidden, field):
    """Issue 13, finding 11: what the staff forms refuse, the wire refuses too."""
    body = json.loads(press_bytes())
    body[field] = f"cb{hidden}01"
    with pytest.raises(ProtocolError) as caught:
        parse_press(json.dumps(body, ensure_ascii=False).encode())
    assert caught.value.field == f"press.{field}"
    assert f"U+{ord(hidden):04X}" in str(caught.value)


def test_vietnamese_text_with_spaces_is_still_printable():
    press = Press(**FIELDS, field="Lao động - Thương binh và Xã hội", dossier="Hồ sơ 15")
    assert press.field == "Lao động - Thương binh và Xã hội"
