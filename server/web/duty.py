"""Duty page: who serves at which counter; saving pushes the kiosk its new Config at once."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hailong.server.reference import catalogue as reference
from hailong.server.reference.duty import assignments, last_assignment
from hailong.server.reporting import queries as report_queries
from hailong.server.reporting.periods import parse_local_time
from hailong.server.web.auth import require_login, role
from hailong.server.web.changes import actor, apply, push_counters
from hailong.server.web.i18n import gettext
from hailong.server.web.site import site

bp = Blueprint("duty", __name__, url_prefix="/admin")
bp.before_request(require_login)
HISTORY = 50


@bp.get("/duty")
@role("staff")
def duty():
    """Show each counter with the official on duty, and the latest changes of duty."""
    with site().engine.connect() as conn:
        counters = reference.listing(conn, "counter")
        officials = [o for o in reference.listing(conn, "official") if o["active"]]
        names = {o["code"]: o["name"] for o in reference.listing(conn, "official")}
        current = {c["code"]: last_assignment(conn, c["code"]) for c in counters}
        history = sorted(assignments(conn), key=lambda a: a.start_ms, reverse=True)[:HISTORY]
    return render_template("admin/duty.html", counters=counters, officials=officials,
                           names=names, current=current, history=history)  # fmt: skip


@bp.post("/duty")
@role("staff")
def assign():
    """Put an official on duty at a counter (now, or from the given time)."""
    counter, official = request.form.get("counter", ""), request.form.get("official", "")
    tz = site().config.time_zone
    start = _local_time(request.form.get("start"))

    def save(conn):
        return reference.assign(
            conn, counter, official, parse_local_time(start, tz), actor(), tz=tz
        )

    new = apply(save)
    if new:
        name = official_names(site().engine, [new.official]).get(new.official, new.official)
        flash(gettext("Đã phân công {official} tại quầy {counter}.", official=name, counter=counter),
              "info")  # fmt: skip
        push_counters([counter])
    return redirect(url_for("duty.duty"))


@bp.post("/duty/end")
@role("staff")
def release():
    """End the duty at a counter: nobody serves there from now (or the given time)."""
    counter = request.form.get("counter", "")
    tz = site().config.time_zone
    end = _local_time(request.form.get("end"))

    def save(conn):
        return reference.release(conn, counter, parse_local_time(end, tz), actor(), tz=tz)

    if apply(save, gettext("Đã kết thúc phân công tại quầy {counter}.", counter=counter)):
        push_counters([counter])
    return redirect(url_for("duty.duty"))


def official_names(engine, codes) -> dict[str, str]:
    """Return the names of these officials."""
    with engine.connect() as conn:
        return report_queries.official_names(conn, codes)


def _local_time(text: str | None) -> str | None:
    """Return the typed "dd/mm/yyyy HH:MM", or None (now) when left empty."""
    text = " ".join((text or "").split())
    return text or None
