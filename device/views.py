"""Compose each kiosk view as plain drawing operations (pure: measures text, draws nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from hailong.device.drawing import Barcode, Face, Op, Panel, text_block
from hailong.device.frame import Frame, position_of_rating
from hailong.device.layout import (
    BUTTON_COLOURS,
    BUTTON_INKS,
    HEADER,
    HEADER_INK,
    INK,
    MUTED,
    PILL,
    UNLIT,
    Box,
    Layout,
    Metrics,
    balance,
    block_height,
    ellipsize,
    fit,
    layout,
)
from hailong.device.reason_view import compose_reason
from hailong.device.texts import keep_together

BADGE_DOTS = {"offline": (198, 40, 40), "clock_unsynced": (214, 140, 0)}


def compose(frame: Frame, size: tuple[int, int], metrics: Metrics) -> list[Op]:
    """Return the drawing operations for the frame at the screen size."""
    hints = frame.key_hints and frame.view in ("idle", "reason")
    grid = layout(size, key_hints=hints)
    view = _VIEWS[frame.view]
    return (
        _header(frame, grid, metrics) + _status(frame, grid, metrics) + view(frame, grid, metrics)
    )


def header_text(frame: Frame) -> str:
    """Return 'Quầy 1 · Cán bộ: … · Lĩnh vực: …' with the parts that are set."""
    parts = []
    if frame.counter:
        parts.append(f"{frame.text('counter')} {frame.counter}")
    if frame.official_name:
        parts.append(f"{frame.text('official')}: {frame.official_name}")
    if frame.field_name:
        parts.append(f"{frame.text('field')}: {frame.field_name}")
    return frame.text("separator").join(parts)


def _px(grid: Layout, fraction: float) -> int:
    return max(11, round(grid.size[1] * fraction))


def _header(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    inner = grid.header.inset(grid.margin, grid.unit)
    clock = f"{frame.now:%d/%m/%Y %H:%M}"
    px = _px(grid, 0.05)
    clock_w = metrics.size(clock, px, True)[0]
    clock_box = Box(inner.right - clock_w, inner.y, clock_w, inner.h)
    ops: list[Op] = [Panel(grid.header, HEADER)]
    ops += text_block([clock], px, True, HEADER_INK, clock_box, metrics, align="right")
    left = Box(inner.x, inner.y, max(0, clock_box.x - grid.margin - inner.x), inner.h)
    service = frame.view == "service"
    title = frame.text("service_title") if service else header_text(frame)
    if title:
        sep = None if service else frame.text("separator")
        found = fit([title], left, (_px(grid, 0.034), px), metrics, service, 2, sep)
        ops += text_block(found.lines[0], found.px, service, HEADER_INK, left, metrics, "left")
    return ops


def _status(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    px = _px(grid, 0.034)
    flags = {"offline": frame.offline, "clock_unsynced": not frame.clock_synced}
    ops: list[Op] = []
    right = grid.status.right
    for key in (key for key, on in flags.items() if on):
        badge, right = _badge(frame.text(key), BADGE_DOTS[key], right, grid, px, metrics)
        ops += badge
    note = _note(frame)
    if note:
        box = Box(grid.status.x, grid.status.y, max(0, right - grid.status.x), grid.status.h)
        note = ellipsize(note, box.w, px, metrics)
        ops += text_block([note], px, False, MUTED, box, metrics, "left")
    return ops


def _note(frame: Frame) -> str:
    """Return the quiet line left of the badges: the scanned dossier, or the service hint."""
    if frame.view == "service":
        return frame.text("service_hint")
    return f"{frame.text('dossier')}: {frame.dossier}" if frame.dossier else ""


def _badge(label, dot, right, grid, px, metrics) -> tuple[list[Op], int]:
    """Return a small pill ending at right, and the x where the next one must end."""
    pad, dot_d = round(px * 0.7), round(px * 0.6)
    text_w = metrics.size(label, px)[0]
    h = round(grid.status.h * 0.86)
    w = 2 * pad + dot_d + pad // 2 + text_w
    pill = Box(right - w, grid.status.y + (grid.status.h - h) // 2, w, h)
    dot_box = Box(pill.x + pad, pill.y + (h - dot_d) // 2, dot_d, dot_d)
    text_box = Box(dot_box.right + pad // 2, pill.y, text_w, h)
    ops: list[Op] = [Panel(pill, PILL, h // 2), Panel(dot_box, dot, dot_d // 2)]
    ops += text_block([label], px, False, INK, text_box, metrics)
    return ops, pill.x - grid.margin // 2


def _buttons(grid: Layout, labels: Sequence[str], metrics: Metrics, faces: bool) -> list[Op]:
    pad = max(4, round(grid.buttons[0].h * 0.07))
    ops: list[Op] = []
    areas = []
    for i, box in enumerate(grid.buttons):
        ops.append(Panel(box, BUTTON_COLOURS[i], grid.radius))
        area = box.inset(pad)
        if faces:
            d = min(round(box.h * 0.4), round(box.w * 0.6))
            face = Box(box.x + (box.w - d) // 2, box.y + pad, d, d)
            ops.append(Face(face, i, BUTTON_INKS[i], BUTTON_COLOURS[i]))
            area = Box(area.x, face.bottom + pad // 2, area.w, area.bottom - face.bottom - pad // 2)
        areas.append(area)
    labels = [keep_together(label) for label in labels]
    px_max = _px(grid, 0.065 if faces else 0.075)
    found = fit(labels, areas[0], (_px(grid, 0.035), px_max), metrics, bold=True)
    for i, lines in enumerate(found.lines):
        ops += text_block(lines, found.px, True, BUTTON_INKS[i], areas[i], metrics)
    return ops + _hints(grid, metrics)


def _hints(grid: Layout, metrics: Metrics) -> list[Op]:
    ops: list[Op] = []
    for number, box in enumerate(grid.hints, start=1):
        side = box.h - 2 * grid.unit
        cap = Box(box.x + (box.w - side) // 2, box.y + (box.h - side) // 2, side, side)
        ops.append(Panel(cap, MUTED, grid.radius // 2, border=max(1, grid.unit // 2)))
        ops += text_block([str(number)], round(side * 0.55), True, MUTED, cap, metrics)
    return ops


def _prompt(
    text: str, box: Box, grid: Layout, metrics: Metrics, px_range=(0.045, 0.085)
) -> list[Op]:
    text = keep_together(text)
    found = fit([text], box, (_px(grid, px_range[0]), _px(grid, px_range[1])), metrics)
    lines = balance(text, found.lines[0], found.px, metrics)
    return text_block(lines, found.px, False, INK, box, metrics)


def _idle(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    body, hint = grid.body, []
    if not frame.touch:  # a tap does nothing on this screen: point to the physical buttons
        body, hint_box = body.split_top(round(body.h * 0.7))
        px_range = (_px(grid, 0.035), _px(grid, 0.06))
        found = fit([keep_together(frame.text("press_hint"))], hint_box, px_range, metrics, True)
        hint = text_block(found.lines[0], found.px, True, MUTED, hint_box, metrics)
    question = _prompt(frame.question_text, body, grid, metrics)
    return question + hint + _buttons(grid, frame.label_texts, metrics, faces=True)


def _reason(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    # Neutral numbered choices, never the rating colours: see reason_view.py.
    return compose_reason(frame, grid, metrics) + _hints(grid, metrics)


def _below_status(grid: Layout) -> Box:
    width, height = grid.size
    top = grid.status.bottom
    return Box(grid.margin, top, width - 2 * grid.margin, height - grid.margin - top)


def _thanks(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    region = _below_status(grid)
    title = frame.text("thanks")
    if frame.rating is None:
        return _title(title, region, grid, metrics)
    title_box, rest = region.split_top(round(region.h * 0.4))
    width, height = grid.size
    card_w = min(region.w, max(round(width * 0.62), round(height * 0.9)))
    card = rest.centred(card_w, min(rest.h - grid.margin, round(height * 0.34)))
    position = position_of_rating(frame.rating)
    label = frame.label_texts[position]
    return _title(title, title_box, grid, metrics) + _card(position, label, card, grid, metrics)


def _card(position: int, label: str, card: Box, grid: Layout, metrics: Metrics) -> list[Op]:
    """Return the chosen level as one wide button: its colour, its face, its label."""
    pad = round(card.h * 0.12)
    face = Box(card.x + 2 * pad, card.y + pad, card.h - 2 * pad, card.h - 2 * pad)
    label_box = Box(face.right + 2 * pad, face.y, card.right - 4 * pad - face.right, face.h)
    label, px_range = keep_together(label), (_px(grid, 0.05), _px(grid, 0.09))
    found = fit([label], label_box, px_range, metrics, True)
    one_line = fit([label], label_box, px_range, metrics, True, max_lines=1)
    # One line reads best, unless it would shrink the text much more than two lines do.
    if one_line.whole and one_line.px >= 0.75 * found.px:
        found = one_line
    colour, ink = BUTTON_COLOURS[position], BUTTON_INKS[position]
    ops: list[Op] = [Panel(card, colour, grid.radius), Face(face, position, ink, colour)]
    return ops + text_block(found.lines[0], found.px, True, ink, label_box, metrics)


def _title(text: str, box: Box, grid: Layout, metrics: Metrics) -> list[Op]:
    found = fit([text], box, (_px(grid, 0.06), _px(grid, 0.13)), metrics, bold=True)
    return text_block(found.lines[0], found.px, True, INK, box, metrics)


def _scan_needed(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    region = _below_status(grid)
    icon_h = round(grid.size[1] * 0.2)
    icon_w = round(icon_h * 1.5)
    icon = Box(region.x + (region.w - icon_w) // 2, region.y + grid.margin, icon_w, icon_h)
    below = icon.bottom + grid.margin
    rest = Box(region.x, below, region.w, region.bottom - below)
    prompt_box, hint_box = rest.split_top(round(rest.h * 0.62))
    ops: list[Op] = [Barcode(icon, INK)]
    ops += _prompt(frame.text("scan_prompt"), prompt_box, grid, metrics, (0.05, 0.09))
    found = fit([frame.text("scan_hint")], hint_box, (_px(grid, 0.035), _px(grid, 0.05)), metrics)
    return ops + text_block(found.lines[0], found.px, False, MUTED, hint_box, metrics)


def _service(frame: Frame, grid: Layout, metrics: Metrics) -> list[Op]:
    cell_h = round(grid.size[1] * 0.18)
    ops: list[Op] = []
    for number, box in enumerate(grid.buttons, start=1):
        cell = Box(box.x, box.bottom - cell_h, box.w, cell_h)
        ops += _lamp(number, number in frame.lit_buttons, cell, frame, grid, metrics)
    top = grid.body.y + grid.margin // 2
    body = Box(grid.body.x, top, grid.body.w, grid.buttons[0].bottom - cell_h - grid.margin - top)
    return ops + _lines(frame.service_lines, body, grid, metrics)


def _lamp(number, lit, cell, frame, grid, metrics) -> list[Op]:
    """Return one button's test lamp: its colour when lit, an empty outline when not."""
    colour, ink = BUTTON_COLOURS[number - 1], BUTTON_INKS[number - 1]
    if lit:
        ops: list[Op] = [Panel(cell, colour, grid.radius)]
    else:
        ops = [Panel(cell, UNLIT, grid.radius, border=max(2, grid.unit))]
    inner = cell.inset(grid.unit * 2)
    label = f"{frame.text('button')} {number}"
    found = fit([label], inner, (_px(grid, 0.03), _px(grid, 0.055)), metrics, True, 1)
    return ops + text_block(found.lines[0], found.px, True, ink if lit else MUTED, inner, metrics)


def _lines(lines: Sequence[str], box: Box, grid: Layout, metrics: Metrics) -> list[Op]:
    """Place one-line entries top-down at the largest size where all fit, cutting if none does."""
    px_min, px = _px(grid, 0.034), _px(grid, 0.045)
    while px > px_min and (
        block_height(len(lines), px, metrics) > box.h
        or any(metrics.size(line, px)[0] > box.w for line in lines)
    ):
        px -= 1
    keep = len(lines)
    while keep and block_height(keep, px, metrics) > box.h:
        keep -= 1
    shown = [ellipsize(line, box.w, px, metrics) for line in lines[:keep]]
    top = Box(box.x, box.y, box.w, block_height(keep, px, metrics))
    return text_block(shown, px, False, INK, top, metrics, "left")


_VIEWS = {
    "idle": _idle,
    "thanks": _thanks,
    "reason": _reason,
    "service": _service,
    "scan_needed": _scan_needed,
}
