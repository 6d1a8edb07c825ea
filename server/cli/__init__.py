"""hailong-collector: ingest presses, serve the pages, print summaries and reports, run the demo.

Every command is registered by the module that owns it (`register(sub)`) and runs in one style:
the parser's default `run(config, args) -> int` is called with the loaded configuration.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from hailong.protocol import ConfigFileError
from hailong.server.cli import (
    accounts,
    bridge,
    database,
    offices,
    processes,
    province,
    records,
    reports,
    staff,
    verify,
)
from hailong.server.config import load_config
from hailong.server.errors import CollectorError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="hailong-collector", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (processes, reports, province, offices, staff, records, accounts):
        module.register(sub)
    database.register(sub)
    verify.register(sub)
    bridge.register(sub)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit 2 on bad configuration or arguments."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        return args.run(load_config(args.config), args)
    except ConfigFileError as exc:
        print(f"hailong-collector: configuration error: {exc}", file=sys.stderr)
        return 2
    except CollectorError as exc:
        print(f"hailong-collector: {exc}", file=sys.stderr)
        return 1
