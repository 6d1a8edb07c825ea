"""The long-running commands: `ingest`, `web` and `demo`.

Their imports are deferred to the command that needs them, so that `ingest` never loads Flask
and a staff command never loads paho: start-up time on a small collector, not a cycle.
"""

from __future__ import annotations

import argparse
import gc
import logging
import re
import signal
import threading
from dataclasses import replace
from pathlib import Path

from hailong.server.cli.signals import take_signals
from hailong.server.config import CollectorConfig

log = logging.getLogger("hailong.collector")


def register(sub) -> None:
    """Add `ingest`, `web` and `demo` to the collector's subcommand parser."""
    parser = sub.add_parser("ingest", help="receive presses from the broker and store them")
    parser.add_argument("--instance", type=_instance_name,
                        help="name of this instance when several share the presses "
                             "(appended to mqtt.client_id: each keeps its own session)")  # fmt: skip
    parser.set_defaults(run=ingest)
    sub.add_parser("web", help="serve the summary page").set_defaults(run=web)
    parser = sub.add_parser("demo", help="broker, collector and three simulated kiosks")
    parser.add_argument("--folder", type=Path, default=Path("var/demo"), help="working folder")
    parser.add_argument("--port", type=int, default=8080, help="web port")
    parser.add_argument("--rate", type=float, default=0.5, help="presses per second per kiosk")
    parser.set_defaults(run=demo)


def _instance_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", text):
        raise argparse.ArgumentTypeError(f"must be 1-32 letters, digits, - or _, got {text!r}")
    return text


def ingest(config: CollectorConfig, args) -> int:
    """Run the ingest process until SIGTERM or Ctrl-C."""
    from hailong.server.ingest.process import Ingest
    from hailong.server.storage.db import open_database

    config.mqtt_password()  # read secrets now: a bad path is a configuration error
    if args.instance:
        client_id = f"{config.mqtt.client_id}-{args.instance}"
        config = replace(config, mqtt=replace(config.mqtt, client_id=client_id))
    # Signals go to a thread of their own, taken before any other thread starts (see
    # server/cli/signals.py: a handler in the main thread could leave its queue wait stuck).
    stop, reload_keys = threading.Event(), threading.Event()
    take_signals(stop, on_hup=reload_keys.set)
    worker = Ingest(config, open_database(config.database))
    worker.reload_keys = reload_keys
    # What startup built lives as long as the process: kept out of every collection. And
    # the young generation is collected once it has grown by 100,000 objects, not 700: the
    # presses in flight (up to ~7,500, a handful of tracked objects each, all freed by
    # reference counting when their batch commits) set off a collection every hundred
    # presses or so, and full ones over all of them: 5-7 µs of CPU a press of ~30. At
    # 10,000 it still cost 1.4-4.6 µs; at 100,000 a run of 50,000 presses makes 0-1
    # collection (docs/performance.md). Cyclic garbage, rare here, waits a little longer.
    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
    worker.run(stop)
    return 0


def web(config: CollectorConfig, _args) -> int:
    """Serve the pages with waitress (a production WSGI server)."""
    import waitress

    from hailong.server.web import create_app
    from hailong.server.web.ratelimit import proxy_options

    app = create_app(config)
    log.info("serving on http://%s:%d/", config.web.host, config.web.port)
    waitress.serve(
        app, host=config.web.host, port=config.web.port, threads=config.web.threads, _quiet=True,
        connection_limit=config.web.connection_limit, channel_timeout=config.web.channel_timeout,
        **proxy_options(config.web),
    )  # fmt: skip
    return 0


def demo(config: CollectorConfig, args) -> int:
    """Run the whole system on this machine until Ctrl-C."""
    from hailong.server.demo import run_demo

    return run_demo(args.folder, web_port=args.port, rate=args.rate)


def stop_on_signals() -> threading.Event:
    """Return an event that SIGTERM or SIGINT sets."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
