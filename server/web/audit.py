"""The audit page: every change to reference data, duty, dossier counts, marks and accounts."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from hailong.server.reference import audit as audit_log
from hailong.server.reference import scope
from hailong.server.storage.db import audit as audit_table
from hailong.server.web.audit_words import KINDS, describe
from hailong.server.web.auth import require_login
from hailong.server.web.i18n import gettext
from hailong.server.web.site import site

bp = Blueprint("audit", __name__, url_prefix="/admin")
bp.before_request(require_login)
LIMITS = (100, 500, 2000)


@bp.get("/audit")
def audit():
    """List the latest changes, newest first, optionally of one kind."""
    limit = request.args.get("limit", type=int)
    limit = limit if limit in LIMITS else LIMITS[0]
    with site().engine.connect() as conn:
        here = scope.visible(audit_table)
        kinds = sorted(conn.execute(select(audit_table.c.entity).where(here).distinct()).scalars())
        entity = request.args.get("entity") if request.args.get("entity") in kinds else None
        entries = audit_log.recent(conn, limit, entity)
    tz = site().config.time_zone
    rows = [(e, describe(e, tz)) for e in entries]
    kind_names = {k: gettext(KINDS.get(k, k)) for k in kinds}
    return render_template("admin/audit.html", rows=rows, kinds=kinds, kind_names=kind_names,
                           entity=entity, limit=limit, limits=LIMITS)  # fmt: skip
