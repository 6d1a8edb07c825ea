"""`hailong-collector verify`: recheck what the figures rest on, and name whatever fails.

Three checks, each over everything stored: every press's payload against its stored columns
and, where its kiosk signs (a key in ingest.keys_dir or keys_dir/retired/), its HMAC; every
published file against the SHA-256 recorded when it was published; the audit log's hash chain.
Exit 0 when all hold, 1 naming each failure.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hailong.server.config import CollectorConfig

# Press columns copied from the payload as sent (at_ms may be re-dated, so it is not one).
SENT = ("device", "seq", "rating", "reason", "ts", "synced", "boot", "mono", "counter",
        "official", "field", "dossier", "mode")  # fmt: skip
SHOWN = 20  # failures printed per check; the rest are counted


def register(sub) -> None:
    """Add `verify` to the collector's subcommand parser."""
    verify = sub.add_parser("verify", help="recheck press signatures, published files, audit log")
    verify.add_argument("--folder", type=Path, help="publication folder (default: publish_folder in the configuration)")  # fmt: skip
    verify.set_defaults(run=verify_command)


def verify_command(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Run the three checks; print what was checked and every failure."""
    from hailong.server.reference.audit import chain_breaks
    from hailong.server.storage.db import open_database

    engine = open_database(config.database)
    try:
        with engine.connect() as conn:
            checks = [
                ("presses", *check_presses(conn, device_keys(config.ingest.keys_dir))),
                ("published files", *check_published(conn, args.folder or config.publish_folder)),
                ("audit log rows", *chain_breaks(conn)),
            ]
    finally:
        engine.dispose()
    failed = 0
    for name, checked, problems in checks:
        print(f"{name}: {checked} checked, {len(problems)} failed")
        for problem in problems[:SHOWN]:
            print(f"  FAILED {problem}")
        if len(problems) > SHOWN:
            print(f"  … and {len(problems) - SHOWN} more")
        failed += len(problems)
    print("verify: OK" if not failed else f"verify: {failed} failures")
    return 1 if failed else 0


def device_keys(folder: Path | None) -> dict[str, list[bytes]]:
    """Return device -> every key it has signed with: the current one and the retired ones."""
    from hailong.protocol import ProtocolError
    from hailong.protocol.signing import parse_key

    keys: dict[str, list[bytes]] = {}
    if folder is None:
        return keys
    found = [(p.stem, p) for p in folder.glob("*.key")]
    # provision.py retires a key as retired/<device>-<stamp>.key.
    found += [(p.stem.rsplit("-", 1)[0], p) for p in (folder / "retired").glob("*.key")]
    for device, path in found:
        try:
            keys.setdefault(device, []).append(parse_key(path.read_text()))
        except (OSError, ProtocolError) as exc:
            print(f"verify: ignoring key {path}: {exc}")
    return keys


def check_presses(conn, keys: dict[str, list[bytes]]) -> tuple[int, list[str]]:
    """Recheck every stored press: payload against columns, and signature where its kiosk signs."""
    from sqlalchemy import select

    from hailong.server.storage.db import presses

    registered = _registered(conn)
    columns = [presses.c[name] for name in (*SENT, "received_ms", "payload", "sig")]
    rows = conn.execution_options(yield_per=2000).execute(select(*columns).order_by(presses.c.id))
    checked, problems = 0, []
    for row in rows:
        checked += 1
        problem = _press_problem(row, keys.get(row.device, []), registered.get(row.device))
        if problem:
            problems.append(f"press {row.device}/{row.seq}: {problem}")
    return checked, problems


def _press_problem(row, keys: list[bytes], registered_ms: int | None) -> str | None:
    """Return what is wrong with one stored press, or None."""
    from hailong.protocol import ProtocolError
    from hailong.protocol.press import parse_press
    from hailong.protocol.signing import verify

    payload = bytes(row.payload)
    if keys and row.sig is None:
        # Presses stored before the kiosk was registered (`device add`) were never signed.
        if registered_ms is None or row.received_ms >= registered_ms:
            return "not signed, though its kiosk signs its presses"
    elif keys and not any(verify(key, payload, row.sig) for key in keys):
        return "signature does not match the stored payload"
    try:
        sent = parse_press(payload)
    except ProtocolError as exc:
        return f"stored payload is not a valid press ({exc})"
    differ = [n for n in SENT if _norm(getattr(sent, n)) != _norm(getattr(row, n))]
    return f"stored {', '.join(differ)} differ from the payload" if differ else None


def _norm(value):
    """Compare booleans, numbers and text alike across dialects."""
    return float(value) if isinstance(value, (bool, int, float)) else value


def _registered(conn) -> dict[str, int]:
    """Return device -> when it was first registered (its first provision audit row)."""
    from sqlalchemy import func, select

    from hailong.server.storage.db import audit

    rows = conn.execute(
        select(audit.c.key, func.min(audit.c.at_ms))
        .where(audit.c.entity == "device", audit.c.action.in_(("provision", "rotate")))
        .group_by(audit.c.key)
    )
    return {device: int(at) for device, at in rows}


def check_published(conn, folder: Path) -> tuple[int, list[str]]:
    """Recheck every published file against its recorded SHA-256 and size.

    Of several offices each published into <folder>/<office code>/ (reporting/publish.py).
    """
    from hailong.server.reference import offices, scope

    every = offices.every_office(conn)
    if len(every) == 1:
        return _check_records(conn, folder)
    checked, problems = 0, []
    for one in every:
        with scope.acting_for(conn, one):
            n, found = _check_records(conn, folder / one.code)
        checked, problems = checked + n, problems + found
    return checked, problems


def _check_records(conn, folder: Path) -> tuple[int, list[str]]:
    """Recheck the published files of the office acted for (every one outside a scope)."""
    from hailong.server.reporting.published import every_record, file_digest

    problems, records = [], every_record(conn, upward=None)
    for rec in records:
        path = folder / rec.path
        if not path.is_file():
            problems.append(f"published {rec.path}: missing from {folder}")
            continue
        sha, size = file_digest(path)
        if (sha, size) != (rec.sha256, rec.size):
            problems.append(f"published {rec.path}: content differs from what was published")
    return len(records), problems
