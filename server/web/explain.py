"""Explanations staff and leaders can open from the figures: how a ranking score is computed."""

from __future__ import annotations

from flask import Blueprint, render_template

from hailong.server.web.auth import require_login
from hailong.server.web.site import site

bp = Blueprint("explain", __name__, url_prefix="/explain")
bp.before_request(require_login)


@bp.get("/ranking")
def ranking():
    """Explain the adjusted score officials are ranked by, with a worked example."""
    m = site().settings.min_sample
    # Office at 85 %: three ratings all satisfied against three hundred at 90 %.
    few = (3 + m * 0.85) / (3 + m) * 100
    many = (270 + m * 0.85) / (300 + m) * 100
    return render_template("explain/ranking.html", m=m, few=few, many=many)
