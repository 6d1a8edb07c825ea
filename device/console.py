"""The lines `run --headless` and `--simulate` print: each press and its fate, as a technician reads it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from hailong.device import texts
from hailong.protocol import Press
from hailong.protocol.i18n import N_

# What the lines say, in Vietnamese; the English is in the kiosk's catalogue (device/texts.py).
_LINES = {
    "ready": N_("Sẵn sàng: phím 1–4 là nút 1–4 từ trái sang ({labels}); q để thoát."),
    "recorded": N_("Nút {button} → {label}{reason}: đã ghi (seq {seq}), chờ xác nhận{test}"),
    "reason": N_(", lý do {n}: {text}"),
    "test": N_(" (lượt thử, không tính)"),
    "acked": N_("seq {seqs} đã xác nhận"),
    "held": N_("Nút {button}: bỏ qua, đang trong thời gian chờ sau lượt trước (còn {left} giây)"),
    "dossier-required": N_("Nút {button}: chưa ghi, cần quét mã hồ sơ trước"),
    "dossier-already-rated": N_("mã hồ sơ bị từ chối: hồ sơ này đã được đánh giá"),
    "stopping": N_("Đang dừng kiosk."),
    "configured": N_(
        "Nhận cài đặt từ máy chủ: quầy {counter}, cán bộ {official}, lĩnh vực {field}"
    ),
}


class Console:
    """Print one plain line per event worth a technician's eye; never a Python repr."""

    def __init__(self, language: str, clock: Callable[[], datetime], write=None):
        translate = texts.CATALOGUE.translator(language)
        self.lines = {key: translate(line) for key, line in _LINES.items()}
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

    def configured(self, profile) -> None:
        """Report the settings the collector sent: where the kiosk stands and whom it rates."""
        self._say("configured", counter=profile.counter or "—",
                  official=profile.official_name or profile.official or "—",
                  field=profile.field_name or profile.field or "—")  # fmt: skip

    def stopping(self) -> None:
        """Say that the kiosk is stopping."""
        self._say("stopping")

    def _say(self, key: str, **values) -> None:
        line = texts.nfc(self.lines[key].format(**values))
        self.write(f"{self.clock():%H:%M:%S} {line}")
