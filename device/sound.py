"""The confirmation sound (the spoken thanks, or a short beep) that can never break the kiosk."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import struct
import wave
from collections.abc import Mapping
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
    """Play the spoken thanks for a rating (or, without one, a WAV file or a two-tone beep).

    `mixer` is the adapter to the sound card: pygame.mixer by default, a spy in tests. Playing
    only starts the sound (the mixer plays it on its own thread), so the rating loop never waits.
    """

    def __init__(self, path: str | Path | None = None,
                 voices: Mapping[int | None, Path] | None = None, mixer=None):  # fmt: skip
        self.path = Path(path) if path is not None else None
        self.mixer = pygame.mixer if mixer is None else mixer
        self._sound = None
        self._voices: dict[int | None, object] = {}
        self._warned = False
        self._owns_mixer = False
        # Any failure here (no sound card, no driver, a broken file) only means silence.
        try:
            if not self.mixer.get_init():
                self.mixer.init(frequency=RATE, size=-16, channels=1, buffer=512)
                self._owns_mixer = True
            self._sound = self._load()
            self._voices = self._load_voices(voices or {})
        except Exception as exc:
            self._warn("no sound: %s", exc)

    @property
    def available(self) -> bool:
        """Return whether play() will make a sound."""
        return self._sound is not None

    def play(self) -> None:
        """Start the beep (or the configured WAV) without waiting; never raise."""
        self._start(self._sound, 100)

    def thank(self, rating: int | None, voice: bool = True, volume: int = 100) -> None:
        """Start the spoken thanks for the rating (the beep when voice is off or missing)."""
        spoken = self._voices.get(rating, self._voices.get(None)) if voice else None
        self._start(spoken or self._sound, volume)

    def close(self) -> None:
        """Stop the sound and release the audio device if this object opened it."""
        self._sound = None
        self._voices = {}
        if self._owns_mixer:
            with contextlib.suppress(Exception):
                self.mixer.quit()
            self._owns_mixer = False

    def _start(self, sound, volume: int) -> None:
        if sound is None or volume <= 0:
            return
        try:
            sound.set_volume(min(volume, 100) / 100)
            sound.play()
        except Exception as exc:  # a vanished audio device must not stop the rating loop
            self._warn("cannot play sound: %s", exc)

    def _load(self):
        if self.path is not None:
            try:
                return self.mixer.Sound(str(self.path))
            except (pygame.error, OSError) as exc:
                self._warn("cannot load %s (%s); using the built-in beep", self.path, exc)
        return self.mixer.Sound(file=io.BytesIO(beep_wav()))

    def _load_voices(self, voices: Mapping[int | None, Path]) -> dict[int | None, object]:
        loaded = {}
        for rating, path in voices.items():
            try:
                loaded[rating] = self.mixer.Sound(str(path))
            except (pygame.error, OSError) as exc:  # one broken file silences only itself
                self._warn("cannot load %s (%s)", path, exc)
        return loaded

    def _warn(self, message: str, *args) -> None:
        # Logged once: a kiosk without speakers must not fill the journal with the same line.
        if not self._warned:
            log.warning(message, *args)
            self._warned = True
