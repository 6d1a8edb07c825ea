"""The pygame adapter: open the display, paint a Frame, save screenshots."""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path

import pygame

from hailong.device.drawing import Barcode, Face, Op, Panel, Text
from hailong.device.errors import DeviceError
from hailong.device.fonts import FontError, FontFiles, find_fonts
from hailong.device.frame import Frame
from hailong.device.layout import BACKGROUND
from hailong.device.views import compose

log = logging.getLogger(__name__)

SIZES_KEPT = 20_000  # text measurements remembered (a few MB at most)
SUPERSAMPLE = 4  # smileys are drawn large then scaled down: pygame.draw has no antialiasing
BARS = (3, 1, 1, 2, 1, 3, 2, 1, 1, 1, 3, 2, 1, 2, 1, 1, 3, 1, 2, 2, 1, 3)


class DisplayError(DeviceError):
    """The display could not be opened or drawn on; the kiosk keeps recording without it."""


class FontMetrics:
    """Measures and renders text with one font family, caching a pygame Font per size."""

    def __init__(self, files: FontFiles):
        self._files = files
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}
        # Laying out one frame measures a few hundred candidate lines and sizes, nearly all the
        # same as the last frame's: remembered, a thanks frame costs a Pi's eighth of a core
        # milliseconds less per press (docs/performance.md). Bounded: the clock changes each minute.
        self._sizes: dict[tuple[str, int, bool], tuple[int, int]] = {}

    def font(self, px: int, bold: bool = False) -> pygame.font.Font:
        """Return the font at px pixels, regular or bold."""
        key = (px, bold)
        if key not in self._fonts:
            path = self._files.bold if bold else self._files.regular
            self._fonts[key] = pygame.font.Font(str(path), px)
        return self._fonts[key]

    def size(self, text: str, px: int, bold: bool = False) -> tuple[int, int]:
        """Return the rendered width and height of text."""
        key = (text, px, bold)
        size = self._sizes.get(key)
        if size is None:
            if len(self._sizes) >= SIZES_KEPT:
                self._sizes.clear()
            size = self._sizes[key] = self.font(px, bold).size(text)
        return size

    def height(self, px: int, bold: bool = False) -> int:
        """Return the font's nominal line height (ascent plus descent)."""
        return self.font(px, bold).get_height()


class Screen:
    """A drawing surface (a window, the kiosk display, or off-screen) that shows Frames."""

    def __init__(self, surface: pygame.Surface, metrics: FontMetrics, owns_display: bool = False):
        self.surface = surface
        self.metrics = metrics
        self._owns_display = owns_display

    @classmethod
    def open(
        cls,
        size: tuple[int, int] = (800, 480),
        fullscreen: bool = False,
        font_path: str | Path | None = None,
    ) -> Screen:
        """Open the display; raise DisplayError (caused by FontError if no font) on failure."""
        metrics = _metrics(font_path)
        try:
            pygame.display.init()
            surface = pygame.display.set_mode(size, pygame.FULLSCREEN if fullscreen else 0)
            pygame.display.set_caption("hailong")
            # The kiosk has no mouse; a cursor over the question only distracts.
            pygame.mouse.set_visible(not fullscreen)
        except pygame.error as exc:
            pygame.display.quit()
            raise DisplayError(f"cannot open the display: {exc}") from exc
        log.info("display %s open at %dx%d", pygame.display.get_driver(), *surface.get_size())
        return cls(surface, metrics, owns_display=True)

    @classmethod
    def offscreen(
        cls, size: tuple[int, int] = (800, 480), font_path: str | Path | None = None
    ) -> Screen:
        """Return a screen drawing into memory only (screenshots, tests, docs)."""
        return cls(pygame.Surface(size), _metrics(font_path))

    @property
    def size(self) -> tuple[int, int]:
        """Return the surface size in pixels."""
        return self.surface.get_size()

    def draw(self, frame: Frame) -> None:
        """Paint the frame and show it; call only when the frame changed."""
        try:
            self.surface.fill(BACKGROUND)
            for op in compose(frame, self.size, self.metrics):
                self._paint(op)
            if self._owns_display:
                pygame.display.flip()
        except pygame.error as exc:
            raise DisplayError(f"cannot draw: {exc}") from exc

    def save(self, path: str | Path) -> None:
        """Write what the screen shows now as a PNG."""
        pygame.image.save(self.surface, str(path))

    def close(self) -> None:
        """Release the display (if this screen opened it)."""
        if self._owns_display:
            pygame.display.quit()
            self._owns_display = False

    def _paint(self, op: Op) -> None:
        if isinstance(op, Text):
            image = self.metrics.font(op.px, op.bold).render(op.text, True, op.colour)
            self.surface.blit(image, (op.rect.x, op.rect.y))
        elif isinstance(op, Panel):
            image = panel_image(op.box.w, op.box.h, op.colour, op.radius, op.border)
            self.surface.blit(image, (op.box.x, op.box.y))
        elif isinstance(op, Face):
            self.surface.blit(face_image(op), (op.box.x, op.box.y))
        elif isinstance(op, Barcode):
            _draw_barcode(self.surface, op)


