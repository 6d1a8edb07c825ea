"""Gather the kiosk's periodic health report."""

from __future__ import annotations

import shutil
from pathlib import Path

from hailong.device.status import KioskStatus
from hailong.protocol import Health

THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")
# The Pi firmware reports under-voltage in bit 0 of get_throttled via this hwmon file.
UNDERVOLT = Path("/sys/devices/platform/soc/soc:firmware/get_throttled")


def cpu_temp_c() -> float | None:
    """Return the SoC temperature in °C, or None where there is no sensor."""
    try:
        return round(int(THERMAL.read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None


def undervoltage() -> bool | None:
    """Tell whether the Pi reports under-voltage now, or None off a Pi."""
    try:
        return bool(int(UNDERVOLT.read_text().strip(), 16) & 0x1)
    except (OSError, ValueError):
        return None


def disk_free_mb(folder: Path) -> float | None:
    """Return the free space where the journal lives, in MB."""
    try:
        return round(shutil.disk_usage(folder).free / 1e6, 1)
    except OSError:
        return None


def build_health(status: KioskStatus) -> Health:
    """Return the Health message describing the kiosk's status, with the sensors read now."""
    s = status
    return Health(
        session=s.session, version=s.version, uptime=round(s.uptime, 1), backlog=s.backlog,
        last_seq=s.last_seq, synced=s.synced, anchor=s.anchor,
        disk_free_mb=disk_free_mb(s.state_dir), cpu_temp_c=cpu_temp_c(),
        undervoltage=undervoltage(), suppressed=s.suppressed, faults=s.faults,
    )  # fmt: skip
