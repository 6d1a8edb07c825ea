"""Find the serif font a printed report uses: one that has every Vietnamese letter."""

from __future__ import annotations

import logging
from pathlib import Path

from fontTools.ttLib import TTFont

from hailong.server.errors import CollectorError

FAMILY = "ReportSerif"
# fpdf2 subsets the font through fontTools, which logs ~150 INFO lines per PDF: noise in a
# service's journal and on a staff member's terminal. Its warnings still come through.
logging.getLogger("fontTools").setLevel(logging.WARNING)
# Times New Roman's metric twin first (Debian fonts-liberation2), then DejaVu Serif
# (fonts-dejavu-core, always there). Debian's older fonts-liberation lacks Vietnamese.
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/liberation2", "LiberationSerif-{}.ttf",
     {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}),
    ("/usr/share/fonts/truetype/dejavu", "DejaVuSerif{}.ttf",
     {"": "", "B": "-Bold", "I": "-Italic", "BI": "-BoldItalic"}),
)  # fmt: skip
VIETNAMESE_SAMPLE = "ẤẦẨẪẬẮẰẲẴẶẾỀỂỄỆỐỒỔỖỘỚỜỞỠỢỨỪỬỮỰỲỴỶỸĐđƠơƯư"


class ReportFontError(CollectorError):
    """Raise when no installed serif font can print Vietnamese."""


def find_fonts() -> dict[str, Path]:
    """Return style -> TTF path of the first serif family that has every Vietnamese letter."""
    for folder, pattern, styles in FONT_CANDIDATES:
        paths = {style: Path(folder, pattern.format(name)) for style, name in styles.items()}
        if paths[""].exists() and _covers(paths[""], VIETNAMESE_SAMPLE):
            regular = paths[""]
            return {style: path if path.exists() else regular for style, path in paths.items()}
    raise ReportFontError(
        "no serif font with Vietnamese letters found: install fonts-liberation2 or fonts-dejavu-core"
    )


def _covers(path: Path, sample: str) -> bool:
    """Tell whether a TTF has a glyph for every character of `sample`."""
    cmap = TTFont(path, lazy=True).getBestCmap()
    return all(ord(ch) in cmap for ch in sample)
