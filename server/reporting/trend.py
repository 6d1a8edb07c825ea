"""Each office's monthly accepted ratings over a run of months, in one query for every office.

The province page draws a small multiple of each commune's monthly satisfaction rate. Reading a
report per office and month would be a hundred offices times twelve reports; instead the live
presses of the whole run are counted once, grouped by office, month and rating (the month is a
CASE over the months' UTC bounds, the same SQL on SQLite and PostgreSQL), the presses a
correction excludes are taken out as every report takes them out (queries.accepted_counts), and
each office's counts go to the commune whose subtree holds it. The months need not follow each
other: the province page counts again only the months that got presses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from hailong.server.reporting import queries as q
from hailong.server.reporting.metrics import LEVELS
from hailong.server.reporting.periods import Period, named
from hailong.server.storage.schema import devices, presses


def months_before(period: Period, count: int = 12) -> tuple[Period, ...]:
    """Return the `count` months ending with the month that holds the period's last day."""
    year, month = period.end.year, period.end.month
    if period.convention == "cutoff" and period.end.day > 14:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    found = []
    for _ in range(count):
        found.append(named("month", year, month, period.convention))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return tuple(reversed(found))


def monthly_counts(conn: Connection, months: Sequence[Period], tz: str,
                   home: Mapping[int, str]) -> dict[str, list[dict[int, int]]]:  # fmt: skip
    """Return office code -> accepted ratings per level of each month, for the offices in `home`.

    `home` maps an office id to the code of the row it counts in (a site to its commune);
    presses of offices not in it are not read. Call outside any office scope, or for the root.
    """
    bounds = [m.bounds_ms(tz) for m in months]
    found = {code: [Counter() for _ in months] for code in set(home.values())}
    if not bounds:
        return {code: [] for code in found}
    start, end = min(b[0] for b in bounds), max(b[1] for b in bounds)
    which = case(*((and_(presses.c.at_ms >= a, presses.c.at_ms < b), i)
                   for i, (a, b) in enumerate(bounds)), else_=len(bounds))  # fmt: skip
    mine = presses.c.office_id.in_(sorted(home))
    rows = conn.execute(
        select(presses.c.office_id, which, presses.c.rating, func.count())
        .where(q.counted(start, end), mine)
        .group_by(presses.c.office_id, which, presses.c.rating)
    )  # fmt: skip
    counts = Counter({(office, index, rating): n for office, index, rating, n in rows})
    excluded = q.excluded_ratings(conn, start, end)  # another office's: dropped below
    office_of = dict(conn.execute(select(devices.c.device, devices.c.office_id)).all())
    counts = q.take_out_excluded(
        counts,
        excluded,
        lambda r: (office_of.get(r.device), _index(bounds, round(r.at.timestamp() * 1000)),
                   r.rating),
    )  # fmt: skip
    for (office, index, rating), n in counts.items():
        code = home.get(office)
        if code is not None and 0 <= index < len(months):
            found[code][int(index)][int(rating)] += n
    return {code: [{level: c[level] for level in LEVELS} for c in rows]
            for code, rows in found.items()}  # fmt: skip


def _index(bounds: Sequence[tuple[int, int]], at_ms: int) -> int:
    """Return the month of a press time, as the query's CASE does."""
    return next((i for i, (_s, stop) in enumerate(bounds) if at_ms < stop), len(bounds))
