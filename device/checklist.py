"""The selftest's checklist: one line per check, in words a technician reads, and its verdict."""

from __future__ import annotations

from dataclasses import dataclass

BUTTONS, LEDS, SCREEN, FONT = (
    "Nút bấm / buttons",
    "Đèn / LEDs",
    "Màn hình / screen",
    "Phông chữ / font",
)
JOURNAL, BROKER, CLOCK, SOUND = (
    "Nhật ký / journal", "Máy chủ MQTT / broker", "Đồng hồ / clock", "Âm thanh / sound",
)  # fmt: skip
TAGS = {"ok": "[ OK ]", "warn": "[CHÚ Ý]", "fail": "[LỖI]"}


@dataclass(frozen=True)
class Check:
    """One line of the checklist: ok=False fails the selftest; warn marks a pass worth a look."""

    name: str
    ok: bool
    detail: str
    warn: bool = False

    @property
    def level(self) -> str:
        """Return "ok", "warn" or "fail"."""
        return "fail" if not self.ok else "warn" if self.warn else "ok"


def report(checks: list[Check]) -> str:
    """Return the checklist, one line per check, and a summary line."""
    width = max(len(tag) for tag in TAGS.values())
    lines = [f"{TAGS[c.level]:<{width}} {c.name}: {c.detail}" for c in checks]
    failed = sum(not c.ok for c in checks)
    verdict = "ĐẠT / PASSED" if not failed else f"{failed} LỖI / FAILED"
    lines.append(f"Kết quả / result: {verdict} ({len(checks) - failed}/{len(checks)})")
    return "\n".join(lines)


def exit_status(checks: list[Check]) -> int:
    """Return 0 when every check passed, else 1."""
    return 0 if all(c.ok for c in checks) else 1
