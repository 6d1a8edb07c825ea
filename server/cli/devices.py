"""`hailong-collector device add` and `device revoke`: provision and retire kiosks.

Registered into the staff commands' `device` group (cli.staff), so they run in its
transaction; `args.collector` is the collector's configuration, for the broker's files.
"""

from __future__ import annotations

from pathlib import Path

from hailong.server.errors import InputError


def register(group, command) -> None:
    """Add `add` and `revoke` to the `device` command group."""
    add = command(group, "add", device_add, "provision a kiosk: broker account, key, bundle")
    add.add_argument("device")
    add.add_argument("--counter", required=True, help="the counter it stands at")
    add.add_argument("-o", "--output", type=Path,
                     help="bundle file, or a folder such as the SD card's boot partition "
                     "(default: ./<device>-hailong.toml)")  # fmt: skip
    add.add_argument("--language", choices=("vi", "en"), help="the kiosk's language")
    add.add_argument("--screen", metavar="WxH", help="panel size, e.g. 800x480 or 480x320")
    add.add_argument("--hostname", help="default: hailong-<device>")
    add.add_argument("--rotate", action="store_true", help="new credentials for a known kiosk")
    revoke = command(group, "revoke", device_revoke, "remove a kiosk's broker account and key")
    revoke.add_argument("device")


def device_add(conn, args, _tz):
    """Provision a kiosk and write its bundle."""
    from hailong.server.broker.provision import add_device

    output = args.output or Path(f"{args.device}-hailong.toml")
    done = add_device(conn, args.collector, args.device, args.counter, args.actor, output=output,
                      settings=_kiosk_settings(args), hostname=args.hostname,
                      rotate=args.rotate)  # fmt: skip
    return [
        f"kiosk {done.device} {'has new credentials' if done.rotated else 'provisioned'}"
        f" at counter {done.counter}",
        f"bundle (SECRET): {done.bundle} - copy it to the SD card's boot partition as "
        "hailong.toml, then delete this copy",
        f"signing key: {done.key_file}",
        _reloaded(done.reloaded),
    ]


def device_revoke(conn, args, _tz):
    """Revoke a kiosk's credentials."""
    from hailong.server.broker.provision import revoke_device

    done = revoke_device(conn, args.collector, args.device, args.actor)
    return [
        f"kiosk {done.device} revoked: broker account "
        f"{'removed' if done.account_removed else 'absent'}, key "
        f"{'retired to ' + str(done.retired_key) if done.retired_key else 'absent'}",
        _reloaded(done.reloaded),
    ]


def _kiosk_settings(args) -> dict:
    kiosk = {"counter": args.counter, "language": args.language}
    settings = {"kiosk": {k: v for k, v in kiosk.items() if v is not None}}
    if args.screen:
        width, _, height = args.screen.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            raise InputError(
                "--screen “{screen}”: hãy viết RỘNGxCAO, ví dụ 800x480", screen=args.screen
            )
        settings["screen"] = {"width": int(width), "height": int(height)}
    return settings


def _reloaded(told) -> str:
    if told:
        return f"told to reread their files: {', '.join(told)}"
    return ("no broker running here was told: reload it (systemctl reload mosquitto) "
            "and restart ingest (systemctl restart hailong-collector-ingest)")  # fmt: skip
