"""Tests for device.scanner: rating keys against barcode bursts, on a fake clock."""

import pytest

from hailong.device.events import ButtonPressed, DossierScanned, ScanRejected
from hailong.device.scanner import Scanner, parse_code


def type_burst(scanner, text, start, step=0.005):
    """Type `text` one character every `step` seconds, as a scanner does; collect events."""
    events = []
    for i, char in enumerate(text):
        events += scanner.feed(char, start + i * step)
    return events


def test_a_lone_rating_key_becomes_a_press_once_the_gap_has_passed():
    scanner = Scanner()
    assert scanner.feed("3", 1.0) == []
    assert scanner.next_deadline() == pytest.approx(1.05)
    assert scanner.flush(1.049) == []
    assert scanner.flush(1.05) == [ButtonPressed(3, 1.0)]
    assert scanner.next_deadline() is None


def test_a_typed_rating_key_then_a_slow_enter_is_just_the_key():
    scanner = Scanner()
    scanner.feed("2", 0.0)
    assert scanner.feed("\r", 0.4) == [ButtonPressed(2, 0.0)]
    assert scanner.flush(1.0) == []


def test_two_slow_keys_are_two_presses():
    scanner = Scanner()
    assert scanner.feed("1", 0.0) == []
    assert scanner.feed("4", 0.3) == [ButtonPressed(1, 0.0)]
    assert scanner.flush(0.4) == [ButtonPressed(4, 0.3)]


def test_a_scanner_burst_ending_in_enter_is_a_dossier():
    scanner = Scanner()
    events = type_burst(scanner, "000.00.21.H12-240101-0001\r\n", 5.0)
    assert events == [DossierScanned("000.00.21.H12-240101-0001", pytest.approx(5.125))]
    assert scanner.flush(10.0) == []


def test_a_burst_starting_with_a_rating_digit_is_not_a_press():
    scanner = Scanner()
    events = type_burst(scanner, "12/2024\n", 0.0)
    assert [type(e) for e in events] == [DossierScanned]
    assert events[0].code == "12/2024"


def test_a_digit_then_enter_from_a_scanner_is_a_code():
    assert type_burst(Scanner(), "3\n", 0.0) == [DossierScanned("3", 0.005)]


def test_a_burst_without_enter_is_rejected_when_it_falls_silent():
    scanner = Scanner()
    type_burst(scanner, "ABC", 0.0)
    assert scanner.flush(1.0) == [ScanRejected("no-enter", "ABC", 0.0)]


def test_a_single_key_event_may_carry_several_characters():
    assert Scanner().feed("AB-1\n", 2.0) == [DossierScanned("AB-1", 2.0)]


def test_a_lone_enter_is_ignored():
    assert Scanner().feed("\n", 0.0) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("   ", "empty"),
        ("A" * 65, "too-long"),
        ("HỒ-SƠ-1", "bad-character"),
        ("AB 12", "bad-character"),
        ("AB;12", "bad-character"),
    ],
)
def test_bad_codes_are_rejected_with_a_reason(text, reason):
    assert parse_code(text, 0.0) == ScanRejected(reason, text, 0.0)


def test_codes_are_stripped_and_the_longest_valid_one_passes():
    assert parse_code("  A-1 \t", 0.0) == DossierScanned("A-1", 0.0)
    assert parse_code("x" * 64, 0.0) == DossierScanned("x" * 64, 0.0)


def test_a_code_is_normalised_to_nfc_before_it_is_checked():
    # U+212A KELVIN SIGN is NFC-normalised to the Latin letter K.
    assert parse_code("\u212a-9", 0.0) == DossierScanned("K-9", 0.0)


def test_an_endless_burst_is_bounded_and_rejected():
    scanner = Scanner()
    events = scanner.feed("9" * 10_000 + "\n", 0.0)
    assert len(events) == 1 and events[0].reason == "too-long"
    assert len(events[0].text) <= 256


def test_gap_must_be_positive():
    with pytest.raises(ValueError):
        Scanner(gap_s=0)
