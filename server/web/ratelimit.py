"""A small in-process rate limit for the anonymous pages (board, poster, sign-in page).

A token bucket per client address: `burst` requests at once, refilled at `per_minute`. Only
visitors who are not signed in are counted, so staff pages are never slowed by the public.
The address is the connection's: behind the configured proxy ([web] trusted_proxy) waitress
itself puts the client's address there, from the last X-Forwarded-For entry (the one the
proxy appended), and only for connections from that proxy (proxy_options); anything else in
the header was written by the client and is never read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, g, render_template, request

from hailong.server.config import WebSettings
from hailong.server.web.i18n import gettext

# The anonymous endpoints: what a visitor reaches without an account.
LIMITED = frozenset({"board.board", "board.poster", "board.office_board", "board.office_poster",
                     "auth.login"})  # fmt: skip
MAX_CLIENTS = 10_000  # addresses remembered; the least recently seen are forgotten first


class Limiter:
    """Token buckets per address, bounded in memory, safe across waitress's threads."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.lock = threading.Lock()
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, address: str) -> tuple[bool, int]:
        """Take a token for `address`; return (allowed, seconds until the next one)."""
        now = self.clock()
        with self.lock:
            tokens, seen = self.buckets.pop(address, (self.burst, now))
            tokens = min(self.burst, tokens + (now - seen) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self.buckets[address] = (tokens, now)
            while len(self.buckets) > MAX_CLIENTS:
                self.buckets.popitem(last=False)
        wait = 0 if allowed else int((1.0 - tokens) / self.rate) + 1
        return allowed, wait


def proxy_options(web: WebSettings) -> dict:
    """Return waitress's options to trust X-Forwarded-For (and -Proto) from the proxy alone."""
    if not web.trusted_proxy:
        return {}
    return {"trusted_proxy": web.trusted_proxy, "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True}  # fmt: skip


def install(app: Flask, web: WebSettings) -> None:
    """Refuse anonymous requests over the limit with 429 (call after the user is loaded)."""
    limiter = Limiter(web.anonymous_per_minute, web.anonymous_burst)
    app.extensions["hailong.ratelimit"] = limiter

    def check():
        # Only page views: a sign-in attempt (POST) meets the login throttle (accounts/throttle.py).
        if request.method not in ("GET", "HEAD") or request.endpoint not in LIMITED:
            return None
        if getattr(g, "user", None) is not None:
            return None
        allowed, wait = limiter.allow(request.remote_addr or "-")
        if allowed:
            return None
        message = gettext("Quá nhiều yêu cầu. Hãy thử lại sau {s} giây.", s=wait)
        return render_template("error.html", message=message), 429, {"Retry-After": str(wait)}

    app.before_request(check)
