"""The collector's pages: an app factory in the manner of the Flask tutorial.

Staff pages (summary, devices, administration) need a signed-in account; the public board and
the poster do not; the JSON API takes a bearer token. Every form carries a CSRF token
(Flask-WTF), sessions are signed cookies (HttpOnly, SameSite=Lax, Secure behind TLS), and every
page is sent with a Content-Security-Policy that allows nothing from elsewhere.
"""

from __future__ import annotations

import gc
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from hailong.protocol.i18n import N_, NC_
from hailong.server.config import CollectorConfig, load_config
from hailong.server.epoch import now_ms
from hailong.server.errors import SchemaError
from hailong.server.ingest.state import ingest_health
from hailong.server.reporting.figures import FigureCache
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.db import open_database
from hailong.server.storage.migrate import check_current
from hailong.server.web import (
    admin,
    api,
    audit,
    auth,
    board,
    devices,
    dossiers,
    duty,
    explain,
    i18n,
    kiosks,
    mine,
    office,
    province,
    ratelimit,
    summary,
    users,
)
from hailong.server.web.site import Site, report_settings, secret_key, site

BLUEPRINTS = (auth, summary, board, devices, admin, duty, dossiers, kiosks, audit, users, api,
              explain, mine, office, province)  # fmt: skip
# (endpoint, label, roles that see it; none: every staff account, never an official's)
NAV = (
    ("mine.mine", NC_("menu", "Kết quả của tôi"), ("official",)),
    ("summary.summary", NC_("menu", "Tổng hợp"), ()),
    ("province.province", NC_("menu", "Toàn tỉnh"), ()),  # the root office's accounts only
    ("board.board", NC_("menu", "Bảng công khai"), ()),
    ("devices.fleet", NC_("menu", "Thiết bị"), ()),  # the kiosk administration opens from its page
    ("admin.officials", NC_("menu", "Cán bộ"), ("staff",)),
    ("admin.fields", NC_("menu", "Lĩnh vực"), ("staff",)),
    ("admin.counters", NC_("menu", "Quầy"), ("staff",)),
    ("duty.duty", NC_("menu", "Phân công"), ("staff",)),
    ("dossiers.dossier_counts", NC_("menu", "Hồ sơ"), ("staff",)),
    ("audit.audit", NC_("menu", "Nhật ký"), ()),
    ("users.users", NC_("menu", "Tài khoản"), ("admin",)),
)
ROLE_NAMES = {"admin": N_("Quản trị"), "leader": N_("Lãnh đạo"), "staff": N_("Cán bộ thống kê"),
              "official": N_("Cán bộ, công chức (CBCC)")}  # fmt: skip
QUARANTINE_KINDS = {"invalid": N_("Sai định dạng"), "signature": N_("Sai chữ ký"),
                    "mismatch": N_("Sai mã thiết bị"), "conflict": N_("Xung đột")}  # fmt: skip
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")  # fmt: skip
csrf = CSRFProtect()


def create_app(config: CollectorConfig | None = None, *, settings: ReportSettings | None = None,
               **overrides) -> Flask:  # fmt: skip
    """Build the web application for one collector configuration.

    `settings` replaces the report settings file; `overrides` go into Flask's config (tests
    pass TESTING, SECRET_KEY …).
    """
    config = config or load_config(None)
    # The pages keep nothing in an instance folder; naming one spares Flask a search that fails
    # inside the hailong namespace package.
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent))
    _configure(app, config, overrides)
    engine = open_database(config.database)
    app.extensions["hailong"] = Site(config, engine, settings or report_settings(config),
                                     FigureCache())  # fmt: skip
    csrf.init_app(app)
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    app.before_request(_before)
    app.teardown_request(office.leave)
    ratelimit.install(app, config.web)  # after _before: signed-in users are never limited
    app.after_request(_secure_headers)
    app.context_processor(_template_values)
    _error_pages(app)

    @app.get("/healthz")
    def healthz():
        """Tell a monitor whether the database reads and ingest is storing presses (else 503)."""
        return health_report(site())

    # What startup built lives as long as the process: keep it out of every garbage
    # collection, whose full passes otherwise add tens of ms to a report page's tail.
    gc.freeze()
    return app


