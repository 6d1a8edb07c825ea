"""Signing in and out, who is signed in, and what their role lets them do."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from hailong.server.accounts import sessions, throttle
from hailong.server.accounts import users as accounts
from hailong.server.web.i18n import COOKIE, LANGUAGES, gettext
from hailong.server.web.site import site

bp = Blueprint("auth", __name__)


def load_user() -> None:
    """Put the user of a live session, still active, in g.user (None for a visitor)."""
    g.user = None
    if "sid" not in session:
        return
    with site().engine.connect() as conn:
        user = sessions.session_user(conn, session["sid"], _lifetime_s())
    # Signed out, a new password, a deactivated account or an expired session: start afresh.
    if user is None:
        session.clear()
    g.user = user


def sign_in(user: accounts.User) -> None:
    """Give this browser a new session id for the account."""
    with site().engine.begin() as conn:
        session_id = sessions.start_session(conn, user.id, _lifetime_s())
    session.permanent = True
    session["sid"] = session_id


def require_login() -> object | None:
    """Send a visitor to the login page, and an account with a one-time password to change it.

    An official's account is refused (403): staff pages show other officials' figures and
    citizens' presses; it has its own page (web/mine.py).
    """
    if g.user is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if g.user.must_change:
        return redirect(url_for("auth.change_password"))
    if g.user.role == accounts.OFFICIAL:
        abort(403)
    return None


def role(*roles: str):
    """Let only users holding one of the roles (or admin) run the view."""

    def wrap(view):
        @functools.wraps(view)
        def checked(**kwargs):
            if g.user is None or g.user.must_change:
                return require_login()
            if not g.user.can(*roles):
                abort(403)
            return view(**kwargs)

        return checked

    return wrap


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; sign in with a correct password, within the login limit."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=target)
    username = request.form.get("username", "")
    address = request.remote_addr or "-"
    web = site().config.web
    with site().engine.begin() as conn:
        wait = throttle.claim_attempt(conn, username, address, free=web.login_attempts,
                                      window_s=web.login_window_s)  # fmt: skip
    if wait:
        message = gettext("Quá nhiều lần đăng nhập sai. Hãy thử lại sau {s} giây.", s=wait)
        page = render_template("login.html", next=target, error=message, username=username)
        return page, 429, {"Retry-After": str(wait)}
    with site().engine.begin() as conn:
        user = accounts.authenticate(conn, username, request.form.get("password", ""))
        if user is not None:
            throttle.forget_attempts(conn, user.username, address)
    if user is None:
        error = gettext("Sai tên đăng nhập hoặc mật khẩu.")
        return render_template("login.html", next=target, error=error, username=username), 401
    session.clear()  # a fresh session: nothing from before the login carries over
    sign_in(user)
    return redirect(target)


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Let the signed-in account choose its own password (forced after a one-time password)."""
    if g.user is None:
        return require_login()
    if request.method == "GET":
        return _password_page()
    form = request.form
    error = _password_problem(form.get("current", ""), form.get("new", ""), form.get("again", ""))
    if error:
        return _password_page(error), 400
    # A new password ends every session of the account (users.set_user): open this one again.
    user = g.user
    with site().engine.begin() as conn:
        accounts.change_own_password(conn, user, form["current"], form["new"])
    sign_in(user)
    flash(gettext("Đã đổi mật khẩu."), "info")
    return redirect(url_for("auth.home"))


def _password_page(error: str | None = None) -> str:
    return render_template("password.html", error=error, min_password=accounts.MIN_PASSWORD)


def _password_problem(current: str, new: str, again: str) -> str | None:
    """Return what is wrong with a password change, in the visitor's language, or None."""
    if new != again:
        return gettext("Hai lần nhập mật khẩu mới không khớp nhau.")
    if len(new) < accounts.MIN_PASSWORD:
        return gettext("Mật khẩu mới cần ít nhất {n} ký tự.", n=accounts.MIN_PASSWORD)
    if new == current:
        return gettext("Mật khẩu mới phải khác mật khẩu hiện tại.")
    with site().engine.connect() as conn:
        if accounts.authenticate(conn, g.user.username, current) is None:
            return gettext("Mật khẩu hiện tại không đúng.")
    return None


@bp.post("/logout")
def logout():
    """Sign out: end the session on the server too, so that a copy of the cookie is useless."""
    with site().engine.begin() as conn:
        sessions.end_session(conn, session.get("sid"))
    session.clear()
    flash(gettext("Đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Remember the chosen language in a cookie and go back."""
    if code not in LANGUAGES:
        abort(404)
    response = make_response(redirect(safe_next(request.args.get("next"))))
    response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax",
                        secure=site().config.web.secure_cookies, httponly=True)  # fmt: skip
    return response


@bp.get("/")
def home():
    """Send staff to the summary, an official to their own results, a visitor to the board."""
    if g.user is None:
        return redirect(url_for("board.board"))
    own = g.user.role == accounts.OFFICIAL
    return redirect(url_for("mine.mine" if own else "summary.summary"))


def _lifetime_s() -> int:
    return site().config.web.session_hours * 3600


def safe_next(target: str | None) -> str:
    """Return a path on this site to go to next; anything else becomes the home page."""
    if not target:
        return url_for("auth.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("auth.home")
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return url_for("auth.home")
    return target
