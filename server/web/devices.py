"""Fleet health: every kiosk's state, last contact, backlog, clock and faults.

A kiosk that has not been heard from for SILENT_AFTER_MS while the office is open stands out:
citizens may be pressing buttons that nobody receives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.engine import Connection

from hailong.server.epoch import now_ms
from hailong.server.ingest.state import ingest_health
from hailong.server.reference import scope
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.db import device_counters, devices
from hailong.server.storage.snapshot import snapshot
from hailong.server.web.auth import require_login
from hailong.server.web.site import site

bp = Blueprint("devices", __name__)
bp.before_request(require_login)
SILENT_AFTER_MS = 10 * 60_000  # a healthy kiosk reports every minute


@dataclass(frozen=True)
class Kiosk:
    """One kiosk as the fleet page shows it."""

    device: str
    counter: str | None
    state: str | None  # online | offline | None (never said)
    state_since_ms: int | None
    last_seen_ms: int | None
    acked_upto: int
    health: dict
    silent: bool  # not heard from for a while during office hours

    @property
    def reported_seq(self) -> int | None:
        """Return the last seq the kiosk's latest health report named."""
        return self.health.get("last_seq")

    @property
    def last_seq(self) -> int | None:
        """Return the last seq known: the reported one, or the acked one when that is higher."""
        # A health report comes every minute, acks with every press: the report may lag.
        return None if self.reported_seq is None else max(self.reported_seq, self.acked_upto)

    @property
    def health_stale(self) -> bool:
        """Return whether the health report predates the last ack (it named a lower seq)."""
        return self.reported_seq is not None and self.reported_seq < self.acked_upto

    @property
    def unacked(self) -> int | None:
        """Return how many journaled presses the collector has not acknowledged yet."""
        return None if self.last_seq is None else max(0, self.last_seq - self.acked_upto)


@bp.get("/devices")
def fleet():
    """Show every kiosk's health; silent ones during office hours first."""
    s = site()
    with snapshot(s.engine) as conn:
        kiosks = fleet_health(conn, s.settings, now_ms())
        ingest = ingest_health(conn, now_ms(), s.config.ingest.stale_after_s * 1000)
    counts = {
        "online": sum(k.state == "online" for k in kiosks),
        "offline": sum(k.state != "online" for k in kiosks),
        "silent": sum(k.silent for k in kiosks),
    }
    return render_template("devices.html", kiosks=kiosks, counts=counts, now_ms=now_ms(),
                           open_now=s.settings.office.is_open_ms(now_ms()),
                           ingest=ingest)  # fmt: skip


def fleet_health(conn: Connection, settings: ReportSettings, at_ms: int) -> list[Kiosk]:
    """Return every known kiosk with its health, silent ones first, then by name."""
    rows = conn.execute(
        select(devices, device_counters.c.counter)
        .outerjoin(device_counters, device_counters.c.device == devices.c.device)
        .where(scope.visible(devices))
        .order_by(devices.c.device)
    )
    open_now = settings.office.is_open_ms(at_ms)
    kiosks = []
    for r in rows:
        heard = r.last_seen_ms is not None and at_ms - r.last_seen_ms < SILENT_AFTER_MS
        kiosks.append(Kiosk(r.device, r.counter, r.state, r.state_since_ms, r.last_seen_ms,
                            r.acked_upto or 0, _health(r.health),
                            open_now and (r.state != "online" or not heard)))  # fmt: skip
    return sorted(kiosks, key=lambda k: (not k.silent, k.device))


def _health(text: str | None) -> dict:
    """Decode the stored Health report; a damaged one shows as empty."""
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
