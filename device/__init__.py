"""The kiosk: four buttons and a small screen that journal every press, then send it over MQTT.

`app` is the one loop that owns the state, with `link` its network half; `state` is the pure state
machine it drives. Everything that reaches the loop is a type in `events`; what the loop shows of
itself is a `status.KioskStatus` snapshot. Around it the adapters, which never import the loop:
`buttons`/`panel`, `scanner`/`keys`, `screen`/`display`, `sound`, `health`, `journal` (with
`archive` and `segments`), `uplink`. `cli` wires them; `selftest` checks them.
"""

import os

# pygame greets on stdout when imported: no place for it in `status --json` or a journald log.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
