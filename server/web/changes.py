"""How a staff form changes data: one transaction, a message, and the kiosks told at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import flash, g
from sqlalchemy.engine import Connection

from hailong.protocol.i18n import N_
from hailong.server.errors import InputError
from hailong.server.ingest.push import configs_at, configs_of, push_configs
from hailong.server.web.i18n import gettext, problem
from hailong.server.web.site import site

T = TypeVar("T")
SENT = N_("Đã gửi cấu hình mới tới kiosk {devices}.")
NOT_SENT = N_(
    "Đã lưu, nhưng chưa gửi được tới kiosk {devices} (không kết nối được máy chủ MQTT). "
    "Cấu hình sẽ được gửi lại khi dịch vụ thu nhận kết nối lại."
)


def actor() -> str:
    """Return the name audit rows carry for the signed-in user."""
    return g.user.username


def apply(change: Callable[[Connection], T], done: str | None = None) -> T | None:
    """Run a change in one transaction; flash `done`, or the problem (then nothing is written)."""
    try:
        with site().engine.begin() as conn:
            result = change(conn)
    except InputError as exc:
        flash(gettext("Không lưu được: {problem}.", problem=problem(exc)), "error")
        return None
    if done:
        flash(done, "info")
    return result


def push_counters(counters: Iterable[str]) -> None:
    """Send the kiosks at these counters their stored Config; warn when the broker is away."""
    push(configs_at(site().engine, counters))


def push_kiosks(kiosks: Iterable[str]) -> None:
    """Send these kiosks their stored Config; warn when the broker is away."""
    push(configs_of(site().engine, kiosks))


def push(configs: dict[str, str]) -> None:
    """Publish the Configs now and tell the user whether the kiosks got them."""
    failed = push_configs(site().config, configs)
    if failed:
        flash(gettext(NOT_SENT, devices=", ".join(failed)), "warning")
    elif configs:
        flash(gettext(SENT, devices=", ".join(sorted(configs))), "info")
