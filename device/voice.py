"""The spoken thanks: phrases rendered once with espeak-ng into WAV files the kiosk plays.

Rendering takes about a second a phrase on a Pi, far too long for the rating loop, so it happens at
install time (scripts/install-kiosk) or on demand (`hailong-kiosk voice render`), never while rating.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hailong.device import texts
from hailong.device.errors import DeviceError
from hailong.protocol.i18n import N_

ESPEAK = "espeak-ng"
VOICES = {"vi": "vi", "en": "en"}  # espeak-ng voice names (Debian's espeak-ng-data)
# The plain thanks and the thanks naming the level; English from the kiosk's catalogue.
_SAID = (N_("Cảm ơn Ông/Bà"), N_("Cảm ơn Ông/Bà đã đánh giá: {label}"))
RENDER_TIMEOUT_S = 60.0


class VoiceError(DeviceError):
    """espeak-ng is missing or could not render a phrase."""


def phrases(language: str) -> dict[str, str]:
    """Return each file's name and what it says: the plain thanks, and one per rating."""
    plain, chosen = (texts.CATALOGUE.gettext(text, language) for text in _SAID)
    said = {"thanks": plain}
    for position, label in enumerate(texts.labels(language)):
        said[f"thanks-{4 - position}"] = chosen.format(label=label)  # rating 4 is leftmost
    return {name: texts.nfc(text) for name, text in said.items()}


def voice_files(folder: Path, language: str) -> dict[int | None, Path]:
    """Return the rendered file for each rating (None: the plain thanks) that exists in folder."""
    found = {}
    for rating in (None, 4, 3, 2, 1):
        path = folder / language / ("thanks.wav" if rating is None else f"thanks-{rating}.wav")
        if path.is_file():
            found[rating] = path
    return found


def render(folder: Path, language: str, espeak: str = ESPEAK) -> list[Path]:
    """Write every phrase of the language as a WAV file under folder/language; return them."""
    program = shutil.which(espeak)
    if program is None:
        raise VoiceError(f"{espeak} is not installed (sudo apt-get install espeak-ng)")
    out = folder / language
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in phrases(language).items():
        path = out / f"{name}.wav"
        partial = path.with_suffix(".part")  # a kiosk reading the folder never sees half a file
        _speak(program, VOICES[language], text, partial)
        partial.replace(path)
        written.append(path)
    return written


def _speak(program: str, voice: str, text: str, path: Path) -> None:
    try:
        done = subprocess.run([program, "-v", voice, "-w", str(path), text], capture_output=True,
                              text=True, timeout=RENDER_TIMEOUT_S, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VoiceError(f'{program} failed on "{text}": {exc}') from None
    if done.returncode != 0 or not path.is_file():
        raise VoiceError(f'{program} -v {voice} failed on "{text}": {done.stderr.strip()}')
