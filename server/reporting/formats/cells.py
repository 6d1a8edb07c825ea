"""Typed cells of a report table, and how each kind is written for people and for machines.

A cell is an int (a count), a float (a percentage, 0–100), Points (a difference in
percentage points), Delta (a difference of counts), a str, or None (not shown: "—").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hailong.server.reporting.metrics import (
    BEST_FIRST,
    LEVEL_NAMES,
    LevelStats,
    fmt_pct,
    fmt_points,
)

HELD_BACK = "Chưa đủ mẫu"


class Points(float):
    """A difference in percentage points."""


class Delta(int):
    """A signed difference of counts."""


@dataclass(frozen=True)
class Column:
    """One column: its machine key, its heading, and the heading it shares with neighbours."""

    key: str
    heading: str
    group: str = ""
    width: float = 11.0  # in characters, as XLSX counts them; PDF scales to the page


@dataclass(frozen=True)
class Table:
    """One table of the report, ready for any format."""

    code: str
    title: str
    sheet: str  # XLSX sheet name (at most 31 characters)
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    keys: tuple[str, ...]  # a machine key per row: field or official code, "total", a measure
    marked: frozenset = field(default_factory=frozenset)  # (row, column key): below target
    totals: frozenset = field(default_factory=frozenset)  # rows shown in bold
    notes: tuple[str, ...] = ()


def level_columns(with_shares: bool = True) -> list[Column]:
    """Return count (and share) columns for the four levels, best first."""
    columns = []
    for level in BEST_FIRST:
        name = LEVEL_NAMES[level]
        columns.append(Column(f"level_{level}", "Số lượt", name, 9))
        if with_shares:
            columns.append(Column(f"level_{level}_pct", "Tỷ lệ", name, 9))
    return columns


def level_cells(stats: LevelStats, shown: bool = True) -> list:
    """Return counts and shares per level, best first; shares hidden when not shown."""
    cells = []
    for level in BEST_FIRST:
        cells += [stats.counts[level], stats.shares[level] if shown else None]
    return cells


def cell_text(value, lang: str = "vi") -> str:
    """Write a cell for people, the Vietnamese way: 1.234 · 82,7% · +1,2 · — (English: 1,234 · 82.7%)."""
    if value is None:
        return "—"
    if isinstance(value, Points):
        return fmt_points(value, lang)
    if isinstance(value, Delta):
        return ("+" if value > 0 else "") + thousands(value, lang)
    if isinstance(value, int):
        return thousands(value, lang)
    if isinstance(value, float):
        return fmt_pct(value, lang)
    return str(value)


def cell_value(value) -> str:
    """Write a cell for machines: plain digits, a dot for decimals, one decimal for percents."""
    if value is None:
        return ""
    if isinstance(value, Points):
        return fmt_points(value, "en")
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return fmt_pct(value, "en").removesuffix("%")
    return str(value)


def thousands(value: int, lang: str = "vi") -> str:
    """Group digits with dots, as Vietnamese does: 1.234.567 (English: 1,234,567)."""
    grouped = f"{int(value):,}"
    return grouped.replace(",", ".") if lang == "vi" else grouped


def points(value: float | None) -> Points | None:
    """Wrap a difference in percentage points."""
    return None if value is None else Points(value)
