"""The plain data one kiosk screen shows: what to draw, never how."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hailong.device import texts

VIEWS = ("idle", "thanks", "reason", "service", "scan_needed")
BUTTONS = (1, 2, 3, 4)


def position_of_rating(rating: int) -> int:
    """Return the 0-based left-to-right position of a rating (4 = best = leftmost)."""
    if rating not in (1, 2, 3, 4):
        raise ValueError(f"rating must be 1..4, got {rating!r}")
    return 4 - rating


@dataclass(frozen=True, kw_only=True)
class Frame:
    """One screenful; equal frames look the same, so the caller redraws only on change.

    Empty question / labels and reasons=None mean the language's defaults from texts.py.
    Buttons are numbered 1..4 from the left, so button 1 carries the best label (rating 4).
    """

    view: str = "idle"
    now: datetime
    language: str = texts.DEFAULT_LANGUAGE
    rating: int | None = None
    question: str = ""
    labels: tuple[str, ...] = ()
    reasons: tuple[str, ...] | None = None
    counter: str | None = None
    official_name: str | None = None
    field_name: str | None = None
    offline: bool = False
    clock_synced: bool = True
    service_lines: tuple[str, ...] = ()
    lit_buttons: frozenset[int] = field(default_factory=frozenset)
    dossier: str | None = None
    key_hints: bool = False
    touch: bool = True  # False: the idle view asks for the buttons below, as a tap does nothing
    seconds_left: int | None = None  # the reason view's countdown to skipping by itself

    def __post_init__(self):
        self._check()
        for name in ("question", "counter", "official_name", "field_name", "dossier"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, texts.nfc(str(value)))
        for name in ("labels", "reasons", "service_lines"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(texts.nfc(str(v)) for v in value))
        object.__setattr__(self, "lit_buttons", frozenset(self.lit_buttons))

    def _check(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, got {self.view!r}")
        if self.language not in texts.LANGUAGES:
            raise ValueError(f"language must be one of {texts.LANGUAGES}, got {self.language!r}")
        if self.rating is not None:
            position_of_rating(self.rating)
        if len(self.labels) not in (0, 4):
            raise ValueError(f"labels needs 4 entries, got {len(self.labels)}")
        if self.seconds_left is not None and self.seconds_left < 0:
            raise ValueError(f"seconds_left must be 0 or more, got {self.seconds_left}")
        if self.reasons is not None and len(self.reasons) != 4:
            raise ValueError(f"reasons needs 4 entries, got {len(self.reasons)}")
        if not set(self.lit_buttons) <= set(BUTTONS):
            raise ValueError(
                f"lit_buttons must be within {BUTTONS}, got {sorted(self.lit_buttons)}"
            )

    @property
    def question_text(self) -> str:
        """Return the question to show, falling back to the language's default."""
        return self.question or texts.text("question", self.language)

    @property
    def label_texts(self) -> tuple[str, ...]:
        """Return the four rating labels to show, best first."""
        return self.labels or texts.labels(self.language)

    @property
    def reason_texts(self) -> tuple[str, ...]:
        """Return the four reasons to show, in button order."""
        return self.reasons if self.reasons is not None else texts.reasons(self.language)

    def text(self, key: str) -> str:
        """Return the UI string named key in this frame's language."""
        return texts.text(key, self.language)
