"""Per-official evidence: sample sizes, held-back rates and a shrunk score for fair ranking."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from server.metrics import LevelStats, Rating, level_counts


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
            score=float(scores[name] * 100),
            rank=ranks.get(name),
        )
        for name in stats
    ]
    return sorted(rows, key=_row_order)


def _shrunk_scores(stats: Mapping[str, LevelStats], strength: Fraction) -> dict[str, Fraction]:
    """Return each official's posterior satisfaction share, exact so that ties are true ties."""
    if strength < 0:
        raise ValueError(f"prior strength must not be negative, got {strength}")
    total = sum(s.total for s in stats.values())
    if total == 0:
        return {}
    office = Fraction(sum(s.satisfied for s in stats.values()), total)
    return {
        name: (s.satisfied + strength * office) / (s.total + strength) for name, s in stats.items()
    }


def _competition_ranks(names: list[str], scores: dict[str, Fraction]) -> dict[str, int]:
    """Rank by descending score; equal scores share the better rank."""
    ordered = sorted(names, key=lambda name: scores[name], reverse=True)
    ranks: dict[str, int] = {}
    for position, name in enumerate(ordered, start=1):
        tied = position > 1 and scores[name] == scores[ordered[position - 2]]
        ranks[name] = ranks[ordered[position - 2]] if tied else position
    return ranks


def _row_order(row: OfficialStats) -> tuple:
    """Order ranked officials by rank, then held-back ones by larger sample, then by name."""
    return (row.rank is None, row.rank or 0, -row.sample, row.official)
