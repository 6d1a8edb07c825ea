"""An official's own results (Kết quả của tôi): their row of table B, and their reply (giải trình).

Only an "official" account opens these pages, and only for the official its account belongs to
(users.official): no code in the address, so there is no other official's page to guess. Every
figure is the report's own (ReportData of the period, its OfficialRow for this official).
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from hailong.protocol.i18n import N_
from hailong.server.accounts.users import OFFICIAL
from hailong.server.reference import replies
from hailong.server.reporting import queries as q
from hailong.server.reporting.metrics import BEST_FIRST
from hailong.server.reporting.periods import Period
from hailong.server.web.auth import role
from hailong.server.web.changes import actor, apply
from hailong.server.web.choice import chosen_period, period_options
from hailong.server.web.i18n import gettext, level_name
from hailong.server.web.site import site

bp = Blueprint("mine", __name__)
CLOSED = {
    "published": N_("Kỳ này đã công bố: giải trình là một phần của báo cáo, không sửa được nữa."),
    "future": N_("Kỳ này chưa bắt đầu."),
    "custom": N_("Chỉ nhận giải trình cho kỳ báo cáo (tháng, quý, 6 tháng, 9 tháng, năm)."),
}


@bp.get("/mine")
@role(OFFICIAL)
def mine():
    """Show the signed-in official's own figures for a period, and the reply form while open."""
    try:
        period = site().requested_period()
    except ValueError as exc:
        return render_template("error.html", message=str(exc)), 400
    return _page(period)


@bp.post("/mine/reply")
@role(OFFICIAL)
def reply():
    """Write the official's reply to a period's figures, while the period is not published."""
    s = site()
    try:
        period = chosen_period(request.form, s.today(), s.config.web.convention)
    except ValueError as exc:
        return render_template("error.html", message=str(exc)), 400
    text = request.form.get("text", "")
    problem = _problem(period, text)
    if problem:
        return _page(period, draft=text, error=problem)  # answered with 400
    apply(lambda conn: replies.write_reply(conn, _code(), period, text, actor(), s.today()),
          gettext("Đã lưu giải trình."))  # fmt: skip
    return redirect(url_for("mine.mine", period=period.label, convention=period.convention))


def _code() -> str:
    """Return the official the account belongs to (an account without one sees nothing)."""
    if not g.user.official:
        abort(403)
    return g.user.official


def _problem(period: Period, text: str) -> str | None:
    """Say in the visitor's language what keeps a reply from being saved, or None."""
    if not text.strip():
        return gettext("Hãy viết nội dung giải trình.")
    if len(text.strip()) > replies.MAX_CHARS:
        return gettext("Giải trình dài quá {n} ký tự.", n=replies.MAX_CHARS)
    with site().engine.connect() as conn:
        state = replies.reply_state(conn, period, site().today())
    return None if state == "open" else gettext(CLOSED[state])


def _page(period: Period, draft: str | None = None, error: str | None = None):
    """Render the official's figures of a period (a draft and a problem after a refused reply)."""
    s, code = site(), _code()
    data = s.figures_of(period).data
    row = next((r for r in data.officials if r.code == code), None)
    with s.engine.connect() as conn:
        state = replies.reply_state(conn, period, s.today())
        written = replies.reply_of(conn, code, period)
        name = q.official_names(conn, [code]).get(code, code)
    return render_template(
        "mine.html",
        period=period,
        options=period_options(s.today(), period),
        code=code,
        name=name,
        row=row,
        ranked=sum(1 for r in data.officials if r.result.rank is not None),
        min_sample=data.settings.min_sample,
        reasons=_reasons(data, code),
        levels=BEST_FIRST,
        level_name=level_name,
        state=state,
        closed=CLOSED.get(state),
        written=written,
        draft=written if draft is None else draft,
        max_chars=replies.MAX_CHARS,
        error=error,
    ), 400 if error else 200


def _reasons(data, code: str):
    """Return (labels, the official's reason row) when the period's report counts reasons."""
    if data.reasons is None:
        return None
    found = next((r for r in data.reasons.officials if r.code == code), None)
    return None if found is None else (data.reasons.labels, found)
