"""Tests for hardware/: the pin map is the kiosk's default, and the documents agree with it."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hailong.device.pinmap import BUNDLED, load_pin_map

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"
# BCM number -> physical header pin, for the GPIOs on pins 27-40 and the SPI panel's pins 1-26.
HEADER = {5: 29, 6: 31, 13: 33, 19: 35, 12: 32, 16: 36, 20: 38, 21: 40, 26: 37, 0: 27, 1: 28}
LEVELS = ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"]


def test_the_kiosk_reads_the_documented_pin_map_by_default():
    assert BUNDLED == HARDWARE / "pinmap.toml"
    assert load_pin_map(None) == load_pin_map(HARDWARE / "pinmap.toml")


def test_every_pin_is_clear_of_an_spi_panel():
    pins = load_pin_map(None)
    used = [*pins["buttons"], *pins["leds"], pins["buzzer"]]
    assert len(set(used)) == len(used)
    assert all(HEADER.get(gpio, 0) >= 29 for gpio in used), "pins 1-26 belong to an SPI panel"


def test_the_pin_table_matches_the_pin_map():
    pins, text = load_pin_map(None), (HARDWARE / "README.md").read_text()
    # buttons are "Nút 1" … "Nút 4", numbered from the left as the citizen sees them
    rows = re.findall(r"^\| (Nút|LED) (\d)[^|]*\| [^|]*\| GPIO(\d+) \| (\d+) \|", text, re.M)
    found = {(kind, int(n)): (int(gpio), int(pin)) for kind, n, gpio, pin in rows}
    for i in range(4):
        assert found[("Nút", i + 1)] == (pins["buttons"][i], HEADER[pins["buttons"][i]])
        assert found[("LED", i + 1)] == (pins["leds"][i], HEADER[pins["leds"][i]])
    assert f"| GPIO{pins['buzzer']} | {HEADER[pins['buzzer']]} |" in text


def test_svgs_are_well_formed_and_labelled():
    for name in ("wiring.svg", "faceplate.svg"):
        ET.parse(HARDWARE / name)  # raises on broken XML
    wiring = (HARDWARE / "wiring.svg").read_text()
    for gpio in load_pin_map(None)["buttons"]:
        assert f"GPIO{gpio} · chân/pin {HEADER[gpio]}" in wiring
    faceplate = (HARDWARE / "faceplate.svg").read_text()
    labels = [t for t in re.findall(r">([^<>]+)</text>", faceplate) if t in LEVELS]
    assert labels == LEVELS  # left to right, best first
