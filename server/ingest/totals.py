"""Ingest's running counts, for its logs (and its last line when it stops)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from hailong.server.storage.batch import BatchOutcome

log = logging.getLogger("hailong.server.ingest.process")  # where operators read ingest's lines


@dataclass
class Totals:
    """Running counts for logs and the demo's live line."""

    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    dropped: int = 0  # quarantined beyond a device's hourly allowance: counted only
    retained: int = 0  # retained presses ignored (and cleared)
    batches: int = 0
    acks: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: BatchOutcome) -> None:
        """Add one committed batch; say so when it quarantined anything."""
        self.stored += outcome.stored
        self.duplicates += outcome.duplicates
        self.quarantined += outcome.quarantined
        self.dropped += outcome.dropped
        self.batches += 1
        self.acks.update(outcome.acks)
        if outcome.quarantined:
            log.warning("quarantined %d message(s), %d beyond the hourly allowance (counted only)",
                        outcome.quarantined, outcome.dropped)  # fmt: skip
