"""Tests for screen.FontMetrics: remembered text sizes are the font's own, and stay bounded."""

import pygame

from hailong.device import screen
from hailong.device.fonts import find_fonts


def test_remembered_sizes_are_the_fonts_own_and_bounded(monkeypatch):
    monkeypatch.setattr(screen, "SIZES_KEPT", 50)
    pygame.font.init()
    metrics = screen.FontMetrics(find_fonts(None))
    texts = [f"Hài lòng {n}" for n in range(120)]
    first = [metrics.size(text, 24, bold=n % 2 == 0) for n, text in enumerate(texts)]
    again = [metrics.size(text, 24, bold=n % 2 == 0) for n, text in enumerate(texts)]
    fresh = [metrics.font(24, n % 2 == 0).size(text) for n, text in enumerate(texts)]
    assert first == again == fresh
    assert metrics.size("W", 24) != metrics.size("W", 48)  # the size is part of the key
    assert len(metrics._sizes) <= 50  # a kiosk running for months must not grow without end
