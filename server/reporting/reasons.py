"""Why citizens were not satisfied: the follow-up answers after a low rating, per field and official.

A kiosk asks "why?" after the levels in LOW_RATINGS when its Config carries `reasons` (four
labels; the press's `reason` is 1..4, or null when the citizen skipped or the question timed
out). Presses are counted with the one counting rule (queries.py: live, in the period, not
excluded) and attributed to the roster's official like every other figure of the report.

The labels in force are the `reasons` of the Config the collector keeps for its kiosks
(devices.config, the one it pushes); the reason number is the key, so a label renamed later
still counts the same answers. The table is left out while no kiosk asks and no press answered.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from hailong.protocol import ProtocolError, parse_config
from hailong.protocol.i18n import N_
from hailong.server.reporting import queries as q
from hailong.server.storage.db import devices, presses

# The kiosk asks after these levels (device/state.py KioskSettings.low_ratings): "Không hài
# lòng" (1) and "Bình thường" (2), as only the two upper levels count as satisfied.
LOW_RATINGS = (1, 2)
REASONS = (1, 2, 3, 4)
# The kiosk's own default labels (device/texts.py), for answers stored before any Config named them.
DEFAULT_LABELS = ("Thời gian chờ lâu", "Thái độ cán bộ", "Thủ tục, hồ sơ phức tạp", "Lý do khác")
NO_FIELD_NAME = N_("Không ghi lĩnh vực")
NO_OFFICIAL_NAME = N_("Chưa xác định cán bộ")


@dataclass(frozen=True)
class ReasonRow:
    """One field's or official's low ratings, by the reason given."""

    code: str  # the field or official code; "" for none
    name: str
    counts: tuple[int, int, int, int]  # reason 1..4
    no_answer: int  # skipped or timed out

    @property
    def total(self) -> int:
        """Return the low ratings of the row, answered or not."""
        return sum(self.counts) + self.no_answer


@dataclass(frozen=True)
class Reasons:
    """Table R: the reasons for low ratings, per field and per official, with their total."""

    labels: tuple[str, ...]  # reason 1..4, as the kiosks show them
    fields: tuple[ReasonRow, ...]
    officials: tuple[ReasonRow, ...]
    total: ReasonRow


def reason_table(
    conn: Connection, bounds: tuple[int, int], excluded: Iterable, sort_key: Callable
) -> Reasons | None:
    """Count the reasons of the period's low ratings; None while reasons are off and unanswered.

    `excluded` are the period's excluded presses (queries.excluded_ratings); `sort_key` orders
    names the way the report does.
    """
    counts = _take_out(conn, bounds, _grouped(conn, bounds), excluded)
    labels = labels_in_force(conn)
    if labels is None and not any(reason for (_f, _o, reason) in counts):
        return None
    field_rows = _rows(counts, 0, _field_names(conn, counts), NO_FIELD_NAME, sort_key)
    names = q.official_names(conn, {o for (_f, o, _r) in counts if o})
    official_rows = _rows(counts, 1, names, NO_OFFICIAL_NAME, sort_key)
    total = _row("", "Tổng cộng", counts)
    return Reasons(labels or DEFAULT_LABELS, field_rows, official_rows, total)


def labels_in_force(conn: Connection) -> tuple[str, ...] | None:
    """Return the reason labels the collector's kiosk Configs carry (the most common), or None."""
    found: Counter = Counter()
    for (text,) in conn.execute(select(devices.c.config).where(devices.c.config.is_not(None))):
        with contextlib.suppress(ProtocolError):  # an unreadable Config names no labels
            reasons = parse_config(text.encode()).present().get("reasons")
            if reasons:
                found[tuple(reasons)] += 1
    return found.most_common(1)[0][0] if found else None


def _grouped(conn: Connection, bounds: tuple[int, int]) -> Counter:
    """Count live low ratings per (field or "", attributed official or None, reason or None)."""
    official = q.attributed_official().label("official")
    query = (
        select(presses.c.field, official, presses.c.reason, func.count())
        .where(q.counted(*bounds), presses.c.rating.in_(LOW_RATINGS))
        .group_by(presses.c.field, official, presses.c.reason)
    )
    return Counter({(f or "", o, r): n for f, o, r, n in conn.execute(query)})


def _take_out(conn: Connection, bounds, counts: Counter, excluded: Iterable) -> Counter:
    """Subtract the excluded low ratings, grouped as _grouped groups them."""
    low = {(r.device, r.seq): r for r in excluded if r.rating in LOW_RATINGS}
    if not low:
        return counts
    # Rating leaves the reason out (queries.press_columns): read it for these few presses.
    keys = or_(*(and_(presses.c.device == d, presses.c.seq == s) for d, s in low))
    query = select(presses.c.device, presses.c.seq, presses.c.reason).where(
        q.counted(*bounds), keys
    )
    gone = {(d, s): reason for d, s, reason in conn.execute(query)}
    key = lambda r: (r.field or "", r.official, gone[(r.device, r.seq)])  # noqa: E731
    return q.take_out_excluded(counts, (r for k, r in low.items() if k in gone), key)


def _field_names(conn: Connection, counts: Counter) -> dict[str, str]:
    """Return code -> name for the fields of the counts."""
    known = q.field_list(conn)
    return {f: known.get(f, (f, True))[0] for (f, _o, _r) in counts if f}


def _rows(counts: Counter, part: int, names: dict, none_name: str, sort_key) -> tuple:
    """Return a row per value of the key's `part` (0 field, 1 official), the unknown one last."""
    codes = {key[part] or "" for key in counts}
    order = sorted(codes, key=lambda c: (c == "", sort_key(names.get(c, c) or none_name)))
    rows = []
    for code in order:
        mine = Counter({k: n for k, n in counts.items() if (k[part] or "") == code})
        rows.append(_row(code, names.get(code, code) if code else none_name, mine))
    return tuple(rows)


def _row(code: str, name: str, counts: Counter) -> ReasonRow:
    """Sum counts keyed (…, reason) into one row."""
    by_reason = Counter()
    for key, n in counts.items():
        by_reason[key[-1]] += n
    answered = tuple(by_reason[r] for r in REASONS)
    no_answer = sum(n for r, n in by_reason.items() if r not in REASONS)
    return ReasonRow(code, name, answered, no_answer)  # type: ignore[arg-type]