def health_report(s: Site):
    """Return /healthz's answer: the database, ingest's last commit, and 200 or 503."""
    stale_ms = s.config.ingest.stale_after_s * 1000
    try:
        with s.engine.connect() as conn:
            found = ingest_health(conn, now_ms(), stale_ms)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return {"ok": False, "database": reason, "ingest": None}, 503
    ingest = {"last_commit_ms": found.last_commit_ms, "held_since_ms": found.held_since_ms,
              "kiosks_online": found.online, "stale": found.stale}  # fmt: skip
    return {"ok": not found.failing, "database": "ok", "ingest": ingest}, (
        503 if found.failing else 200
    )


def _configure(app: Flask, config: CollectorConfig, overrides: dict) -> None:
    """Set sessions, cookies, CSRF and upload limits."""
    web = config.web
    app.config.update(
        SESSION_COOKIE_NAME="hailong_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=web.session_hours),
        # Send the cookie only when the session changed: a late response (the favicon of the
        # page before) must not put back an older cookie and lose a message meant for this page.
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=web.secure_cookies,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,  # dossier files are a few kB; refuse big uploads
    )
    app.json.ensure_ascii = False
    if "SECRET_KEY" not in overrides:
        app.config["SECRET_KEY"] = secret_key(web.secret_key_file)
    app.config.update(overrides)


def _before() -> None:
    """Choose the language and find the signed-in user."""
    g.lang = i18n.choose_language()
    auth.load_user()
    office.enter_for_user()  # every page of a signed-in account shows its office's data only


def _secure_headers(response):
    """Forbid framing, sniffing and anything from elsewhere; keep staff pages out of caches."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if getattr(g, "user", None) is not None or request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _template_values() -> dict:
    """Give templates the translation helpers, the unit's name and the navigation."""
    tz = site().config.time_zone
    return {
        **i18n.template_helpers(),
        "unit_name": site().settings_here().unit_name,
        "office_choices": office.choices(),
        "current_office": g.get("office"),
        "nav_items": _nav(getattr(g, "user", None)),
        "role_names": ROLE_NAMES,
        "quarantine_kinds": QUARANTINE_KINDS,
        "moment": lambda ms: i18n.moment(ms, tz),
        "ago": i18n.ago,
        "now_ms": now_ms(),
    }


def _nav(user) -> tuple:
    """Return the menu entries the user may open (an official's menu holds only their page)."""
    if user is None:
        return ()
    province = user.office_id is not None and office.may_choose(user)
    return tuple(item for item in NAV if user.can(*item[2])
                 and (province or item[0] != "province.province"))  # fmt: skip


def _error_pages(app: Flask) -> None:
    """Answer errors with a page (or JSON under /api/) in the visitor's language."""

    def page(status: int, message: str):
        if request.path.startswith("/api/"):
            return jsonify(error=message), status
        return render_template("error.html", message=message), status

    app.register_error_handler(CSRFError, lambda _e: page(
        400, i18n.gettext("Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ. Hãy tải lại trang và thử lại.")))  # fmt: skip
    app.register_error_handler(
        403, lambda _e: page(403, i18n.gettext("Tài khoản của bạn không có quyền này."))
    )
    app.register_error_handler(404, lambda _e: page(404, i18n.gettext("Không có trang này.")))
    app.register_error_handler(
        405, lambda _e: page(405, i18n.gettext("Không hỗ trợ thao tác này."))
    )
    app.register_error_handler(
        413, lambda _e: page(413, i18n.gettext("Tệp quá lớn (tối đa 5 MB)."))
    )

    def database_error(exc: DBAPIError):
        # Pages never create tables: on a database emptied or replaced under a running web,
        # say what to run instead of answering 500 (any other database error stays a 500).
        with site().engine.connect() as conn:
            try:
                check_current(conn)
            except SchemaError as error:
                app.logger.error("%s", error)
                return page(503, i18n.gettext(
                    "Cơ sở dữ liệu chưa được nâng cấp: hãy chạy hailong-collector db upgrade."))  # fmt: skip
        raise exc

    app.register_error_handler(DBAPIError, database_error)
