"""A read-only JSON API for integrations, behind a bearer token: the report's numbers by
period, field, official and device. Percentages are rounded half up to one decimal, as printed.
"""

from __future__ import annotations

import functools
from collections import Counter

from flask import Blueprint, jsonify, request

from hailong.server.accounts import users as accounts
from hailong.server.epoch import from_ms, now_ms
from hailong.server.reporting import queries as q
from hailong.server.reporting.metrics import BEST_FIRST, LevelStats, fmt_pct, stats_from_counts
from hailong.server.reporting.periods import Period
from hailong.server.reporting.reasons import LOW_RATINGS, REASONS, Reasons
from hailong.server.storage.snapshot import snapshot
from hailong.server.web import office
from hailong.server.web.devices import fleet_health
from hailong.server.web.site import site

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def token_required(view):
    """Answer 401 unless the request carries an active token: Authorization: Bearer <token>."""

    @functools.wraps(view)
    def checked(**kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with site().engine.connect() as conn:
            held = (
                accounts.token_holder(conn, token.strip()) if scheme.lower() == "bearer" else None
            )
        if held is None:
            response = jsonify(error="a valid API token is required (Authorization: Bearer …)")
            response.headers["WWW-Authenticate"] = 'Bearer realm="hailong"'
            return response, 401
        office.leave()  # a token answers for its own office, whoever's cookie came along
        office.enter(held[1])
        return view(**kwargs)

    return checked


@bp.get("/summary")
@token_required
def summary():
    """Return the period's totals, levels, trend, screening and coverage."""
    return _with_period(lambda period, data: {
        "previous": _period(data.previous),
        **_levels(data.totals),
        "trend": {"total_diff": data.trend.total_diff, "rate_diff_points": _pct(data.trend.rate_diff),
                  "total_change_pct": _pct(data.trend.total_change_pct),
                  "previous_rate_pct": _pct(data.trend.previous.rate)},
        "screening": vars(data.screening),
        "coverage": _coverage_total(data.field_total) | {"target_pct": _pct(data.settings.coverage_target * 100)},
    })  # fmt: skip


@bp.get("/fields")
@token_required
def fields():
    """Return each field's ratings against its resolved dossiers."""
    return _with_period(lambda period, data: {"fields": [
        {"code": row.code or None, "name": row.name, **_levels(row.stats), **_coverage(row.coverage)}
        for row in data.fields
    ]})  # fmt: skip


@bp.get("/officials")
@token_required
def officials():
    """Return each official's ratings; rate and rank are null below the minimum sample."""
    return _with_period(lambda period, data: {"min_sample": data.settings.min_sample, "officials": [
        {"code": row.code, "name": row.name, "sample": row.result.sample,
         "counts": _counts(row.result.stats), "rate_pct": _pct(row.result.rate_shown),
         "held_back": row.result.held_back, "rank": row.result.rank,
         "score_pct": None if row.result.held_back else _pct(row.result.score)}
        for row in data.officials
    ]})  # fmt: skip


@bp.get("/reasons")
@token_required
def reasons():
    """Return the reasons given for low ratings per field and official; null while none are asked."""
    return _with_period(lambda period, data: {"reasons": _reasons(data.reasons)})


@bp.get("/devices")
@token_required
def devices():
    """Return each kiosk's health and its accepted ratings in the period."""
    s = site()
    try:
        period = s.requested_period()
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    with snapshot(s.engine) as conn:
        kiosks = fleet_health(conn, s.settings, now_ms())
        rated = _by_device(conn, period, s.settings.zone)
    empty = stats_from_counts({})
    return jsonify(period=_period(period), devices=[
        {"device": k.device, "counter": k.counter, "state": k.state,
         "state_since": _iso(k.state_since_ms), "last_seen": _iso(k.last_seen_ms),
         "acked_upto": k.acked_upto, "last_seq": k.last_seq, "backlog": k.health.get("backlog"),
         "synced": k.health.get("synced"), "faults": k.health.get("faults", []),
         "version": k.health.get("version"), "suppressed": k.health.get("suppressed"),
         "silent": k.silent, **_levels(rated.get(k.device, empty))}
        for k in kiosks
    ])  # fmt: skip


def _with_period(build):
    """Answer with the chosen period's figures, or 400 when the period cannot be read."""
    s = site()
    try:
        period = s.requested_period()
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    data = s.figures_of(period).data
    return jsonify({"period": _period(period), **build(period, data)})


def _by_device(conn, period: Period, tz: str) -> dict[str, LevelStats]:
    """Count the ratings that count per kiosk in the period, as the report counts them."""
    counted = q.accepted_counts(conn, *period.bounds_ms(tz), "device", "rating")
    levels: dict[str, Counter] = {}
    for (device, rating), n in counted.items():
        levels.setdefault(device, Counter())[rating] += n
    return {device: stats_from_counts(c) for device, c in levels.items()}


def _reasons(found: Reasons | None) -> dict | None:
    """Describe table R: labels keyed by the reason number, and each row's counts."""
    if found is None:
        return None

    def row(r):
        return {"code": r.code or None, "name": r.name, "ratings": r.total, "no_answer": r.no_answer,
                "counts": {str(n): count for n, count in zip(REASONS, r.counts, strict=True)}}  # fmt: skip

    return {"levels": list(LOW_RATINGS), "labels": dict(zip(map(str, REASONS), found.labels, strict=True)),
            "fields": [row(r) for r in found.fields], "officials": [row(r) for r in found.officials],
            "total": row(found.total)}  # fmt: skip


def _period(period: Period) -> dict:
    return {"label": period.label, "kind": period.kind, "convention": period.convention,
            "from": period.start.isoformat(), "to": period.end.isoformat(), "title": period.title_vi}  # fmt: skip


def _levels(stats: LevelStats) -> dict:
    return {"ratings": stats.total, "counts": _counts(stats),
            "shares_pct": {str(k): _pct(stats.shares[k]) for k in BEST_FIRST},
            "rate_pct": _pct(stats.rate)}  # fmt: skip


def _counts(stats: LevelStats) -> dict:
    return {str(level): stats.counts[level] for level in BEST_FIRST}


def _coverage(cov) -> dict:
    return {"dossiers": cov.dossiers, "coverage_pct": _pct(cov.percent),
            "meets_target": cov.meets_target, "needed": cov.needed}  # fmt: skip


def _coverage_total(total) -> dict:
    """Describe the coverage total: measured fields only, the ratings left out on their own."""
    return {"fields": total.fields, "fields_met": total.met, "ratings": total.ratings,
            **_coverage(total), "outside_ratings": total.outside,
            "missing_months": list(total.missing_months)}  # fmt: skip


def _pct(value: float | None) -> float | None:
    return None if value is None else float(fmt_pct(value, "en").removesuffix("%"))


def _iso(ms: int | None) -> str | None:
    return None if ms is None else from_ms(ms).isoformat()
