"""The golden samples: valid ones parse and round-trip, invalid ones fail on the named field."""

import json
import re
import unicodedata
from pathlib import Path

import pytest

from hailong.protocol import (
    ProtocolError,
    parse_ack,
    parse_config,
    parse_health,
    parse_press,
    parse_status,
)

SAMPLES = Path(__file__).parent / "samples"
PARSERS = {
    "press": parse_press,
    "ack": parse_ack,
    "status": parse_status,
    "health": parse_health,
    "config": parse_config,
}
# Valid samples that leave out optional fields, so serialising them adds the defaults back.
NOT_CANONICAL = {"health-minimal.json", "press-optional-fields-omitted.json"}
VALID = sorted(p.name for p in (SAMPLES / "valid").iterdir())
INDEX = json.loads((SAMPLES / "invalid" / "index.json").read_text(encoding="utf-8"))


def parser_for(name: str):
    """Return the parse function for a sample file named <kind>-<name>.<ext>."""
    return PARSERS[name.split("-", 1)[0]]


def test_every_kind_has_valid_and_invalid_samples():
    kinds = {name.split("-", 1)[0] for name in VALID}
    assert kinds == set(PARSERS)
    assert {name.split("-", 1)[0] for name in INDEX} == set(PARSERS)
    assert len(VALID) >= 20
    assert len(INDEX) >= 60


def test_index_lists_exactly_the_invalid_files():
    on_disk = {p.name for p in (SAMPLES / "invalid").iterdir()} - {"index.json"}
    assert on_disk == set(INDEX)


@pytest.mark.parametrize("name", VALID)
def test_valid_sample_is_compact_nfc_json(name):
    data = (SAMPLES / "valid" / name).read_bytes()
    text = data.decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    obj = json.loads(text)
    assert isinstance(obj, dict) and obj["v"] == 1
    assert data == json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("name", VALID)
def test_valid_sample_parses_and_round_trips(name):
    parse = parser_for(name)
    data = (SAMPLES / "valid" / name).read_bytes()
    message = parse(data)
    again = parse(message.to_bytes())
    assert again == message
    assert again.to_bytes() == message.to_bytes()
    if name not in NOT_CANONICAL:
        assert message.to_bytes() == data


@pytest.mark.parametrize("name", sorted(NOT_CANONICAL))
def test_non_canonical_samples_gain_only_defaults(name):
    data = (SAMPLES / "valid" / name).read_bytes()
    original = json.loads(data)
    emitted = json.loads(parser_for(name)(data).to_bytes())
    assert {k: emitted[k] for k in original} == original
    assert set(emitted) > set(original)


@pytest.mark.parametrize("name", sorted(INDEX))
def test_invalid_sample_names_its_field(name):
    data = (SAMPLES / "invalid" / name).read_bytes()
    with pytest.raises(ProtocolError) as caught:
        parser_for(name)(data)
    assert caught.value.field == INDEX[name]
    assert caught.value.problem
    assert str(caught.value).startswith(INDEX[name] + ": ")


def test_press_full_sample_values():
    press = parse_press((SAMPLES / "valid" / "press-full.json").read_bytes(), "k1")
    assert (press.device, press.seq, press.rating, press.reason) == ("k1", 1042, 4, None)
    assert press.ts == "2024-03-05T08:30:00.123+07:00"
    assert press.synced is True and press.mono == 8123.456
    assert (press.counter, press.official, press.field) == ("Q1", "cb-03", "ho-tich")
    assert press.mode == "live" and dict(press.extra) == {}


def test_press_unknown_extra_fields_sample_keeps_them_in_order():
    data = (SAMPLES / "valid" / "press-unknown-extra-fields.json").read_bytes()
    press = parse_press(data)
    assert dict(press.extra) == {
        "fw": "esp32-1.4.2",
        "battery_mv": 3712,
        "x_vendor": {"model": "BX-4", "tags": ["a", 1, None, True]},
    }
    assert list(json.loads(press.to_bytes()))[-3:] == ["fw", "battery_mv", "x_vendor"]


def test_optional_fields_omitted_sample_gets_defaults():
    press = parse_press((SAMPLES / "valid" / "press-optional-fields-omitted.json").read_bytes())
    assert press.reason is None and press.counter is None and press.dossier is None
    assert press.mode == "live"


def test_config_full_sample_is_vietnamese_nfc():
    config = parse_config((SAMPLES / "valid" / "config-full.json").read_bytes())
    assert config.official_name == "Nguyễn Văn An"
    assert config.field_name == "Hộ tịch"
    assert config.labels == ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng")
    assert config.reasons[0] == "Chờ quá lâu"
    assert config.office_hours == (("07:30", "11:30"), ("13:30", "17:00"))
    assert config.cooldown_s == 5 and config.require_dossier is False
    assert config.resend_from is None


def test_health_full_sample_anchor():
    health = parse_health((SAMPLES / "valid" / "health-full.json").read_bytes())
    assert health.anchor.mono == 5000.125
    assert health.anchor.ts == "2024-03-05T07:00:01.000+07:00"
    assert health.faults == ("button-2-stuck", "screen-missing")


def test_collector_status_sample_has_no_session():
    status = parse_status((SAMPLES / "valid" / "status-collector-online.json").read_bytes())
    assert status.state == "online" and status.session is None


def test_too_large_sample_is_otherwise_valid():
    data = (SAMPLES / "invalid" / "press-too-large.json").read_bytes()
    assert len(data) > 16 * 1024
    obj = json.loads(data)
    assert parse_press(json.dumps({**obj, "padding": "x"}).encode()).seq == obj["seq"]


def test_documented_examples_are_valid_samples():
    doc = (SAMPLES.parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)\n```", doc, re.DOTALL)
    samples = {(SAMPLES / "valid" / name).read_bytes(): name for name in VALID}
    assert len(blocks) >= 6
    for block in blocks:
        assert block.encode() in samples, block[:60]


def test_not_utf8_sample_really_is_not_utf8():
    data = (SAMPLES / "invalid" / "press-not-utf8.bin").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_config_voice_sample_carries_voice_and_volume_as_fields():
    config = parse_config((SAMPLES / "valid" / "config-voice-off-quiet.json").read_bytes())
    assert (config.voice, config.volume, dict(config.extra)) == (False, 40, {})
    assert parse_config(b'{"v":1}').present() == {}, "absent: the device keeps its own"
