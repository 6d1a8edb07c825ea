"""hailong-kiosk: run the kiosk, or check it."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from dataclasses import replace
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from hailong.device.app import KioskApp
from hailong.device.checklist import exit_status, report
from hailong.device.clock import Clock
from hailong.device.config import STATE_DIR, KioskConfig, load_config
from hailong.device.console import Console
from hailong.device.inbox import Inbox
from hailong.device.journal import Journal, JournalError
from hailong.device.keys import read_keys
from hailong.device.simulate import Citizens
from hailong.device.uplink import Uplink
from hailong.device.voice import VOICES, VoiceError, render
from hailong.protocol import ConfigFileError, ProtocolError, parse_key

log = logging.getLogger("hailong.kiosk")


def package_version() -> str:
    """Return the installed hailong version."""
    try:
        return version("hailong")
    except PackageNotFoundError:
        return "0+unknown"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="hailong-kiosk", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the kiosk")
    run.add_argument("--headless", action="store_true", help="no screen; keys 1-4 on stdin rate")
    run.add_argument("--simulate", type=float, metavar="RATE", help="simulated presses per second")
    run.add_argument("--count", type=int, help="with --simulate: stop pressing after N presses")
    run.add_argument("--device", help="device id (overrides the file)")
    run.add_argument("--state-dir", type=Path, help="journal folder (overrides the file)")
    run.add_argument("--mqtt-port", type=int, help="broker port (overrides the file)")
    check = sub.add_parser(
        "selftest", help="check pins, lamps, screen, font, journal, broker, clock"
    )
    check.add_argument("--quick", action="store_true", help="do not pause for the eye and the ear")
    check.add_argument("--broker-timeout", type=float, default=10.0, metavar="S",
                       help="seconds to wait for the broker's answer")  # fmt: skip
    status = sub.add_parser("status", help="print the journal's counters (kiosk stopped)")
    status.add_argument("--json", action="store_true", help="print JSON")
    voice = sub.add_parser("voice", help="the spoken thanks").add_subparsers(
        dest="voice_command", required=True
    )
    render = voice.add_parser("render", help="render the spoken thanks with espeak-ng")
    render.add_argument("--state-dir", type=Path, help="the kiosk's state folder (else --config's)")
    render.add_argument("--language", choices=VOICES, action="append", help="default: all")
    setup = sub.add_parser(
        "provision", help="install the bundle from the boot partition (first boot)"
    )
    setup.add_argument(
        "--boot", type=Path, default=Path("/boot/firmware"), help="where hailong.toml is"
    )
    setup.add_argument("--root", type=Path, default=Path("/"), help="the system to install into")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command; exit 2 on bad configuration."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    if args.command == "provision":
        return provision(args)  # it writes the configuration, so it cannot read it first
    if args.command == "voice":
        return render_voice(args)  # at install time, before any kiosk.toml exists
    try:
        config = _config(args)
        config.mqtt_password()  # read secrets now: a bad path is a configuration error
        key = parse_key(config.signing_key()) if config.signing_key() else None
    except ConfigFileError as exc:
        print(f"hailong-kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
    except ProtocolError as exc:
        print(f"hailong-kiosk: configuration error: signing key: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        return run(config, args, key)
    if args.command == "selftest":
        return selftest(config, args)
    if args.command == "status":
        return status(config, args)
    return 2


def status(config: KioskConfig, args: argparse.Namespace) -> int:
    """Print last seq, acked watermark, backlog and session from the journal."""
    try:
        with Journal.open(config.state_dir / "journal") as journal:
            counts = {"device": config.device, "last_seq": journal.last_seq,
                      "acked": journal.acked, "backlog": journal.backlog,
                      "session": journal.session}  # fmt: skip
    except JournalError as exc:
        print(f"hailong-kiosk: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(counts))
    else:
        print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def provision(args: argparse.Namespace) -> int:
    """Install the provisioning bundle; exit 2 on a broken bundle, with nothing written."""
    # Imported here: first boot only, and every import costs a Pi's kiosk start (docs/performance.md).
    from hailong.device.provision import ProvisionError
    from hailong.device.provision import provision as install_bundle

    try:
        result = install_bundle(args.boot, args.root)
    except ConfigFileError as exc:
        print(f"hailong-kiosk: broken bundle, nothing written: {exc}", file=sys.stderr)
        return 2
    except (ProvisionError, OSError) as exc:
        print(f"hailong-kiosk: provisioning failed: {exc}", file=sys.stderr)
        return 1
    if result.device is None:
        print(f"no bundle in {args.boot}: nothing to do")
        return 0
    changed = ", ".join(result.changed) or "nothing changed"
    print(f"provisioned {result.device}: {changed}; bundle erased")
    return 0


def render_voice(args: argparse.Namespace) -> int:
    """Render the spoken thanks into the state folder; exit 1 when espeak-ng fails."""
    try:
        state_dir = args.state_dir or (
            load_config(args.config).state_dir if args.config else STATE_DIR
        )
    except ConfigFileError as exc:
        print(f"hailong-kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
    written = []
    for language in args.language or list(VOICES):
        try:
            written += render(state_dir / "voice", language)
        except (VoiceError, OSError) as exc:
            print(f"hailong-kiosk: cannot render the spoken thanks: {exc}", file=sys.stderr)
            return 1
    print(f"spoken thanks: {len(written)} files in {state_dir / 'voice'}")
    return 0


def _config(args: argparse.Namespace) -> KioskConfig:
    overrides = {}
    if getattr(args, "device", None):
        overrides["device"] = args.device
    if getattr(args, "state_dir", None):
        overrides["state_dir"] = args.state_dir
    config = load_config(args.config, **overrides)
    if getattr(args, "mqtt_port", None):
        config = replace(config, mqtt=replace(config.mqtt, port=args.mqtt_port))
    return config


def run(config: KioskConfig, args: argparse.Namespace, key: bytes | None) -> int:
    """Run the kiosk until SIGTERM or Ctrl-C."""
    try:
        journal = Journal.open(config.state_dir / "journal", segment_size=config.journal.segment_size,
                               retention_days=config.journal.retention_days)  # fmt: skip
    except (JournalError, OSError) as exc:
        print(f"hailong-kiosk: cannot open the journal: {exc}", file=sys.stderr)
        return 1
    inbox, stop = Inbox(), threading.Event()
    display = panel = sound = None
    if not args.headless:
        # pygame and gpiozero load only where they are used: pygame's import writes to stdout and
        # stderr, which `status --json` and a one-line configuration error must not carry.
        from hailong.device import hardware

        display, panel = hardware.open_display(config), hardware.open_panel(config, inbox)
        sound = hardware.open_sound(config) if display else None
    clock = Clock(config.tz)
    console = Console(config.kiosk.language, clock.now) if args.headless or args.simulate else None
    app = KioskApp(config, journal, clock, inbox, Uplink(config, inbox.put, key), display=display,
                   panel=panel, sound=sound, console=console, version=package_version())  # fmt: skip
    _on_signals(stop, inbox)
    citizens = _start_inputs(args, inbox, stop)
    app.run(stop)
    if citizens is not None:
        citizens.stop()
    return 0


def selftest(config: KioskConfig, args: argparse.Namespace) -> int:
    """Print the checklist; exit 1 when anything failed."""
    from hailong.device import selftest as checks  # it drives pygame and gpiozero: see run

    adapters = checks.Adapters(show_s=0.0 if args.quick else 0.4,
                               broker_timeout_s=args.broker_timeout)  # fmt: skip
    print(f"hailong-kiosk selftest: {config.device} {package_version()} ({config.source})")
    results = checks.run_checks(config, adapters)
    print(report(results), flush=True)
    return exit_status(results)


def _on_signals(stop: threading.Event, inbox: Inbox) -> None:
    def handler(signum, _frame):
        _stop(stop, inbox)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _stop(stop: threading.Event, inbox: Inbox) -> None:
    stop.set()
    inbox.put(None)  # wake the loop


def _start_inputs(args, inbox: Inbox, stop: threading.Event):
    citizens = None
    if args.simulate:
        citizens = Citizens(inbox.put, args.simulate, args.count)
        citizens.start()
    if args.headless and sys.stdin.isatty():
        quit_now = partial(_stop, stop, inbox)
        threading.Thread(target=read_keys, args=(inbox.put, stop, quit_now), daemon=True).start()
    return citizens


if __name__ == "__main__":
    sys.exit(main())
