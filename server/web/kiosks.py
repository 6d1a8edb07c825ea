"""Kiosk administration: place a kiosk at a counter, register or revoke one, mark test presses."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from hailong.protocol.bundle import BUNDLE_NAME
from hailong.server.broker.accounts import accounts as broker_accounts
from hailong.server.broker.provision import SetupError, add_device, revoke_device
from hailong.server.epoch import to_ms
from hailong.server.errors import CollectorError, InputError
from hailong.server.reference import catalogue as reference
from hailong.server.reference import corrections, scope
from hailong.server.reporting.periods import parse_local_time
from hailong.server.storage.db import corrections as corrections_table
from hailong.server.storage.db import device_counters, devices
from hailong.server.web import office
from hailong.server.web.auth import require_login, role
from hailong.server.web.changes import actor, apply, push_kiosks
from hailong.server.web.i18n import gettext, problem
from hailong.server.web.site import site

bp = Blueprint("kiosks", __name__, url_prefix="/admin")
bp.before_request(require_login)
RECENT = 50


@bp.get("/kiosks")
@role("staff")
def kiosks():
    """List the kiosks with their counters, the recent test markings, and the forms."""
    return _page()


def _page(**extra):
    """Render the kiosks page (with a marking's preview, when there is one)."""
    with site().engine.connect() as conn:
        rows = reference.list_devices(conn)
        counters = reference.listing(conn, "counter")
        mine = select(devices.c.device).where(scope.visible(devices))
        marked = conn.execute(
            select(corrections_table)
            .where(corrections_table.c.device.in_(mine))
            .order_by(corrections_table.c.id.desc())
            .limit(RECENT)
        ).all()
    revocable = _revocable() if g.user.can("admin") else []
    return render_template("admin/kiosks.html", rows=rows, counters=counters, marked=marked,
                           revocable=revocable, **extra)  # fmt: skip


@bp.post("/kiosks/place")
@role("staff")
def place():
    """Place a kiosk at a counter and send it the Config it should show."""
    device, counter = request.form.get("device", "").strip(), request.form.get("counter", "")
    office.require_device(device)
    tz = site().config.time_zone  # a refusal names the current placement's start in local time
    config = apply(lambda conn: reference.set_device_counter(conn, device, counter, actor(), tz=tz),
                   gettext("Đã đặt kiosk {device} tại quầy {counter}.", device=device,
                           counter=counter))  # fmt: skip
    if config is not None:
        push_kiosks([device])
    return redirect(url_for("kiosks.kiosks"))


@bp.post("/kiosks/test")
@role("staff")
def mark_test():
    """Mark a kiosk's presses as test with a reason: excluded from reports, never deleted."""
    device, reason = request.form.get("device", "").strip(), request.form.get("reason", "")
    office.require_device(device)

    def save(conn):
        seqs = corrections.parse_seqs(request.form.get("seqs", ""))
        return corrections.exclude(conn, device, seqs, reason, actor())

    count = apply(save)
    if count:
        flash(gettext("Đã đánh dấu {n} lượt của {device} là thử nghiệm.", n=count, device=device),
              "info")  # fmt: skip
    return redirect(url_for("kiosks.kiosks"))


@bp.get("/kiosks/test/preview")
@role("staff")
def preview_range():
    """Show the presses a kiosk's time range covers, with their seq, before staff confirm."""
    marking = _range_marking(request.args)
    try:
        with site().engine.connect() as conn:
            found = corrections.covered(conn, marking["device"], marking["start_ms"],
                                        marking["end_ms"])  # fmt: skip
    except InputError as exc:
        flash(gettext("Không xem được: {problem}.", problem=problem(exc)), "error")
        return redirect(url_for("kiosks.kiosks"))
    return _page(preview={**marking, "presses": found})


@bp.post("/kiosks/test/range")
@role("staff")
def mark_range():
    """Mark every press a time range covers as test, skipping those already excluded."""
    marking = _range_marking(request.form)
    result = apply(lambda conn: corrections.exclude_between(
        conn, marking["device"], marking["start_ms"], marking["end_ms"], marking["reason"], actor()
    ))  # fmt: skip
    if result:
        done, before = result
        flash(gettext("Đã đánh dấu {n} lượt của {device} là thử nghiệm ({before} lượt đã được đánh dấu từ trước).", n=done, device=marking["device"], before=before), "info")  # fmt: skip
    return redirect(url_for("kiosks.kiosks"))


def _range_marking(values) -> dict:
    """Read device, from, to and reason; a time that cannot be read gives an empty range."""
    tz = site().config.time_zone
    marking = {k: " ".join(values.get(k, "").split()) for k in ("device", "start", "end", "reason")}
    office.require_device(marking["device"])
    try:
        marking["start_ms"], marking["end_ms"] = (
            to_ms(parse_local_time(marking[k] or None, tz)) for k in ("start", "end")
        )
    except InputError as exc:
        flash(gettext("Không đọc được thời gian: {problem}.", problem=problem(exc)), "error")
        marking["start_ms"] = marking["end_ms"] = 0
    return marking


@bp.post("/kiosks/register")
@role("admin")
def register():
    """Register a kiosk: broker account, signing key; send its provisioning bundle to download.

    The bundle holds the kiosk's only copy of its password, so it is sent once and no copy is
    kept on the collector: a lost bundle means registering again with new credentials.
    """
    device, counter = request.form.get("device", "").strip(), request.form.get("counter", "")
    office.require_device(device, may_be_new=True)
    rotate = request.form.get("rotate") == "1"
    with tempfile.TemporaryDirectory(prefix="hailong-bundle-") as folder:
        try:
            with site().engine.begin() as conn:
                made = add_device(conn, site().config, device, counter, actor(),
                                  output=Path(folder), rotate=rotate)  # fmt: skip
        except SetupError as exc:  # the configuration lacks what registering needs: say all
            flash(_setup_message(exc), "error")
            return redirect(url_for("kiosks.kiosks"))
        except (CollectorError, OSError) as exc:  # bad input, or the broker's files not writable
            flash(gettext("Không lưu được: {problem}.", problem=problem(exc)), "error")
            return redirect(url_for("kiosks.kiosks"))
        bundle = made.bundle.read_bytes()
    push_kiosks([device])  # retained now: the kiosk finds its Config on its first connection
    name = f"{made.device}-{BUNDLE_NAME}"
    return Response(bundle, mimetype="application/toml", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})  # fmt: skip


