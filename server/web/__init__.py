"""The collector's pages: an app factory in the manner of the Flask tutorial."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, render_template

from ..config import CollectorConfig, load_config
from ..db import open_database
from ..metrics import fmt_pct
from ..summary import day_bounds_ms, level_stats, raw_counts


def create_app(config: CollectorConfig | None = None) -> Flask:
    """Build the web application for one collector configuration."""
    config = config or load_config(None)
    app = Flask(__name__)
    app.config["HAILONG"] = config
    engine = open_database(config.database)

    @app.get("/")
    def summary():
        """Show this month's counts per level and the satisfaction rate."""
        today = datetime.now(config.tz).date()
        first = today.replace(day=1)
        with engine.connect() as conn:
            bounds = day_bounds_ms(first, today, config.tz)
            stats, raw = level_stats(conn, *bounds), raw_counts(conn, *bounds)
        return render_template("summary.html", stats=stats, raw=raw, first=first, last=today,
                               fmt_pct=fmt_pct)  # fmt: skip

    @app.get("/healthz")
    def healthz():
        """Tell a load balancer the page server is up."""
        return {"ok": True}

    return app
