"""The lines `run --headless` and `--simulate` print: each press and its fate, as a technician reads it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from hailong.device import texts
from hailong.protocol import Press

_LINES = {
    "vi": {
        "ready": "Sẵn sàng: phím 1–4 là nút 1–4 từ trái sang ({labels}); q để thoát.",
        "recorded": "Nút {button} → {label}{reason}: đã ghi (seq {seq}), chờ xác nhận{test}",
        "reason": ", lý do {n}: {text}",
        "test": " (lượt thử, không tính)",
        "acked": "seq {seqs} đã xác nhận",
        "held": "Nút {button}: bỏ qua, đang trong thời gian chờ sau lượt trước (còn {left} giây)",
        "dossier-required": "Nút {button}: chưa ghi, cần quét mã hồ sơ trước",
        "dossier-already-rated": "mã hồ sơ bị từ chối: hồ sơ này đã được đánh giá",
        "stopping": "Đang dừng kiosk.",
    },
    "en": {
        "ready": "Ready: keys 1–4 are buttons 1–4 from the left ({labels}); q quits.",
        "recorded": "Button {button} → {label}{reason}: recorded (seq {seq}), awaiting ack{test}",
        "reason": ", reason {n}: {text}",
        "test": " (test press, not counted)",
        "acked": "seq {seqs} acknowledged",
        "held": "Button {button}: ignored, cooldown after the last press ({left} s left)",
        "dossier-required": "Button {button}: not recorded, scan the dossier code first",
        "dossier-already-rated": "dossier code refused: this dossier was already rated",
        "stopping": "Stopping the kiosk.",
    },
}


class Console:
    """Print one plain line per event worth a technician's eye; never a Python repr."""

    def __init__(self, language: str, clock: Callable[[], datetime], write=None):
        self.lines = _LINES[language]
        self.language = language
        self.clock = clock
        self.write = write or (lambda line: print(line, file=sys.stdout, flush=True))
        self.waiting: list[int] = []  # seqs recorded here and not yet acknowledged

    def ready(self, labels: tuple[str, ...]) -> None:
        """Say which key is which button."""
        named = ", ".join(f"{n} = {label}" for n, label in enumerate(labels, start=1))
        self._say("ready", labels=named)

    def recorded(self, press: Press, labels: tuple[str, ...], reasons: tuple[str, ...]) -> None:
        """Report a journaled press: its button, level, seq, and that the ack is awaited."""
        reason = ""
        if press.reason is not None:
            reason = self.lines["reason"].format(n=press.reason, text=reasons[press.reason - 1])
        test = self.lines["test"] if press.mode == "test" else ""
        button = 5 - press.rating  # buttons count from the left, best first (hardware/README.md)
        self._say("recorded", button=button, label=labels[button - 1], reason=reason,
                  seq=press.seq, test=test)  # fmt: skip
        self.waiting.append(press.seq)

    def acknowledged(self, upto: int) -> None:
        """Report the seqs recorded here that the collector has now confirmed."""
        done = [seq for seq in self.waiting if seq <= upto]
        if not done:
            return
        self.waiting = [seq for seq in self.waiting if seq > upto]
        seqs = str(done[0]) if len(done) == 1 else f"{done[0]}–{done[-1]}"
        self._say("acked", seqs=seqs)

    def held_back(self, button: int | None, left_s: float) -> None:
        """Report a press the cooldown held back."""
        self._say("held", button=button or "?", left=max(1, round(left_s)))

    def rejected(self, code: str, button: int | None) -> None:
        """Report a press or a scan refused, in words."""
        if code in self.lines:
            self._say(code, button=button or "?")

    def stopping(self) -> None:
        """Say that the kiosk is stopping."""
        self._say("stopping")

    def _say(self, key: str, **values) -> None:
        line = texts.nfc(self.lines[key].format(**values))
        self.write(f"{self.clock():%H:%M:%S} {line}")
