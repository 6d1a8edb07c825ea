"""Per-official evidence: sample sizes, held-back rates and a shrunk score for fair ranking."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from hailong.server.reporting.metrics import LevelStats, Rating, level_counts


@dataclass(frozen=True)
class OfficialStats:
    """One official's ratings, the rate shown in reports and the score used to rank."""

    official: str
    sample: int
    stats: LevelStats
    rate: float | None  # raw satisfaction rate, percent
    rate_shown: float | None  # None when the sample is below the minimum: "held back"
    score: float  # rate shrunk toward the office average, percent
    rank: int | None  # 1 = best; None when held back

    @property
    def held_back(self) -> bool:
        """Tell whether the sample is too small to show a rate or a rank."""
        return self.rate_shown is None


def by_official(
    ratings: Iterable[Rating], *, min_sample: int = 30, prior_strength: float | None = None
) -> list[OfficialStats]:
    """Summarise each official's ratings and rank those with enough of them.

    The score is the beta-binomial posterior mean (satisfied + m·p0) ÷ (n + m): p0 is the
    office's satisfaction among attributed ratings and m = `prior_strength` (default
    `min_sample`), so a handful of ratings stays near the average instead of at 0% or 100%.
    Only officials with n ≥ `min_sample` get a rate shown and a rank; equal scores share a
    rank (1, 2, 2, 4). Unattributed ratings are left out. Ranked officials come first by
    rank, then held-back ones by sample size.
    """
    groups: dict[str, list[Rating]] = {}
    for rating in ratings:
        if rating.official is not None:
            groups.setdefault(rating.official, []).append(rating)
    stats = {official: level_counts(group) for official, group in groups.items()}
    return rank_officials(stats, min_sample=min_sample, prior_strength=prior_strength)


def rank_officials(
    stats: Mapping[str, LevelStats], *, min_sample: int = 30, prior_strength: float | None = None
) -> list[OfficialStats]:
    """Rank officials from their level counts (e.g. a GROUP BY), exactly as by_official does."""
    scores = _shrunk_scores(
        stats, Fraction(min_sample if prior_strength is None else prior_strength)
    )
    eligible = [name for name in stats if stats[name].total >= min_sample]
    ranks = _competition_ranks(eligible, scores)
    rows = [
        OfficialStats(
            official=name,
            sample=stats[name].total,
            stats=stats[name],
            rate=stats[name].rate,
            rate_shown=stats[name].rate if name in ranks else None,
            score=100 * float(scores[name]),
            rank=ranks.get(name),
        )
        for name in stats
    ]
    return sorted(rows, key=_row_order)


def _shrunk_scores(stats: Mapping[str, LevelStats], strength: Fraction) -> dict[str, Score]:
    """Return each official's posterior satisfaction share, exact so that ties are true ties."""
    if strength < 0:
        raise ValueError(f"prior strength must not be negative, got {strength}")
    total = sum(s.total for s in stats.values())
    if total == 0:  # no rating anywhere (offices in a quiet period): nothing to shrink toward
        return {name: Score(0, 1) for name in stats}
    satisfied = sum(s.satisfied for s in stats.values())
    p, q = strength.numerator, strength.denominator
    # (sat + m·S/T) / (n + m) with m = p/q as one integer ratio: Fraction arithmetic (a gcd per
    # step) cost more than the rest of ranking a national office's thousands of officials.
    return {
        name: Score(s.satisfied * total * q + p * satisfied, total * (s.total * q + p))
        for name, s in stats.items()
    }


@dataclass(frozen=True)
class Score:
    """An exact shrunk share num/den (den > 0), compared by cross-multiplication."""

    num: int
    den: int

    def __float__(self) -> float:
        return self.num / self.den  # int division is correctly rounded: equal values, equal floats

    def same_as(self, other: Score) -> bool:
        """Tell whether two scores are exactly equal."""
        return self.num * other.den == other.num * self.den


def _competition_ranks(names: list[str], scores: dict[str, Score]) -> dict[str, int]:
    """Rank by descending score; equal scores share the better rank."""
    approx = {name: float(scores[name]) for name in names}
    ordered = sorted(names, key=approx.__getitem__, reverse=True)
    _settle_exactly(ordered, scores, approx)
    ranks: dict[str, int] = {}
    for position, name in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        tied = previous is not None and scores[name].same_as(scores[previous])
        ranks[name] = ranks[previous] if tied else position
    return ranks


def _settle_exactly(ordered: list[str], scores: dict[str, Score], approx: dict) -> None:
    """Reorder runs of equal floats by their exact scores (floats may round distinct ones)."""
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and approx[ordered[end]] == approx[ordered[start]]:
            end += 1
        if end - start > 1:
            run = ordered[start:end]
            run.sort(key=lambda n: Fraction(scores[n].num, scores[n].den), reverse=True)
            ordered[start:end] = run
        start = end


def _row_order(row: OfficialStats) -> tuple:
    """Order ranked officials by rank, then held-back ones by larger sample, then by name."""
    return (row.rank is None, row.rank or 0, -row.sample, row.official)
