"""The reason screen ("why not satisfied?"): four neutral numbered choices, a skip and a countdown.

None of the rating colours or faces appear here: a reason on the green "Rất hài lòng" button
would read as praise. The choices are numbered 1–4 from the left like the physical buttons
(hardware/README.md), so button n gives reason n; "Bỏ qua" is tapped on a touch screen, and
every screen counts down to skipping by itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from hailong.device.drawing import Op, Panel, text_block
from hailong.device.frame import Frame
from hailong.device.layout import HEADER, HEADER_INK, INK, MUTED, Box, Layout, Metrics, balance, fit
from hailong.device.texts import keep_together

CHOICE = (232, 236, 242)  # a cool grey: no level's colour, so no choice reads as a verdict
CHOICE_EDGE = (150, 162, 180)
SKIP = (255, 255, 255)
NUMBER = HEADER  # the numbers wear the header's navy, the kiosk's one neutral accent


def px_of(grid: Layout, fraction: float) -> int:
    """Return a text size as a fraction of the screen height (never below 11 px)."""
    return max(11, round(grid.size[1] * fraction))


def split_body(grid: Layout) -> tuple[Box, Box]:
    """Return the question's box and, below it, the row of the countdown and the skip."""
    return grid.body.split_top(round(grid.body.h * 0.6))


def skip_box(grid: Layout) -> Box:
    """Return the "Bỏ qua" button's box (display.py hit-tests taps against it)."""
    row = split_body(grid)[1]
    w = min(round(grid.size[0] * 0.26), row.w // 3)
    h = max(0, row.h - 2 * grid.unit)
    return Box(row.right - w, row.y + (row.h - h) // 2, w, h)


def compose_reason(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    """Return the question, the countdown and skip row, and the four numbered choices."""
    question_box, row = split_body(grid)
    question = keep_together(frame.text("reason_question"))
    found = fit([question], question_box, (px_of(grid, 0.045), px_of(grid, 0.075)), metrics)
    lines = balance(question, found.lines[0], found.px, metrics)
    ops = text_block(lines, found.px, False, INK, question_box, metrics)
    return ops + _skip_row(frame, row, grid, metrics) + _choices(grid, frame.reason_texts, metrics)


def _skip_row(frame: Frame, row: Box, grid: Layout, metrics: Metrics) -> list[Op]:
    """Return the countdown (left) and, on a touch screen, the "Bỏ qua" button (right)."""
    ops: list[Op] = []
    left = row
    if frame.touch:
        box = skip_box(grid)
        ops += [Panel(box, SKIP, grid.radius), Panel(box, MUTED, grid.radius, border=grid.unit)]
        label = box.inset(grid.unit * 3, grid.unit)
        found = fit([frame.text("reason_skip")], label, (11, px_of(grid, 0.055)), metrics, True, 1)
        ops += text_block(found.lines[0], found.px, True, INK, label, metrics)
        left = Box(row.x, row.y, max(0, box.x - grid.margin - row.x), row.h)
    if frame.seconds_left is not None:
        text = frame.text("reason_countdown").format(n=frame.seconds_left)
        found = fit([text], left, (11, px_of(grid, 0.045)), metrics, max_lines=1)
        align = "left" if frame.touch else "center"
        ops += text_block(found.lines[0], found.px, False, MUTED, left, metrics, align)
    return ops


def _choices(grid: Layout, reasons: Sequence[str], metrics: Metrics) -> list[Op]:
    """Return four neutral panels, each with its number in a disc above its reason."""
    ops: list[Op] = []
    areas = []
    for number, box in enumerate(grid.buttons, start=1):
        pad = max(4, round(box.h * 0.07))
        ops += [Panel(box, CHOICE, grid.radius), Panel(box, CHOICE_EDGE, grid.radius, grid.unit)]
        d = min(round(box.h * 0.3), round(box.w * 0.4))
        disc = Box(box.x + (box.w - d) // 2, box.y + pad, d, d)
        ops.append(Panel(disc, NUMBER, d // 2))
        ops += text_block([str(number)], round(d * 0.6), True, HEADER_INK, disc, metrics)
        below = disc.bottom + pad // 2
        areas.append(Box(box.x + pad, below, box.w - 2 * pad, box.bottom - pad - below))
    labels = [keep_together(reason) for reason in reasons]
    found = fit(labels, areas[0], (px_of(grid, 0.035), px_of(grid, 0.065)), metrics, bold=True)
    for lines, area in zip(found.lines, areas, strict=True):
        ops += text_block(lines, found.px, True, INK, area, metrics)
    return ops
