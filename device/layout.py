"""Pure screen geometry and text fitting: no pygame, testable without a display."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

# Calm, high-contrast palette; button colours left to right, best first.
BACKGROUND = (246, 244, 238)
INK = (22, 35, 58)
MUTED = (92, 102, 118)
HEADER = (22, 54, 98)
HEADER_INK = (255, 255, 255)
PILL = (226, 221, 208)
WHITE = (255, 255, 255)
BUTTON_COLOURS = ((27, 110, 52), (139, 195, 74), (255, 193, 7), (198, 40, 40))
BUTTON_INKS = (WHITE, INK, INK, WHITE)
UNLIT = (214, 210, 200)

ELLIPSIS = "…"
_SPACES = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.w // 2, self.y + self.h // 2

    def inset(self, dx: int, dy: int | None = None) -> Box:
        """Return the box shrunk by dx on the left/right and dy on the top/bottom."""
        dy = dx if dy is None else dy
        return Box(self.x + dx, self.y + dy, max(0, self.w - 2 * dx), max(0, self.h - 2 * dy))

    def contains(self, other: Box) -> bool:
        """Return whether other lies entirely inside this box."""
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def centred(self, w: int, h: int) -> Box:
        """Return a w x h box centred in this one."""
        return Box(self.x + (self.w - w) // 2, self.y + (self.h - h) // 2, w, h)

    def split_top(self, height: int, gap: int = 0) -> tuple[Box, Box]:
        """Return the top strip of the given height and the rest below the gap."""
        top = Box(self.x, self.y, self.w, min(height, self.h))
        rest = Box(self.x, top.bottom + gap, self.w, max(0, self.h - top.h - gap))
        return top, rest


@dataclass(frozen=True)
class Layout:
    """Where each part of the screen goes at one screen size."""

    size: tuple[int, int]
    unit: int
    margin: int
    radius: int
    header: Box
    status: Box
    body: Box
    buttons: tuple[Box, ...]
    hints: tuple[Box, ...]


def layout(size: tuple[int, int], key_hints: bool = False) -> Layout:
    """Return the rectangles of every screen part, scaled to the screen height."""
    width, height = size
    unit = max(1, height // 100)
    margin = max(6, round(height * 0.03))
    header = Box(0, 0, width, round(height * 0.13))
    status = Box(margin, header.bottom + margin // 3, width - 2 * margin, round(height * 0.07))
    hint_h = round(height * 0.07) if key_hints else 0
    buttons_h = round(height * 0.4)
    buttons_top = height - margin - hint_h - buttons_h
    body = Box(margin, status.bottom, width - 2 * margin, buttons_top - margin - status.bottom)
    box_w = (width - 5 * margin) // 4
    # Centre the row so rounding never leaves the right margin narrower than the left.
    left = (width - 4 * box_w - 3 * margin) // 2
    xs = [left + i * (box_w + margin) for i in range(4)]
    buttons = tuple(Box(x, buttons_top, box_w, buttons_h) for x in xs)
    hints = tuple(Box(x, buttons_top + buttons_h, box_w, hint_h) for x in xs) if key_hints else ()
    radius = max(6, round(height * 0.025))
    return Layout(size, unit, margin, radius, header, status, body, buttons, hints)


class Metrics(Protocol):
    """Measures text in one font family at a pixel size."""

    def size(self, text: str, px: int, bold: bool = False) -> tuple[int, int]: ...

    def height(self, px: int, bold: bool = False) -> int: ...


def line_gap(px: int) -> int:
    """Return the space between wrapped lines; generous so stacked marks never touch."""
    return max(2, round(px * 0.2))


def mark_room(px: int) -> int:
    """Return the room kept above a first line for stacked marks (Ấ Ễ Ỗ Ặ Ự)."""
    return max(2, round(px * 0.14))


def block_height(lines: int, px: int, metrics: Metrics, bold: bool = False) -> int:
    """Return the height a block of wrapped lines needs, marks included."""
    if lines == 0:
        return 0
    return mark_room(px) + lines * metrics.height(px, bold) + (lines - 1) * line_gap(px)


def wrap(
    text: str, width: int, px: int, metrics: Metrics, bold: bool = False, sep: str | None = None
) -> list[str]:
    """Break text at sep (default: spaces) into lines no wider than width."""
    # A word is split between characters only when it cannot fit on a line alone.
    lines: list[str] = []
    for word in _words(text, sep):
        candidate = f"{lines[-1]}{sep or ' '}{word}" if lines else word
        if lines and metrics.size(candidate, px, bold)[0] <= width:
            lines[-1] = candidate
        else:
            lines.extend(_split_word(word, width, px, metrics, bold))
    return lines


def _words(text: str, sep: str | None) -> list[str]:
    # Break at ordinary spaces only, so a no-break space (U+00A0) keeps two syllables together.
    if sep:
        return text.split(sep)
    stripped = text.strip(" \t\r\n")
    return _SPACES.split(stripped) if stripped else []


def _split_word(word: str, width: int, px: int, metrics: Metrics, bold: bool) -> list[str]:
    pieces = [""]
    for char in word:
        if pieces[-1] and metrics.size(pieces[-1] + char, px, bold)[0] > width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def ellipsize(text: str, width: int, px: int, metrics: Metrics, bold: bool = False) -> str:
    """Return text cut with an ellipsis so that it fits in width."""
    if metrics.size(text, px, bold)[0] <= width:
        return text
    while text and metrics.size(text.rstrip() + ELLIPSIS, px, bold)[0] > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


@dataclass(frozen=True)
class Fit:
    """Texts wrapped at the largest pixel size that fits a box."""

    px: int
    lines: tuple[tuple[str, ...], ...]
    whole: bool = True  # False when even the smallest size had to cut text with an ellipsis


def fit(
    texts: tuple[str, ...] | list[str],
    box: Box,
    px_range: tuple[int, int],
    metrics: Metrics,
    bold: bool = False,
    max_lines: int | None = None,
    sep: str | None = None,
) -> Fit:
    """Return the largest size (one for all texts) at which each text wraps inside box."""
    px_min, px_max = px_range
    for px in range(max(px_max, px_min), px_min - 1, -1):
        wrapped = [wrap(t, box.w, px, metrics, bold, sep) for t in texts]
        if all(
            _fits(t, lines, box, px, metrics, bold, max_lines, sep)
            for t, lines in zip(texts, wrapped, strict=True)
        ):
            return Fit(px, tuple(tuple(lines) for lines in wrapped))
    # Nothing fits whole even at the smallest size: keep what fits and mark the cut.
    cut = (_truncate(t, box, px_min, metrics, bold, max_lines, sep) for t in texts)
    return Fit(px_min, tuple(cut), whole=False)


def balance(
    text: str, lines: tuple[str, ...], px: int, metrics: Metrics, bold: bool = False
) -> tuple[str, ...]:
    """Rewrap text into as many lines, each as even as possible (no lone last word)."""
    if len(lines) < 2 or _words(" ".join(lines), None) != _words(text, None):
        return tuple(lines)
    low, high = 1, max(metrics.size(line, px, bold)[0] for line in lines)
    while low < high:
        width = (low + high) // 2
        trial = wrap(text, width, px, metrics, bold)
        if len(trial) <= len(lines) and _words(" ".join(trial), None) == _words(text, None):
            high = width
        else:
            low = width + 1
    return tuple(wrap(text, low, px, metrics, bold))


def _fits(text, lines, box, px, metrics, bold, max_lines, sep) -> bool:
    whole_words = _words((sep or " ").join(lines), sep) == _words(text, sep)
    too_many = max_lines is not None and len(lines) > max_lines
    return whole_words and not too_many and block_height(len(lines), px, metrics, bold) <= box.h


def _truncate(text, box, px, metrics, bold, max_lines, sep) -> tuple[str, ...]:
    lines = wrap(text, box.w, px, metrics, bold, sep)
    keep = len(lines)
    while keep > 1 and block_height(keep, px, metrics, bold) > box.h:
        keep -= 1
    if max_lines is not None:
        keep = min(keep, max_lines)
    if keep < len(lines):
        last = (sep or " ").join([lines[keep - 1], *lines[keep:]])
        lines = [*lines[: keep - 1], ellipsize(last, box.w, px, metrics, bold)]
    return tuple(lines[:keep])
