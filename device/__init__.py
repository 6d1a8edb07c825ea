"""The kiosk: four buttons and a small screen that journal every press, then send it over MQTT.

`app` is the one loop that owns the state; `state` is the pure state machine it drives; `buttons`,
`scanner`, `screen`/`display`, `sound`, `journal` and `uplink` are the adapters around it.
"""
