"""The reference figures as each output channel prints them (cells of tables A, B, C)."""

from __future__ import annotations

from tests.reference.calc import NO_FIELD, FieldFigures, Figures, Levels, pct
from tests.reference.office import MIN_SAMPLE

NO_FIELD_NAME = "Không ghi lĩnh vực"
UNATTRIBUTED = "Chưa xác định cán bộ"
ZONE = "Asia/Ho_Chi_Minh"
BEST_FIRST = (4, 3, 2, 1)


class Pct(str):
    """A percentage as printed in English ("84.4"): a cell that formats differently from counts."""


def pct_or_none(text: str) -> Pct | None:
    """Wrap a printed percentage; None when there is nothing to print."""
    return Pct(text) if text else None


def en(cell) -> str:
    """Write a cell as the CSV does: digits, a dot, one decimal; "" for nothing."""
    return "" if cell is None else str(cell)


def vi(cell) -> str:
    """Write a cell as the PDF and pages do: 1.234 · 84,4% · —."""
    if cell is None:
        return "—"
    if isinstance(cell, Pct):
        return cell.replace(".", ",") + "%"
    if isinstance(cell, str):  # already printed: a day, a label
        return cell
    return f"{cell:,}".replace(",", ".")


def level_cells(found: Levels, shown: bool = True) -> list:
    """Return count and share per level, best first (shares left out when not shown)."""
    cells = []
    for level in BEST_FIRST:
        cells += [found.counts[level], pct_or_none(found.share(level)) if shown else None]
    return cells


def field_cells(f: FieldFigures) -> list:
    """Table A's cells of one field, from dossiers to the satisfaction rate."""
    return [f.dossiers, f.levels.total, pct_or_none(f.coverage), f.needed,
            *level_cells(f.levels), pct_or_none(f.levels.rate())]  # fmt: skip


def total_rows(figures: Figures) -> dict[str, list]:
    """Table A's three closing rows: measured fields, ratings outside the ratio, the total."""
    m, blank = figures.measured, [None] * 9
    return {
        "coverage": [m["dossiers"], m["ratings"], pct_or_none(m["coverage"]), m["needed"], *blank],
        "outside coverage": [None, m["outside"], None, None, *blank],
        "total": [None, figures.totals.total, None, None, *level_cells(figures.totals),
                  pct_or_none(figures.totals.rate())],
    }  # fmt: skip


def official_cells(found: Levels) -> list:
    """Table B's cells of one official, ratings to rate; shares and rate held back below the minimum."""
    shown = found.total >= MIN_SAMPLE
    rate = pct_or_none(found.rate()) if shown else None
    return [found.total, *level_cells(found, shown), rate]


def unattributed_cells(found: Levels) -> list:
    """Table B's row of ratings no official could be credited with."""
    return [found.total, *level_cells(found, False), None]


def field_name(raw, code: str) -> str:
    """Return the name a field's row carries."""
    return NO_FIELD_NAME if code == NO_FIELD else raw.fields[code][0]


def screening_rows(figures: Figures) -> dict[str, int]:
    """Table C's screening rows (CSV keys) that the reference recomputes."""
    s = figures.screening
    rows = {"raw": s["raw"], "accepted": s["accepted"]}
    rows |= {f"filtered: {reason}": n for reason, n in s["filtered"].items()}
    rows["flag: official mismatch"] = s["official_mismatch"]
    rows["flag: dossier collision"] = s["dossier_collisions"]
    return rows


def levels_of(stats) -> dict:
    """Read a product LevelStats in the reference's terms: counts, total, printed rate."""
    from hailong.server.reporting.metrics import fmt_pct

    def printed(value) -> str:
        return "" if value is None else fmt_pct(value, "en").removesuffix("%")

    shares = {level: printed(stats.shares[level]) for level in BEST_FIRST}
    return {"counts": dict(stats.counts), "total": stats.total, "rate": printed(stats.rate),
            "shares": shares}  # fmt: skip


def reference_levels(found: Levels) -> dict:
    """Return the reference's levels in the same terms as levels_of."""
    shares = {level: found.share(level) for level in BEST_FIRST}
    return {"counts": dict(found.counts), "total": found.total, "rate": found.rate(),
            "shares": shares}  # fmt: skip


def late_cells(found: Levels) -> list:
    """Table L's cells of one late line, ratings to rate."""
    return [found.total, *level_cells(found), pct_or_none(found.rate())]


def score_cell(score) -> Pct:
    """Return an official's shrunk score (a fraction of 1) as a printed percentage."""
    return Pct(pct(score.numerator, score.denominator))


def points_vi(text: str) -> str:
    """Write a change in points as the pages do ("+3,3")."""
    return text.replace(".", ",")


def signed(diff: int) -> str:
    """Write a difference of counts as the PDF and pages do ("+1.234", "-5", "0")."""
    return ("+" if diff > 0 else "") + vi(diff)


def trend_cells(now: Levels, before: Levels) -> dict[str, list]:
    """Table C's rows (CSV keys): counts now, before and the change; shares and rate (points)."""
    from tests.reference.judged import rate_points

    rows: dict[str, list] = {"total": [now.total, before.total, now.total - before.total]}
    for level in BEST_FIRST:
        counts = [now.counts[level], before.counts[level]]
        rows[f"level_{level}"] = [*counts, counts[0] - counts[1]]
        rows[f"level_{level}_pct"] = [
            pct_or_none(now.share(level)),
            pct_or_none(before.share(level)),
        ]
    rows["rate_pct"] = [pct_or_none(now.rate()), pct_or_none(before.rate()),
                        rate_points(now, before) or None]  # fmt: skip
    return rows
