"""What was in force at an instant, for the histories kept as [start_ms, end_ms) rows.

Duty (who served at a counter) and placements (where a kiosk stood) follow one rule: a row covers
[start_ms, end_ms), an open row has no end; at the instant one ends and the next begins, the next
one holds. Overlapping rows (refused when written, possible in old or hand-edited data): the
latest start wins, then the latest row.
"""

from __future__ import annotations

from sqlalchemy import Table, or_, select


def in_force(table: Table, value: str, key: str, keyed, at_ms, *also):
    """Return the scalar query "table.value of the row for table.key == keyed at at_ms".

    `keyed` and `at_ms` may be values or columns of an outer query, which are correlated;
    `also` are further conditions (the office a duty belongs to).
    """
    c = table.c
    return (
        select(c[value])
        .where(
            c[key] == keyed,
            *also,
            c.start_ms <= at_ms,
            or_(c.end_ms.is_(None), c.end_ms > at_ms),
        )
        .order_by(c.start_ms.desc(), c.id.desc())
        .limit(1)
        .correlate_except(table)
        .scalar_subquery()
    )
