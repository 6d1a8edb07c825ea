"""Reference data pages: officials, fields and counters (add, rename, deactivate)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hailong.protocol.i18n import N_
from hailong.server.errors import InputError
from hailong.server.reference import catalogue as reference
from hailong.server.reference import remarks, scope
from hailong.server.reference.duty import open_assignments
from hailong.server.storage.db import counters as counters_table
from hailong.server.storage.db import officials as officials_table
from hailong.server.web import office
from hailong.server.web.auth import require_login, role
from hailong.server.web.changes import actor, apply, push_counters
from hailong.server.web.i18n import gettext, problem
from hailong.server.web.site import site

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_login)
TITLES = {"official": N_("Cán bộ, công chức"), "field": N_("Lĩnh vực"), "counter": N_("Quầy")}


@bp.get("/")
def index():
    """Open the administration at the officials."""
    return redirect(url_for("admin.officials"))


@bp.route("/officials", methods=["GET", "POST"])
@role("staff")
def officials():
    """List officials; add one."""
    return _people_or_fields("official")


@bp.route("/fields", methods=["GET", "POST"])
@role("staff")
def fields():
    """List fields (lĩnh vực); add one."""
    return _people_or_fields("field")


@bp.post("/<any(official, field):entity>/<code>")
@role("staff")
def change(entity: str, code: str):
    """Rename, deactivate or reactivate an official or a field; tell the kiosks showing it."""
    setter = reference.set_official if entity == "official" else reference.set_field
    if entity == "field":
        office.require_root()  # the one catalogue is the province's
    else:
        office.require_row(officials_table, officials_table.c.code == code)
    name = request.form.get("name") or None
    active = request.form.get("active") == "1"

    def save(conn):
        setter(conn, code, actor(), name=name, active=active)
        return _counters_showing(conn, entity, code)

    shown = apply(save, gettext("Đã lưu {code}.", code=code))
    if shown:
        push_counters(shown)
    return redirect(url_for(f"admin.{entity}s"))


@bp.route("/counters", methods=["GET", "POST"])
@role("staff")
def counters():
    """List counters; add one."""
    if request.method == "POST":
        field = request.form.get("field") or None
        apply(lambda conn: reference.add_counter(conn, request.form.get("code", ""),
                                                 request.form.get("name", ""), actor(), field=field),
              gettext("Đã thêm quầy."))  # fmt: skip
        return redirect(url_for("admin.counters"))
    with site().engine.connect() as conn:
        rows = reference.listing(conn, "counter")
        field_list = reference.listing(conn, "field")
    return render_template("admin/counters.html", rows=rows, fields=field_list)


@bp.post("/counter/<code>")
@role("staff")
def change_counter(code: str):
    """Rename a counter or change its field; tell its kiosks."""
    office.require_row(counters_table, counters_table.c.code == code)
    field = request.form.get("field") or None
    done = apply(lambda conn: reference.set_counter(conn, code, actor(),
                                                    name=request.form.get("name") or None,
                                                    field=field),
                 gettext("Đã lưu {code}.", code=code))  # fmt: skip
    if done:
        push_counters([code])
    return redirect(url_for("admin.counters"))


def _people_or_fields(entity: str):
    """Add on POST, list on GET: officials and fields share one page."""
    if request.method == "POST":
        if entity == "field":
            office.require_root()
        adder = reference.add_official if entity == "official" else reference.add_field
        apply(lambda conn: adder(conn, request.form.get("code", ""), request.form.get("name", ""),
                                 actor()), gettext("Đã thêm."))  # fmt: skip
        return redirect(url_for(f"admin.{entity}s"))
    with site().engine.connect() as conn:
        rows = reference.listing(conn, entity)
    return render_template("admin/reference.html", entity=entity, rows=rows,
                           title=TITLES[entity])  # fmt: skip


def _counters_showing(conn, entity: str, code: str) -> list[str]:
    """Return the counters whose kiosks show this official (on duty) or this field."""
    if entity == "official":
        return [a.counter for a in open_assignments(conn, official=code)]
    query = select(counters_table.c.code).where(
        counters_table.c.field == code, scope.visible(counters_table)
    )
    return list(conn.execute(query).scalars())


@bp.route("/remarks", methods=["GET", "POST"])
@role("staff")
def remarks_page():
    """Write the remarks and proposals (table D) of a period's report."""
    period = request.values.get("period", "").strip()
    if request.method == "POST":
        text = request.form.get("text", "")
        saved = apply(lambda conn: remarks.set_remarks(conn, period, text, actor()),
                      gettext("Đã lưu nhận xét, kiến nghị."))  # fmt: skip
        if saved:
            return redirect(url_for("admin.remarks_page", period=saved))
    text = ""
    if period:
        try:
            with site().engine.connect() as conn:
                text = remarks.remarks_for(conn, period) or ""
        except InputError as exc:
            flash(gettext("Không lưu được: {problem}.", problem=problem(exc)), "error")
    return render_template("admin/remarks.html", period=period, text=text)
