"""hailong-collector: ingest presses, serve the pages, print summaries, run the demo."""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

from hailong.protocol import ConfigFileError
from hailong.server.cli import accounts as web_cli
from hailong.server.cli import reports as report_cli
from hailong.server.cli import staff as admin_cli
from hailong.server.config import CollectorConfig, load_config
from hailong.server.errors import CollectorError

log = logging.getLogger("hailong.collector")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="hailong-collector", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="receive presses from the broker and store them")
    ingest.add_argument("--instance", type=_instance_name,
                        help="name of this instance when several share the presses "
                             "(appended to mqtt.client_id: each keeps its own session)")  # fmt: skip
    sub.add_parser("web", help="serve the summary page")
    summary = sub.add_parser("summary", help="print counts per level for a date range")
    summary.add_argument("--from", dest="first", required=True, help="first day, dd/mm/yyyy")
    summary.add_argument("--to", dest="last", required=True, help="last day, dd/mm/yyyy")
    summary.add_argument("--json", action="store_true", help="print JSON")
    demo = sub.add_parser("demo", help="broker, collector and three simulated kiosks")
    demo.add_argument("--folder", type=Path, default=Path("var/demo"), help="working folder")
    demo.add_argument("--port", type=int, default=8080, help="web port")
    demo.add_argument("--rate", type=float, default=0.5, help="presses per second per kiosk")
    admin_cli.register(sub)
    report_cli.register(sub)
    web_cli.register(sub)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit 2 on bad configuration or arguments."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        config = load_config(args.config)
        if getattr(args, "admin", None) is not None:
            return admin_cli.run(config, args)
        return COMMANDS[args.command](config, args)
    except ConfigFileError as exc:
        print(f"hailong-collector: configuration error: {exc}", file=sys.stderr)
        return 2
    except CollectorError as exc:
        print(f"hailong-collector: {exc}", file=sys.stderr)
        return 1


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
    stop = _stop_on_signals()
    worker = Ingest(config, open_database(config.database))
    signal.signal(signal.SIGHUP, lambda *_: worker.reload_keys.set())
    worker.run(stop)
    return 0


def web(config: CollectorConfig, _args) -> int:
    """Serve the pages with waitress (a production WSGI server)."""
    import waitress

    from hailong.server.web import create_app

    app = create_app(config)
    log.info("serving on http://%s:%d/", config.web.host, config.web.port)
    waitress.serve(
        app, host=config.web.host, port=config.web.port, threads=config.web.threads, _quiet=True
    )
    return 0


def summary(config: CollectorConfig, args) -> int:
    """Print counts per level, the total and the satisfaction rate for a date range."""
    from hailong.server.reporting.metrics import fmt_pct
    from hailong.server.reporting.periods import custom, format_dmy, parse_user_date
    from hailong.server.reporting.summary import level_stats
    from hailong.server.storage.db import open_database

    try:
        first, last = parse_user_date(args.first), parse_user_date(args.last)
    except ValueError as exc:
        print(f"hailong-collector: {exc}", file=sys.stderr)
        return 2
    if last < first:
        print("hailong-collector: --to is before --from", file=sys.stderr)
        return 2
    with open_database(config.database).connect() as conn:
        stats = level_stats(conn, *custom(first, last).bounds_ms(config.time_zone))
    if args.json:
        print(json.dumps(_summary_json(stats, first, last), ensure_ascii=False))
        return 0
    print(f"Từ ngày {format_dmy(first)} đến ngày {format_dmy(last)}")
    for level, name in LEVEL_NAMES.items():
        print(f"  {name:<16} {stats.counts[level]:>8}  {fmt_pct(stats.shares[level]):>7}")
    print(f"  {'Tổng số':<16} {stats.total:>8}")
    print(f"  {'Tỷ lệ hài lòng':<16} {fmt_pct(stats.rate):>17}")
    return 0


LEVEL_NAMES = {4: "Rất hài lòng", 3: "Hài lòng", 2: "Bình thường", 1: "Không hài lòng"}


def _summary_json(stats, first, last) -> dict:
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "counts": {str(level): stats.counts[level] for level in LEVEL_NAMES},
        "total": stats.total,
        "rate": None if stats.rate is None else round(stats.rate, 1),
    }


def demo(config: CollectorConfig, args) -> int:
    """Run the whole system on this machine until Ctrl-C."""
    from hailong.server.demo import run_demo

    return run_demo(args.folder, web_port=args.port, rate=args.rate)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


COMMANDS = {
    "ingest": ingest,
    "web": web,
    "summary": summary,
    "demo": demo,
    **report_cli.COMMANDS,
    **web_cli.COMMANDS,
}
