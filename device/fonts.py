"""Find a TrueType font that draws Vietnamese, by explicit path."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from hailong.device.errors import DeviceError

log = logging.getLogger(__name__)

# pygame's built-in font draws many Vietnamese letters as empty boxes, so it is never a fallback.
# DejaVu ships with Raspberry Pi OS (fonts-dejavu-core); Noto comes from fonts-noto-core.
REGULAR = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/google-noto/NotoSans-Regular.ttf",
)
BOLD = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/google-noto/NotoSans-Bold.ttf",
)
INSTALL_HINT = "install fonts-dejavu-core (or fonts-noto-core) or set the font path in the config"


class FontError(DeviceError):
    """No usable Vietnamese-capable font file was found."""


@dataclass(frozen=True)
class FontFiles:
    """The regular and bold font files the screen draws with."""

    regular: Path
    bold: Path


def _first_existing(candidates: tuple[str | Path, ...]) -> Path | None:
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    return None


def find_font(
    configured: str | Path | None = None, candidates: tuple[str | Path, ...] | None = None
) -> Path:
    """Return the configured font path if it exists, else the first candidate that does."""
    candidates = REGULAR if candidates is None else candidates
    if configured is not None:
        if Path(configured).is_file():
            return Path(configured)
        log.warning("configured font %s not found; trying the system fonts", configured)
    found = _first_existing(candidates)
    if found is None:
        tried = ([str(configured)] if configured else []) + [str(c) for c in candidates]
        raise FontError(
            f"no Vietnamese-capable font found (tried {', '.join(tried)}); {INSTALL_HINT}"
        )
    return found


def find_fonts(configured: str | Path | None = None) -> FontFiles:
    """Return the regular and bold fonts; bold falls back to the regular file."""
    regular = find_font(configured)
    if configured is not None and regular == Path(configured):
        # A font chosen by the operator is used for both weights rather than mixing families.
        return FontFiles(regular, regular)
    bold = _first_existing(BOLD)
    if bold is None or bold.parent != regular.parent:
        bold = regular
    return FontFiles(regular, bold)
