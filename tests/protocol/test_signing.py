"""HMAC-SHA256 signatures over the exact payload bytes, and signing keys stored as hex."""

import hashlib
import hmac
from pathlib import Path

import pytest

from hailong.protocol import SIG_PROPERTY, ProtocolError, parse_key, sign, verify

KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
PAYLOAD = (
    '{"v":1,"device":"k1","seq":1,"rating":4,"reason":null,'
    '"ts":"2024-03-05T08:30:00.123+07:00","synced":true,"boot":"b","mono":1.5,'
    '"counter":"Quầy 1","official":null,"field":null,"dossier":null,"mode":"live"}'
).encode()


def test_property_name():
    assert SIG_PROPERTY == "sig"


def test_sign_is_lowercase_hex_hmac_sha256():
    sig = sign(KEY, PAYLOAD)
    assert sig == hmac.new(KEY, PAYLOAD, hashlib.sha256).hexdigest()
    assert len(sig) == 64 and sig == sig.lower()
    assert int(sig, 16) >= 0


def test_known_vector():
    # RFC 4231 test case 2: key "Jefe".
    sig = sign(b"Jefe", b"what do ya want for nothing?")
    assert sig == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_documented_test_vector():
    # docs/protocol.md, section 5: the key below over the bytes of valid/press-full.json.
    key = parse_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    payload = (Path(__file__).parent / "samples" / "valid" / "press-full.json").read_bytes()
    assert len(payload) == 274
    sig = "b02feeacf13f1388389db0d180f1bf062efd513864aa7770978ff08fae3e55a0"
    assert sign(key, payload) == sig
    assert verify(key, payload, sig)


def test_sign_verify_round_trip():
    assert verify(KEY, PAYLOAD, sign(KEY, PAYLOAD))


def test_every_flipped_byte_fails():
    sig = sign(KEY, PAYLOAD)
    for i in range(0, len(PAYLOAD), 7):
        tampered = bytearray(PAYLOAD)
        tampered[i] ^= 0x01
        assert not verify(KEY, bytes(tampered), sig), i


def test_re_serialised_payload_with_other_whitespace_fails():
    assert not verify(KEY, PAYLOAD.replace(b'"v":1,', b'"v": 1,'), sign(KEY, PAYLOAD))


def test_flipped_signature_digit_fails():
    sig = sign(KEY, PAYLOAD)
    flipped = ("1" if sig[0] == "0" else "0") + sig[1:]
    assert not verify(KEY, PAYLOAD, flipped)
    assert not verify(KEY, PAYLOAD, sig[:-1])
    assert not verify(KEY, PAYLOAD, sig + "0")


def test_wrong_key_fails():
    other = bytes(reversed(KEY))
    assert not verify(other, PAYLOAD, sign(KEY, PAYLOAD))


@pytest.mark.parametrize("sig", [None, "", b"", 0])
def test_missing_signature_fails(sig):
    assert verify(KEY, PAYLOAD, sig) is False


def test_non_ascii_signature_fails_without_raising():
    assert verify(KEY, PAYLOAD, "é" * 64) is False
    assert verify(KEY, PAYLOAD, sign(KEY, PAYLOAD)[:-1] + "٠") is False


def test_uppercase_hex_and_surrounding_space_accepted():
    sig = sign(KEY, PAYLOAD)
    assert verify(KEY, PAYLOAD, sig.upper())
    assert verify(KEY, PAYLOAD, f" {sig}\n")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("00" * 16, bytes(16)),
        ("AbCdEf" + "0" * 26, bytes.fromhex("abcdef" + "0" * 26)),
        ("  " + "ff" * 32 + "\n", b"\xff" * 32),
        ("11" * 128, b"\x11" * 128),
    ],
)
def test_parse_key_accepts(text, key):
    assert parse_key(text) == key


@pytest.mark.parametrize(
    "text",
    ["", "00" * 15 + "0", "0" * 30, "0" * 33, "11" * 129, "zz" * 16, "00 11" * 8, "0x" + "00" * 16],
)
def test_parse_key_rejects(text):
    with pytest.raises(ProtocolError) as caught:
        parse_key(text)
    assert caught.value.field == "key"


def test_parsed_key_signs_like_the_raw_key():
    text = KEY.hex().upper()
    assert sign(parse_key(text), PAYLOAD) == sign(KEY, PAYLOAD)


def test_each_signature_stands_alone_however_keys_and_payloads_interleave():
    # sign() reuses one keyed state per key: no payload may leak into the next signature.
    keys = [KEY, b"Jefe", bytes(range(16)), bytes(range(200))]  # 200 bytes: hashed, per RFC 2104
    payloads = [PAYLOAD, b"", b"x" * 1000, PAYLOAD[:50]]
    for _ in range(3):
        for key in keys:
            for payload in payloads:
                assert sign(key, payload) == hmac.new(key, payload, hashlib.sha256).hexdigest()
