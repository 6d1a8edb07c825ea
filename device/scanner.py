"""Read the keyboard: keys 1..4 are the buttons, a barcode scanner's burst is a dossier code — pure.

A USB barcode scanner is a keyboard wedge: it types the code and Enter, a few milliseconds a key.
So characters closer than `gap_s` together form one run. A run ended by Enter is a scan; a run that
falls silent is a rating key when it is a lone '1'..'4' and is rejected otherwise. A person who
types "3" and then Enter gets rating 3's button (the late Enter alone is ignored); a scanner that
reads the code "3" sends "3\\n" at once and gets a scan.
"""

from __future__ import annotations

import re
import unicodedata

from hailong.device.events import ButtonPressed, DossierScanned, KeyboardEvent, ScanRejected

ENTER = frozenset("\r\n")
RATING_KEYS = {"1": 1, "2": 2, "3": 3, "4": 4}
MAX_CODE_CHARS = 64
DOSSIER_CODE = re.compile(rf"[A-Za-z0-9._/-]{{1,{MAX_CODE_CHARS}}}")
# A wedge with no Enter suffix would otherwise grow the run without bound.
MAX_RUN_CHARS = 4 * MAX_CODE_CHARS


def parse_code(text: str, at: float) -> DossierScanned | ScanRejected:
    """Validate one scanned line as a dossier code."""
    code = unicodedata.normalize("NFC", text.strip())
    if not code:
        return ScanRejected("empty", text, at)
    if len(code) > MAX_CODE_CHARS:
        return ScanRejected("too-long", text, at)
    if not DOSSIER_CODE.fullmatch(code):
        return ScanRejected("bad-character", text, at)
    return DossierScanned(code, at)


class Scanner:
    """Split timed keyboard characters into rating keys and dossier scans."""

    def __init__(self, gap_s: float = 0.05) -> None:
        if not gap_s > 0:
            raise ValueError("gap_s: must be a positive number of seconds")
        self.gap_s = gap_s
        self._run: list[str] = []
        self._started = 0.0
        self._last = 0.0

    def feed(self, chars: str, at: float) -> list[KeyboardEvent]:
        """Take the character(s) of one key event typed at `at`."""
        events = self.flush(at)
        for char in chars:
            if char in ENTER:
                events += self._end_scan(at)
                continue
            if not self._run:
                self._started = at
            if len(self._run) < MAX_RUN_CHARS:
                self._run.append(char)
            self._last = at
        return events

    def flush(self, now: float) -> list[KeyboardEvent]:
        """End a run that has been silent for `gap_s` by `now`."""
        if not self._run or now < self._last + self.gap_s:
            return []
        text = "".join(self._run)
        self._run.clear()
        if text in RATING_KEYS:
            return [ButtonPressed(RATING_KEYS[text], self._started)]
        return [ScanRejected("no-enter", text, self._started)]

    def next_deadline(self) -> float | None:
        """Return when `flush` next has something to decide, or None."""
        return self._last + self.gap_s if self._run else None

    def _end_scan(self, at: float) -> list[KeyboardEvent]:
        if not self._run:
            return []  # a lone Enter, e.g. after a typed rating key or the LF of a CR LF
        text = "".join(self._run)
        self._run.clear()
        return [parse_code(text, at)]
