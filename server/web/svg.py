"""Charts drawn on the server as inline SVG: no script, no CDN, they print as they show.

Each chart names itself (role="img", <title>) and its numbers are also written as text beside
or inside it, so a screen reader or a black-and-white printout loses nothing. Colours are set
with presentation attributes, which the pages' Content-Security-Policy allows.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from markupsafe import Markup, escape

from hailong.server.reporting.metrics import BEST_FIRST, Coverage, LevelStats
from hailong.server.web.i18n import WEEKDAYS_SHORT, lang, level_name, number, percent

# Dark enough for white text and told apart by more than hue (their lengths and labels differ).
LEVEL_COLOURS = {4: "#1a6b34", 3: "#4b8f3a", 2: "#8a6d00", 1: "#b3261e"}
INK, MUTED, TRACK = "#1b1b1b", "#555555", "#e6e6e6"
GOOD, SHORT, TARGET_INK = "#1a6b34", "#b3261e", "#1b1b1b"


def level_bars(stats: LevelStats, title: str, *, width: int = 470, row: int = 34,
               font: int = 15) -> Markup:  # fmt: skip
    """Draw one horizontal bar per level, best first, with its count and share."""
    # Room for "Không hài lòng" and for "1.234.567 (100,0%)" at this font size.
    label_w, value_w = font * 8.6, font * 10.5
    bar_w = width - label_w - value_w
    parts = []
    for i, level in enumerate(BEST_FIRST):
        y = i * row
        share = stats.shares[level] or 0
        length = bar_w * share / 100
        text = f"{number(stats.counts[level])} ({percent(stats.shares[level])})"
        parts.append(
            _text(0, y + row * 0.62, level_name(level), font)
            + _rect(label_w, y + row * 0.15, bar_w, row * 0.7, TRACK)
            + _rect(label_w, y + row * 0.15, length, row * 0.7, LEVEL_COLOURS[level])
            + _text(label_w + bar_w + 8, y + row * 0.62, text, font, weight="bold")
        )
    # Drawn in a width × height box but sized by the page: it fills a TV and shrinks on a phone.
    return _svg(width, row * 4, title, "".join(parts), css="chart fluid")


def meter(percent_value: float | None, colour: str, label: str) -> Markup:
    """Draw a bar that fills its table cell in proportion to a percentage (0–100)."""
    filled = max(0.0, min(percent_value or 0.0, 100.0))
    return Markup(
        f'<svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"{_rect(0, 0, 100, 10, TRACK)}{_rect(0, 0, filled, 10, colour)}</svg>"
    )


def coverage_bar(cov: Coverage, target: float, title: str, width: int = 240) -> Markup:
    """Draw ratings ÷ resolved dossiers against the target, marked by a line."""
    height, scale = 22, 1.25  # the bar runs to 125% so that a field above target shows it
    ratio = min(cov.ratio or 0, scale)
    colour = GOOD if cov.meets_target else SHORT
    x_target = width * target / scale
    body = (
        _rect(0, 4, width, height - 8, TRACK)
        + _rect(0, 4, width * ratio / scale, height - 8, colour)
        + f'<line x1="{x_target:.1f}" y1="0" x2="{x_target:.1f}" y2="{height}" '
        f'stroke="{TARGET_INK}" stroke-width="2"/>'
    )
    return _svg(width, height, title, body, css="chart chart-inline")


def heat_map(matrix: Sequence[Sequence[int]], top: int, title: str, width: int = 1180) -> Markup:
    """Draw accepted ratings by weekday (rows) and hour (columns), darker for more."""
    left, head, cell_h = 44, 22, 24
    cell_w = (width - left) / 24
    names = WEEKDAYS_SHORT[lang()]
    parts = [_text(left + h * cell_w + cell_w / 2, 15, f"{h}", 11, anchor="middle", fill=MUTED)
             for h in range(24)]  # fmt: skip
    for d, row in enumerate(matrix):
        y = head + d * cell_h
        parts.append(_text(0, y + cell_h * 0.68, names[d], 13))
        for h, n in enumerate(row):
            hint = f"{names[d]} {h:02d}:00–{h:02d}:59: {number(n)}"
            parts.append(
                f'<rect x="{left + h * cell_w:.1f}" y="{y}" width="{cell_w - 2:.1f}" '
                f'height="{cell_h - 2}" fill="{_shade(n, top)}"><title>{escape(hint)}</title></rect>'
            )
    # Fills its card; below its min-width (style.css) it scrolls in it rather than shrink.
    return _svg(width, head + 7 * cell_h, title, "".join(parts), css="chart fluid heat")


def sparkline(
    rates: Sequence[float | None], title: str, width: int = 160, height: int = 40
) -> Markup:
    """Draw one office's monthly satisfaction rates (0–100 %) as a small line, gaps left empty."""
    step = width / max(len(rates) - 1, 1)
    y = lambda rate: height - 2 - (height - 4) * rate / 100  # noqa: E731 - one formula, used twice
    runs, run = [], []
    for i, rate in enumerate(rates):
        if rate is None:
            runs, run = runs + [run] if run else runs, []
        else:
            run.append(f"{i * step:.1f},{y(rate):.1f}")
    runs += [run] if run else []
    lines = "".join(f'<polyline points="{" ".join(points)}" fill="none" stroke="#0b4f8a" '
                    f'stroke-width="2"/>' for points in runs)  # fmt: skip
    dots = "".join(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2" fill="#0b4f8a"/>'
                   for points in runs for p in points[-1:])  # fmt: skip
    shown = ", ".join("—" if r is None else percent(r) for r in rates)
    middle = f'<line x1="0" y1="{y(50):.1f}" x2="{width}" y2="{y(50):.1f}" stroke="{TRACK}"/>'
    return _svg(width, height, f"{title}: {shown}", middle + lines + dots, css="chart spark")


def _shade(n: int, top: int) -> str:
    """Return a blue whose depth grows with n; empty cells stay near white."""
    if n <= 0 or top <= 0:
        return "#f4f6f8"
    depth = 0.15 + 0.85 * (n / top) ** 0.6
    light, dark = (234, 241, 248), (8, 48, 107)
    r, g, b = (round(a + (z - a) * depth) for a, z in zip(light, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _svg(width: float, height: float, title: str, body: str, css: str = "chart") -> Markup:
    ident = f"t{secrets.token_hex(4)}"
    # A fluid chart has no pixel size of its own: style.css gives it the width of its box.
    size = "" if "fluid" in css.split() else f'width="{width}" height="{height:.0f}" '
    return Markup(
        f'<svg class="{css}" viewBox="0 0 {width} {height:.0f}" {size}'
        f'role="img" aria-labelledby="{ident}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}">{escape(title)}</title>{body}</svg>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}"/>'


def _text(x: float, y: float, text: str, size: int, *, anchor: str = "start", fill: str = INK,
          weight: str = "normal") -> str:  # fmt: skip
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}">{escape(text)}</text>'
    )
