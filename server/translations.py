"""The collector's one gettext catalogue: the pages' texts and the service errors, vi → en.

The English is in server/locale/en/LC_MESSAGES/hailong-collector.po (compiled beside it to the
.mo this reads); scripts/translations keeps both in step with the code.
"""

from __future__ import annotations

from pathlib import Path

from hailong.protocol.i18n import Catalogue

DOMAIN = "hailong-collector"
CATALOGUE = Catalogue(DOMAIN, Path(__file__).parent / "locale")
