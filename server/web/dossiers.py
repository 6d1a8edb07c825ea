"""Resolved dossiers per field and month: a year's table, entry by hand, and file upload."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from hailong.server.errors import InputError
from hailong.server.reference import catalogue as reference
from hailong.server.reference import dossiers
from hailong.server.reference.sheets import ImportErrors
from hailong.server.web.auth import require_login, role
from hailong.server.web.changes import actor, apply
from hailong.server.web.i18n import gettext, lang, problem
from hailong.server.web.site import site

bp = Blueprint("dossiers", __name__, url_prefix="/admin")
bp.before_request(require_login)
SHOWN_PROBLEMS = 20


@bp.get("/dossiers")
@role("staff")
def dossier_counts():
    """Show a year's resolved dossiers, one row per field, one column per month."""
    try:
        year = int(request.args.get("year") or site().today().year)
    except ValueError:
        year = site().today().year
    year = min(max(year, 2000), 2099)
    table: dict[str, dict[int, int]] = {}
    with site().engine.connect() as conn:
        for field, month, resolved in dossiers.monthly(conn, year):
            table.setdefault(field, {})[int(month[5:])] = resolved
        fields = reference.listing(conn, "field")
    names = {f["code"]: f["name"] for f in fields}
    today = site().today()
    return render_template("admin/dossiers.html", year=year, table=table, names=names,
                           fields=[f for f in fields if f["active"]],
                           this_month=f"{today.month:02d}/{today.year}")  # fmt: skip


@bp.post("/dossiers")
@role("staff")
def enter():
    """Save one field's resolved dossiers for a month."""
    month = request.form.get("month", "").strip()
    apply(lambda conn: dossiers.set_count(conn, request.form.get("field", ""), month,
                                          request.form.get("resolved", ""), actor()),
          gettext("Đã lưu số hồ sơ."))  # fmt: skip
    saved = dossiers.parse_month(month, lambda _problem: None)  # "YYYY-MM", or None
    return redirect(url_for("dossiers.dossier_counts", year=saved[:4] if saved else None))


@bp.post("/dossiers/import")
@role("staff")
def upload():
    """Import a CSV or XLSX file: every row is checked first; any problem writes nothing."""
    back = url_for("dossiers.dossier_counts", year=request.form.get("year", type=int))
    upload = request.files.get("file")
    name = secure_filename(upload.filename or "") if upload else ""
    if not name or Path(name).suffix.lower() not in (".csv", ".xlsx"):
        flash(gettext("Hãy chọn một tệp .csv hoặc .xlsx."), "error")
        return redirect(back)
    with tempfile.TemporaryDirectory(prefix="hailong-upload-") as folder:
        path = Path(folder) / name  # the audit log names the file as staff sent it
        upload.save(path)
        try:
            with site().engine.begin() as conn:
                result = dossiers.import_file(conn, path, actor())
        except InputError as exc:  # ImportErrors lists every problem, line by line
            _show_problems(exc.lines(lang()) if isinstance(exc, ImportErrors) else [problem(exc)])
            return redirect(back)
    flash(gettext("Đã nhập {rows} dòng: {changed} thay đổi, {unchanged} giữ nguyên.",
                  rows=result.rows, changed=result.changed, unchanged=result.unchanged), "info")  # fmt: skip
    return redirect(back)


def _show_problems(problems: list[str]) -> None:
    """Flash an import's problems, line by line; nothing was imported."""
    flash(gettext("Tệp có {n} lỗi; chưa nhập dòng nào:", n=len(problems)), "error")
    for line in problems[:SHOWN_PROBLEMS]:
        flash(line, "error")
    if len(problems) > SHOWN_PROBLEMS:
        flash(gettext("… và {n} lỗi khác.", n=len(problems) - SHOWN_PROBLEMS), "error")
