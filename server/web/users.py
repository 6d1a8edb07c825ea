"""Accounts page (admin only): staff and officials' accounts and their roles, and API tokens."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from hailong.server.accounts import users as accounts
from hailong.server.storage.schema import api_tokens
from hailong.server.storage.schema import users as users_table
from hailong.server.web import office
from hailong.server.web.auth import require_login, role, sign_in
from hailong.server.web.changes import actor, apply
from hailong.server.web.i18n import gettext
from hailong.server.web.site import site

bp = Blueprint("users", __name__, url_prefix="/admin")
bp.before_request(require_login)


@bp.get("/users")
@role("admin")
def users():
    """List the accounts and the API tokens."""
    return _page()


@bp.post("/users")
@role("admin")
def add():
    """Create an account."""
    form = request.form
    apply(lambda conn: accounts.add_user(conn, form.get("username", ""), form.get("password", ""),
                                         form.get("role", ""), actor(), name=form.get("name", ""),
                                         official=form.get("official")),
          gettext("Đã tạo tài khoản."))  # fmt: skip
    return redirect(url_for("users.users"))


@bp.post("/users/<username>")
@role("admin")
def change(username: str):
    """Change an account's role or state, or set a new password."""
    form = request.form
    office.require_row(users_table, users_table.c.username == username)
    active = form.get("active") == "1"
    if username == actor() and (not active or form.get("role") != "admin"):
        return _page(
            gettext("Không thể tự bỏ quyền quản trị hay khóa tài khoản của chính mình.")
        ), 400
    changed = apply(lambda conn: accounts.set_user(conn, username, actor(), role=form.get("role"),
                                                   active=active,
                                                   password=form.get("password") or None,
                                                   must_change=username != actor(),
                                                   official=form.get("official", "")),
                    gettext("Đã lưu {user}.", user=username))  # fmt: skip
    if changed and username == actor() and form.get("password"):
        # A new password ends the account's sessions everywhere but in the browser that set it.
        sign_in(g.user)
    return redirect(url_for("users.users"))


@bp.post("/tokens")
@role("admin")
def add_token():
    """Create an API token and show it once."""
    token = apply(lambda conn: accounts.add_token(conn, request.form.get("name", ""), actor()))
    if token is None:
        return redirect(url_for("users.users"))
    return _page(new_token=token)


@bp.post("/tokens/<name>/revoke")
@role("admin")
def revoke(name: str):
    """Stop an API token from working."""
    office.require_row(api_tokens, api_tokens.c.name == name)
    apply(lambda conn: accounts.revoke_token(conn, name, actor()),
          gettext("Đã thu hồi {name}.", name=name))  # fmt: skip
    return redirect(url_for("users.users"))


def _page(error: str | None = None, new_token: str | None = None):
    with site().engine.connect() as conn:
        rows, tokens = accounts.list_users(conn), accounts.list_tokens(conn)
    return render_template("admin/users.html", rows=rows, tokens=tokens, roles=accounts.ROLES,
                           error=error, new_token=new_token,
                           min_password=accounts.MIN_PASSWORD)  # fmt: skip
