"""The plain drawing operations a view is made of, and where lines of text go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hailong.device.layout import Box, Metrics, block_height, line_gap, mark_room

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Panel:
    """A rounded rectangle, filled, or outlined when border > 0."""

    box: Box
    colour: Colour
    radius: int = 0
    border: int = 0


@dataclass(frozen=True)
class Text:
    """One line of text whose rendered image goes exactly at rect and must stay inside within."""

    text: str
    px: int
    bold: bool
    colour: Colour
    rect: Box
    within: Box


@dataclass(frozen=True)
class Face:
    """A smiley disc; mood 0 big smile, 1 smile, 2 flat mouth, 3 frown."""

    box: Box
    mood: int
    ink: Colour
    paper: Colour


@dataclass(frozen=True)
class Barcode:
    """A stylised barcode that shows the citizen what to scan."""

    box: Box
    colour: Colour


Op = Panel | Text | Face | Barcode


def text_block(
    lines: Sequence[str],
    px: int,
    bold: bool,
    colour: Colour,
    box: Box,
    metrics: Metrics,
    align: str = "center",
) -> list[Text]:
    """Place wrapped lines in box, centred vertically, aligned left, centre or right."""
    line_h = metrics.height(px, bold)
    y = box.y + (box.h - block_height(len(lines), px, metrics, bold)) // 2 + mark_room(px)
    ops = []
    for line in lines:
        w, h = metrics.size(line, px, bold)
        x = {"left": box.x, "right": box.right - w}.get(align, box.x + (box.w - w) // 2)
        # Stacked marks make the rendered line taller than the font; the extra sits on top.
        ops.append(Text(line, px, bold, colour, Box(x, y - max(0, h - line_h), w, h), box))
        y += line_h + line_gap(px)
    return ops