def _metrics(font_path: str | Path | None) -> FontMetrics:
    try:
        files = find_fonts(font_path)
    except FontError as exc:
        raise DisplayError(str(exc)) from exc
    pygame.font.init()
    return FontMetrics(files)


@functools.lru_cache(maxsize=128)
def panel_image(w: int, h: int, colour, radius: int, border: int) -> pygame.Surface:
    """Draw a smooth rounded rectangle (cached: the same boxes come back on every redraw)."""
    big = _canvas(w * SUPERSAMPLE, h * SUPERSAMPLE, colour)
    pygame.draw.rect(big, colour, big.get_rect(), border * SUPERSAMPLE, radius * SUPERSAMPLE)
    return pygame.transform.smoothscale(big, (w, h))


def _canvas(w: int, h: int, colour) -> pygame.Surface:
    # Transparent pixels carry the shape's colour so scaling down leaves no dark fringe.
    canvas = pygame.Surface((w, h), pygame.SRCALPHA)
    canvas.fill((*colour, 0))
    return canvas


def face_image(face: Face) -> pygame.Surface:
    """Draw a smiley (disc, eyes, mouth by mood) smoothly, at the face's size."""
    return _face(face.box.w, face.mood, face.ink, face.paper)


@functools.lru_cache(maxsize=32)
def _face(size: int, mood: int, ink, paper) -> pygame.Surface:
    d = size * SUPERSAMPLE
    big = _canvas(d, d, ink)
    pygame.draw.circle(big, ink, (d // 2, d // 2), d // 2)
    for eye_x in (0.35, 0.65):
        eye = pygame.Rect(0, 0, round(d * 0.12), round(d * 0.16))
        eye.center = (round(d * eye_x), round(d * 0.38))
        pygame.draw.ellipse(big, paper, eye)
    _draw_mouth(big, mood, paper, d)
    return pygame.transform.smoothscale(big, (size, size))


def _draw_mouth(surface: pygame.Surface, mood: int, colour, d: int) -> None:
    if mood == 0:
        # Open laughing mouth: a filled half-moon.
        points = [
            (0.5 + 0.24 * math.cos(a / 20 * math.pi), 0.58 + 0.2 * math.sin(a / 20 * math.pi))
            for a in range(21)
        ]
        pygame.draw.polygon(surface, colour, [(x * d, y * d) for x, y in points])
        return
    # Smile, flat, frown: the mouth's middle sits lower, level or higher than its corners.
    bend = {1: 0.12, 2: 0.0, 3: -0.1}[mood]
    corner_y = {1: 0.62, 2: 0.7, 3: 0.76}[mood]
    width = d * 0.045
    steps = max(24, d // 2)
    for step in range(steps + 1):
        t = step / steps
        x = 0.3 + 0.4 * t
        y = corner_y + bend * (1 - (2 * t - 1) ** 2)
        pygame.draw.circle(surface, colour, (x * d, y * d), width)


def _draw_barcode(surface: pygame.Surface, op: Barcode) -> None:
    unit = op.box.w / sum(BARS)
    x = op.box.x
    for i, bar in enumerate(BARS):
        if i % 2 == 0:
            rect = pygame.Rect(round(x), op.box.y, max(1, round(bar * unit)), op.box.h)
            pygame.draw.rect(surface, op.colour, rect)
        x += bar * unit
