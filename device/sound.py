"""A short confirmation sound that can never break the kiosk."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import struct
import wave
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

log = logging.getLogger(__name__)

RATE = 22050
# A rising major sixth (A5 then F#6) sounds like "done" rather than an alarm.
TONES = ((880.0, 0.09), (1480.0, 0.14))
VOLUME = 0.35
FADE_S = 0.008  # short ramps at each edge avoid clicks


def beep_wav(rate: int = RATE, tones=TONES, volume: float = VOLUME) -> bytes:
    """Return a mono 16-bit WAV of the tones, each softly faded in and out."""
    samples: list[int] = []
    for frequency, seconds in tones:
        samples += _tone(frequency, seconds, rate, volume)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


def _tone(frequency: float, seconds: float, rate: int, volume: float) -> list[int]:
    count = round(seconds * rate)
    ramp = max(1, round(FADE_S * rate))
    out = []
    for n in range(count):
        envelope = min(1.0, n / ramp, (count - 1 - n) / ramp)
        out.append(round(32767 * volume * envelope * math.sin(2 * math.pi * frequency * n / rate)))
    return out


class Sound:
    """Play a WAV file (e.g. a spoken "Cảm ơn") or, without one, a synthesised two-tone beep."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        self._sound: pygame.mixer.Sound | None = None
        self._warned = False
        self._owns_mixer = False
        # Any failure here (no sound card, no driver, a broken file) only means silence.
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=RATE, size=-16, channels=1, buffer=512)
                self._owns_mixer = True
            self._sound = self._load()
        except Exception as exc:
            self._warn("no sound: %s", exc)

    @property
    def available(self) -> bool:
        """Return whether play() will make a sound."""
        return self._sound is not None

    def play(self) -> None:
        """Start the sound without waiting; never raise."""
        if self._sound is None:
            return
        try:
            self._sound.play()
        except Exception as exc:  # a vanished audio device must not stop the rating loop
            self._warn("cannot play sound: %s", exc)

    def close(self) -> None:
        """Stop the sound and release the audio device if this object opened it."""
        self._sound = None
        if self._owns_mixer:
            with contextlib.suppress(pygame.error):
                pygame.mixer.quit()
            self._owns_mixer = False

    def _load(self) -> pygame.mixer.Sound:
        if self.path is not None:
            try:
                return pygame.mixer.Sound(str(self.path))
            except (pygame.error, OSError) as exc:
                self._warn("cannot load %s (%s); using the built-in beep", self.path, exc)
        return pygame.mixer.Sound(file=io.BytesIO(beep_wav()))

    def _warn(self, message: str, *args) -> None:
        # Logged once: a kiosk without speakers must not fill the journal with the same line.
        if not self._warned:
            log.warning(message, *args)
            self._warned = True