def _setup_message(exc: SetupError) -> str:
    """Say in the page's language which settings registering a kiosk lacks, every one."""
    items = "; ".join(m.text(gettext) for m in exc.missing)
    return gettext("Chưa đăng ký được kiosk: tệp cấu hình {source} còn thiếu: {items}.",
                   source=str(exc.source), items=items)  # fmt: skip


@bp.get("/kiosks/revoke")
@role("admin")
def confirm_revoke():
    """Ask the admin to confirm revoking the kiosk picked from the list, naming its counter."""
    device = request.args.get("device", "").strip()
    office.require_device(device)
    if device not in _revocable():
        flash(gettext("Không có kiosk {device} để thu hồi.", device=device), "error")
        return redirect(url_for("kiosks.kiosks"))
    with site().engine.connect() as conn:
        counter = conn.execute(select(device_counters.c.counter)
                               .where(device_counters.c.device == device)).scalar()  # fmt: skip
    return _page(revoking={"device": device, "counter": counter})


@bp.post("/kiosks/revoke")
@role("admin")
def revoke():
    """Revoke a kiosk: its broker account and ACL entry go, its key is retired, its counter freed.

    Its stored presses stay, and stay verifiable: the retired key is kept aside. Without the
    confirmation the form carries, nothing is revoked: the admin is asked first.
    """
    device = request.form.get("device", "").strip()
    office.require_device(device)
    if request.form.get("confirm") != "1":
        return redirect(url_for("kiosks.confirm_revoke", device=device))
    try:
        with site().engine.begin() as conn:
            revoke_device(conn, site().config, device, actor())
    except (CollectorError, OSError) as exc:
        flash(gettext("Không lưu được: {problem}.", problem=problem(exc)), "error")
    else:
        flash(gettext("Đã thu hồi kiosk {device}.", device=device), "info")
    return redirect(url_for("kiosks.kiosks"))


def _revocable() -> list[str]:
    """Return every kiosk one could revoke: seen, placed at a counter, or with a broker account."""
    with site().engine.connect() as conn:
        known = {r["device"] for r in reference.list_devices(conn)}
    config = site().config
    held = scope.current()
    if held is None or held.alone:  # the broker's accounts are no office's: one office only
        with site().engine.connect() as conn:
            known |= set(conn.execute(select(device_counters.c.device)).scalars())
        # An unreadable password file: the page lists the rest.
        with contextlib.suppress(CollectorError, OSError):
            known |= set(broker_accounts(config.broker.password_file))
    known.discard(config.mqtt.username)
    return sorted(known)
