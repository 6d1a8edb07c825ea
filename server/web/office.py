"""The office a page shows: the signed-in account's, or the one a province account chose.

Every request of a signed-in account acts for an office (reference/scope.py) from before the
view runs until the request ends, so every listing, lookup, figure and download is that office's
subtree. An account of the root office (the province) chooses which office the pages show (a
chooser in the menu, kept in the session); the others never see one. A code, a device or a
name outside the office answers 404, as if it did not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, session, url_for
from sqlalchemy import select

from hailong.server.accounts.users import OFFICIAL
from hailong.server.reference import offices, scope
from hailong.server.storage.schema import devices
from hailong.server.web.site import site

bp = Blueprint("office", __name__)
CHOSEN = "office"  # the session key of a province account's chosen office id


def enter(office_id: int) -> None:
    """Act for an office until the request ends (leave)."""
    with site().engine.connect() as conn:
        g.office_scope = scope.acting_for(conn, office_id)
        g.office = g.office_scope.__enter__().office


def leave(_exc=None) -> None:
    """End the request's office scope, if it has one."""
    held = g.pop("office_scope", None)
    if held is not None:
        held.__exit__(None, None, None)


def enter_for_user() -> None:
    """Act for the signed-in account's office, or the office its province account chose."""
    user = getattr(g, "user", None)
    if user is None or user.office_id is None:
        return
    chosen = session.get(CHOSEN)
    if chosen is not None and may_choose(user):
        with site().engine.connect() as conn:
            if not offices.within(conn, user.office_id, chosen):
                chosen = None
    enter(chosen if chosen is not None and may_choose(user) else user.office_id)


def may_choose(user) -> bool:
    """Tell whether the account belongs to the root office (only those choose an office)."""
    with site().engine.connect() as conn:
        return offices.by_id(conn, user.office_id).parent_id is None and not offices.single(conn)


def choices() -> list[tuple[offices.Office, int]]:
    """Return (office, depth) for the chooser: every office, for a province account only."""
    user = getattr(g, "user", None)
    if user is None or user.office_id is None or not may_choose(user):
        return []
    with site().engine.connect() as conn:
        every = offices.every_office(conn)
    return [(o, offices.depth(every, o)) for o in every]


@bp.post("/office")
def choose():
    """Keep the office a province account chose for its pages; 404 for everyone else."""
    user = getattr(g, "user", None)
    if user is not None and user.role == OFFICIAL:
        abort(403)  # an official's account opens its own page only, as everywhere
    if user is None or user.must_change or user.office_id is None or not may_choose(user):
        abort(404)
    with site().engine.connect() as conn:
        office = offices.find(conn, request.form.get("office", ""))
    if office is None:
        abort(404)
    session[CHOSEN] = office.id
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("summary.summary"))  # fmt: skip


def require_row(table, *where) -> None:
    """Answer 404 unless a row of the table matching `where` is in the office's subtree."""
    with site().engine.connect() as conn:
        found = conn.execute(select(*table.primary_key.columns).where(*where,
                                                                       scope.visible(table)))  # fmt: skip
        if found.first() is None:
            abort(404)


def require_device(device: str, may_be_new: bool = False) -> None:
    """Answer 404 for a kiosk of another office, or (of several offices) one unknown here.

    `may_be_new`: an unknown kiosk is about to be registered in this office.
    """
    held = scope.current()
    if held is None or held.alone:
        return
    with site().engine.connect() as conn:
        office = conn.execute(select(devices.c.office_id).where(devices.c.device == device))
        found = office.scalar()
    if (found is None and not may_be_new) or (found is not None and found not in held.ids):
        abort(404)


def require_root() -> None:
    """Answer 404 unless the page acts for the root office (the one field catalogue is its)."""
    held = scope.current()
    if held is not None and held.office.parent_id is not None:
        abort(404)
