"""`hailong-collector bridge …`: a commune's broker bridged up to the province's.

At the commune `export` (its kiosks and keys, for the province), `config` (its broker's bridge
stanza, from the province's bundle), `forward` (the long-running re-forwarder) and `status`
(how far the province has stored each kiosk); at the province `add` (accept a commune's kiosks
and issue its bridge's bundle). docs/scaling.md, "Communes bridged to the province", says how.
"""

from __future__ import annotations

from pathlib import Path

from hailong.server.cli.transaction import group as command_group
from hailong.server.cli.transaction import staff_command
from hailong.server.config import CollectorConfig
from hailong.server.errors import CollectorError, InputError


def register(sub) -> None:
    """Add the `bridge` command group."""
    command = staff_command()
    group = command_group(sub, "bridge", "a commune's broker bridged to the province's")
    export = command(group, "export", bridge_export,
                     "(commune) write its kiosks and signing keys for the province")  # fmt: skip
    export.add_argument("commune", help="this commune's name, e.g. xa-an-binh")
    export.add_argument("-o", "--output", type=Path, required=True, help="the file (SECRET)")
    export.add_argument("--device", action="append", help="only these kiosks (default: all)")
    add = command(group, "add", bridge_add,
                  "(province) accept a commune's kiosks; write its bridge bundle")  # fmt: skip
    add.add_argument("registration", type=Path, help="the file `bridge export` wrote")
    add.add_argument("-o", "--output", type=Path, required=True, help="bundle file (SECRET)")
    conf = command(group, "config", bridge_config,
                   "(commune) write the broker's bridge stanza from the province's bundle")  # fmt: skip
    conf.add_argument("bundle", type=Path, help="the file `bridge add` wrote")
    conf.add_argument("-o", "--output", type=Path, required=True,
                      help="e.g. /etc/mosquitto/conf.d/hailong.upward.conf")  # fmt: skip
    conf.add_argument("--ca-file", type=Path, help="where to put the province's CA certificate")
    conf.add_argument("--retry-max", type=int, default=60, metavar="SECONDS",
                      help="longest wait between reconnect attempts after a cut (default 60)")  # fmt: skip
    forward = group.add_parser("forward", help="(commune) re-forward what the province lacks")
    forward.add_argument("--bundle", type=Path, required=True, help="the bridge bundle")
    forward.add_argument("--timeout", type=float, default=60.0,
                         help="seconds the province may lag before presses are re-forwarded")  # fmt: skip
    forward.add_argument("--chunk", type=int, default=1000, help="presses per re-forward")
    forward.set_defaults(run=bridge_forward)
    status = group.add_parser("status", help="(commune) how far the province has stored each kiosk")
    status.add_argument("--bundle", type=Path, required=True, help="the bridge bundle")
    status.set_defaults(run=bridge_status)


def bridge_export(conn, args, _tz):
    """Write the commune's registration."""
    from hailong.server.broker.communes import export_registration

    reg = export_registration(conn, args.collector, args.commune, args.actor, args.output,
                              args.device)  # fmt: skip
    return [f"commune {reg.commune}: {len(reg.keys)} kiosk(s) ({', '.join(sorted(reg.keys))})",
            f"registration (SECRET, signing keys): {args.output} - hand it to the province "
            "(`hailong-collector bridge add`), then delete it"]  # fmt: skip


def bridge_add(conn, args, _tz):
    """Accept a commune at the province."""
    from hailong.server.broker.communes import add_commune

    done = add_commune(conn, args.collector, args.registration, args.actor, args.output)
    told = ", ".join(done.reloaded) or (
        "nothing running here was told: reload mosquitto and restart ingest (new keys)"
    )
    return [f"commune {done.commune}: kiosks {', '.join(done.devices)} accepted; "
            f"{len(done.new_keys)} new signing key(s)",
            f"bridge bundle (SECRET, a new password): {done.bundle} - hand it to the commune "
            "(`hailong-collector bridge config`), then delete it",
            f"told to reread their files: {told}"]  # fmt: skip


def bridge_config(conn, args, _tz):
    """Write the commune broker's bridge stanza."""
    from hailong.server.broker.communes import configure_bridge

    if not 1 <= args.retry_max <= 3600:
        raise InputError(
            "--retry-max phải từ 1 đến 3600 giây, không phải {value}", value=args.retry_max
        )
    bundle = configure_bridge(conn, args.collector, args.bundle, args.actor, args.output,
                              args.ca_file, args.retry_max)  # fmt: skip
    return [f"bridge to {bundle.host}:{bundle.port} for commune {bundle.commune} "
            f"({len(bundle.devices)} kiosk(s)) written to {args.output}",
            "restart mosquitto (a reload does not reread bridges): systemctl restart mosquitto",
            "then run `hailong-collector bridge forward --bundle …` "
            "(hailong-collector-upward.service)"]  # fmt: skip


def bridge_forward(config: CollectorConfig, args) -> int:
    """Run the re-forwarder until SIGTERM or Ctrl-C."""
    from hailong.server.broker.communes import read_bundle
    from hailong.server.broker.forward import Forwarder
    from hailong.server.cli.processes import stop_on_signals
    from hailong.server.storage.db import open_database

    config.mqtt_password()  # read secrets now: a bad path is a configuration error
    bundle = read_bundle(args.bundle)
    if args.timeout <= 0 or args.chunk < 1:
        raise CollectorError("--timeout phải lớn hơn 0 và --chunk ít nhất là 1")
    stop = stop_on_signals()
    Forwarder(config, open_database(config.database), bundle, args.timeout,
              max(args.timeout, 900.0), args.chunk).run(stop)  # fmt: skip
    return 0


def bridge_status(config: CollectorConfig, args) -> int:
    """Print each kiosk's watermark at the commune and at the province; 1 if any lags."""
    from hailong.server.broker.communes import read_bundle
    from hailong.server.broker.forward import read_progress
    from hailong.server.storage.db import open_database

    bundle = read_bundle(args.bundle)
    engine = open_database(config.database)
    try:
        rows, link = read_progress(config, engine, bundle)
    except OSError as exc:
        raise CollectorError("Không kết nối được broker của xã: {problem}", problem=exc) from None
    finally:
        engine.dispose()
    print(status_text(bundle, rows, link))
    return 0 if all(r.province is not None and r.province >= r.commune for r in rows) else 1


def status_text(bundle, rows, link: bool | None) -> str:
    """Return the status table a technician reads."""
    state = {True: "up", False: "DOWN", None: "unknown (no notification yet)"}[link]
    lines = [f"bridge of commune {bundle.commune} to {bundle.host}:{bundle.port}: {state}",
             f"{'kiosk':<20} {'commune':>9} {'province':>9} {'behind':>7}"]  # fmt: skip
    for r in rows:
        province = "?" if r.province is None else str(r.province)
        behind = r.commune - (r.province or 0)
        lines.append(f"{r.device:<20} {r.commune:>9} {province:>9} {max(behind, 0):>7}")
    return "\n".join(lines)
