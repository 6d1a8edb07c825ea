"""Read the button/LED/buzzer pin map (hardware/pinmap.toml is the default)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from hailong.device.panel import DEFAULT_PINS

# In a source checkout the documented pin map sits in hardware/; an installed kiosk has
# its own copy in /etc/hailong (set `pin_map` in kiosk.toml), else the built-in defaults.
BUNDLED = Path(__file__).resolve().parent.parent / "hardware" / "pinmap.toml"


def load_pin_map(path: Path | None) -> dict[str, Any]:
    """Return {"buttons": (4 pins), "leds": (4 pins), "buzzer": pin or None}."""
    source = path or (BUNDLED if BUNDLED.exists() else None)
    if source is None:
        return dict(DEFAULT_PINS)
    with open(source, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{source}: {exc}") from None
    pins = {"buttons": tuple(data.get("buttons", ())), "leds": tuple(data.get("leds", ())),
            "buzzer": data.get("buzzer")}  # fmt: skip
    for key in ("buttons", "leds"):
        if len(pins[key]) != 4 or not all(type(p) is int and 0 <= p <= 27 for p in pins[key]):
            raise ValueError(f"{source}: {key} must be 4 BCM pin numbers 0..27")
    if pins["buzzer"] is not None and not (
        type(pins["buzzer"]) is int and 0 <= pins["buzzer"] <= 27
    ):
        raise ValueError(f"{source}: buzzer must be a BCM pin number 0..27")
    return pins
