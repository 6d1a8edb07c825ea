"""One numbering of the buttons everywhere: 1 to 4 from the left, as the citizen sees them."""

import re
import tomllib
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from hailong.device.drawing import Text
from hailong.device.events import BUTTONS, stuck_code
from hailong.device.frame import Frame, position_of_rating
from hailong.device.layout import layout
from hailong.device.panel import DEFAULT_PINS
from hailong.device.scanner import Scanner
from hailong.device.state import rating_of
from hailong.device.texts import labels
from hailong.device.views import compose

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"
SVG = "{http://www.w3.org/2000/svg}"


class Widths:
    """Measure text as if every character were half its pixel size wide."""

    def size(self, text, px, bold=False):
        return len(text) * px // 2, px

    def height(self, px, bold=False):
        return px


def svg_texts(name: str) -> list[tuple[float, float, str]]:
    """Return (x, y, text) of every text element of an SVG in hardware/."""
    root = ET.parse(HARDWARE / name).getroot()
    return [(float(t.get("x")), float(t.get("y")), t.text or "") for t in root.iter(f"{SVG}text")]


def test_faceplate_numbers_the_holes_1_to_4_from_the_left_under_the_labels():
    texts = svg_texts("faceplate.svg")
    numbers = sorted((x, t) for x, _, t in texts if re.fullmatch(r"[1-4]", t))
    words = sorted((x, t) for x, _, t in texts if t in labels("vi"))
    assert [t for _, t in numbers] == ["1", "2", "3", "4"]
    assert [t for _, t in words] == list(labels("vi")), "best first, left to right"
    assert [x for x, _ in numbers] == [x for x, _ in words], "each number sits over its label"


def test_wiring_diagram_numbers_the_buttons_as_the_faceplate():
    texts = svg_texts("wiring.svg")
    caps = sorted((y, t) for x, y, t in texts if re.fullmatch(r"[1-4]", t) and x == 215)
    names = sorted((y, t) for _, y, t in texts if re.match(r"Nút \d:", t))
    assert [t for _, t in caps] == ["1", "2", "3", "4"]
    assert [t for _, t in names] == [f"Nút {n}: {labels('vi')[n - 1]}" for n in BUTTONS]


def test_pin_map_the_readme_table_and_the_code_list_the_same_pins_in_button_order():
    pins = tomllib.loads((HARDWARE / "pinmap.toml").read_text())
    table = re.findall(r"^\| Nút (\d) [^|]*\| mức (\d) ([^|]+?) \| GPIO(\d+) \|",
                       (HARDWARE / "README.md").read_text(), re.MULTILINE)  # fmt: skip
    assert [int(n) for n, *_ in table] == list(BUTTONS)
    assert [int(gpio) for *_, gpio in table] == pins["buttons"] == list(DEFAULT_PINS["buttons"])
    assert [(int(level), name) for _, level, name, _ in table] == [
        (rating_of(n), labels("vi")[n - 1]) for n in BUTTONS
    ]


@pytest.mark.parametrize("button", BUTTONS)
def test_the_code_numbers_button_n_as_the_faceplate(button):
    keyed = Scanner()
    keyed.feed(str(button), 0.0)
    [event] = keyed.flush(1.0)
    assert event.button == button, "headless key n is button n"
    assert position_of_rating(rating_of(button)) == button - 1, "button n is the nth from the left"
    assert stuck_code(button) == f"button-{button}-stuck"
    frame = Frame(view="service", now=datetime(2026, 3, 5, 8, 30))
    grid = layout((800, 480))
    [lamp] = [op for op in compose(frame, (800, 480), Widths()) if isinstance(op, Text)
              and op.text == f"Nút {button}"]  # fmt: skip
    assert grid.buttons[button - 1].contains(lamp.rect), "service mode's Nút n is the nth lamp"
