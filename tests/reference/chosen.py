"""The periods the output channels are compared for (the report data is compared for all 40)."""

from __future__ import annotations

from tests.reference.bounds import span

# Months at the re-dating (31/03–01/04) and duty handover (16/06) borders, and every longer kind.
CHOSEN = [("month", 1), ("month", 4), ("month", 6), ("month", 7), ("quarter", 1), ("quarter", 3),
          ("half", 1), ("half", 2), ("nine_months", 1), ("year", 1)]  # fmt: skip
SPANS = [span(kind, 2025, i, c) for c in ("calendar", "cutoff") for kind, i in CHOSEN]
# Periods with late lines, bursts, held-back officials, and the years, in both conventions.
JUDGED = [span(kind, 2025, i, c) for kind, i, c in (
    ("month", 8, "cutoff"), ("month", 10, "cutoff"), ("month", 6, "cutoff"), ("year", 1, "cutoff"),
    ("month", 9, "calendar"), ("month", 10, "calendar"), ("month", 5, "calendar"),
    ("year", 1, "calendar"))]  # fmt: skip
