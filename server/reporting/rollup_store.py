"""Writing half-month rollups: store counted ones, give valid ones a newer mark.

The write side of rollup.py, shared with rollup_batch.py: each write is one short transaction
(ingest waits on none of it for long), rollup rows go in with COPY on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from hailong.server.epoch import now_ms
from hailong.server.reference import scope
from hailong.server.reporting import marks
from hailong.server.storage.schema import report_half_counts, report_half_flags, report_halves

if TYPE_CHECKING:
    from hailong.server.reporting.rollup import Gathered

HALVES = (report_halves, report_half_counts, report_half_flags)


def store_halves(conn: Connection, parts, digest: str, mark: marks.Mark | None) -> None:
    """Store counted half-months in one short transaction, replacing what each office held.

    `parts`: (office id, (tz, first day), Gathered, fingerprint); office None: the office acted
    for. A half-month another report stored at the same moment is left as it stored it.
    """
    try:
        with conn.begin():
            for office, (tz, first_day), part, seen in parts:
                for table in HALVES:
                    mine = scope.owned(table) if office is None else table.c.office_id == office
                    conn.execute(
                        delete(table).where(table.c.tz == tz, table.c.first_day == first_day, mine)
                    )
                owner = scope.owner() if office is None else {"office_id": office}
                _write(conn, owner, (tz, first_day), part, seen, digest, mark)
    except IntegrityError:
        pass  # another report stored the same half-months at the same moment: theirs will do


def _write(conn, owner: dict, key, part: Gathered, seen, digest: str,
           mark: marks.Mark | None) -> None:  # fmt: skip
    """Insert one half-month's fingerprint, mark, counts and flag candidates."""
    tz, first_day = key
    mine = {"tz": tz, "first_day": first_day} | owner
    conn.execute(report_halves.insert().values(
        **owner,
        tz=tz, first_day=first_day, presses=seen[0], seq_sum=seen[1], offset_sum=seen[2],
        rules=digest, built_ms=now_ms(), press_mark=None if mark is None else mark.press,
        anchor_mark=None if mark is None else mark.anchors,
    ))  # fmt: skip
    counts = [
        {"dim": "field", "mode": m, "key": f, "rating": r, "n": n}
        for (m, f, r), n in part.by_field.items()
    ] + [
        {"dim": "official", "mode": "live", "key": o, "rating": r, "n": n}
        for (o, r), n in part.by_official.items()
    ]
    _insert(conn, report_half_counts, [mine | c for c in counts])
    names = ("device", "seq", "rating", "at_ms", "counter", "field", "mode", "official")
    flags = [mine | dict(zip(names, row, strict=True)) for row in part.candidates.values()]
    _insert(conn, report_half_flags, flags)


def _insert(conn: Connection, table, rows: list[dict]) -> None:
    """Insert rows: COPY on PostgreSQL (a statement a row cost 100 ms for 8,000 flag rows)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or "office_id" not in rows[0]:
        conn.execute(table.insert(), rows)  # outside a scope: office_id's default applies
        return
    names = list(rows[0])
    copy = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(copy) as out:
        for row in rows:
            out.write_row([row[name] for name in names])


def _unchanged(stored):
    """Return the condition "the stored row is still the one validated" (not counted again)."""
    t = report_halves.c
    if stored.press_mark is None:  # counted without a mark: only that very row
        return and_(t.press_mark.is_(None), t.built_ms == stored.built_ms)
    return and_(t.press_mark == stored.press_mark, t.anchor_mark == stored.anchor_mark)


def remark_all(conn: Connection, tz: str, found: Mapping, valid, mark: marks.Mark | None,
               owned: bool = False) -> None:  # fmt: skip
    """Give the stored half-months `valid` ((office, first day), found valid) the newer mark.

    One UPDATE per office and old mark: the rows of one report share their marks. `owned`:
    the rows are the office acted for's (its key may be None outside a scope).
    """
    if mark is None:
        return
    groups: dict[tuple, list] = {}
    for office, day in valid:
        row = found.get((office, day))
        newer = row is not None and row.press_mark is not None and row.press_mark >= mark.press
        if row is None or (newer and row.anchor_mark == mark.anchors):
            continue  # never lower a mark: a row counted after ours holds a later one
        was = (row.press_mark, row.anchor_mark, row.built_ms if row.press_mark is None else 0)
        groups.setdefault((office, was), []).append(row)
    if not groups:
        return
    t = report_halves.c
    with conn.begin():
        if conn.dialect.name == "postgresql":
            # A newer mark is bookkeeping: lost in a crash, the row keeps its older mark, still
            # exact (more presses to look through). The province page re-marks every request:
            # its commit need not wait for the disk beside ingest's.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        for (office, _was), held in groups.items():
            mine = scope.owned(report_halves) if owned else t.office_id == office
            conn.execute(
                report_halves.update()
                .where(t.tz == tz, mine, t.first_day.in_(sorted(r.first_day for r in held)),
                       _unchanged(held[0]))
                .values(press_mark=mark.press, anchor_mark=mark.anchors)
            )  # fmt: skip
