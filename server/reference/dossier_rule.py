"""One rating per dossier: a later live rating of a dossier already rated is excluded, with why.

Kiosks refuse a receipt they have seen, but two kiosks of one office could each take the same
one. The press is kept (nothing is deleted); a correction by the collector excludes it from the
numbers, and the report shows it among the filtered presses with this reason.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.reference.audit import record
from hailong.server.reporting.queries import live
from hailong.server.storage.db import corrections, presses

REASON = "hồ sơ đã được đánh giá trước đó"  # the dossier was rated before
ACTOR = "collector"


def exclude_repeats(conn: Connection, fresh_keys: set[tuple[str, int]], codes: set[str]) -> int:
    """Exclude the just-stored live presses whose dossier an earlier press rated; return count."""
    if not codes:
        return 0
    rows = conn.execute(
        select(presses.c.dossier, presses.c.device, presses.c.seq)
        .where(presses.c.dossier.in_(sorted(codes)), live())
        .order_by(presses.c.id)  # the first stored is the rating that counts
    ).all()
    first: dict[str, tuple[str, int]] = {}
    excluded, at = 0, now_ms()
    for code, device, seq in rows:
        if code not in first:
            first[code] = (device, seq)
        elif (device, seq) in fresh_keys:
            row = {"device": device, "seq": seq, "action": "exclude", "reason": REASON}
            conn.execute(corrections.insert().values(**row, actor=ACTOR, at_ms=at))
            earlier = "{}/{}".format(*first[code])
            record(conn, ACTOR, "exclude", "press", f"{device}/{seq}", None,
                   {**row, "dossier": code, "first": earlier}, at)  # fmt: skip
            excluded += 1
    return excluded
