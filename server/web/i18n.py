"""Vietnamese by default, English on request: the pages' texts, numbers and period names.

Templates and views write the Vietnamese text itself, `_("Tỷ lệ hài lòng")`; the collector's
gettext catalogue (server/translations.py) gives its English. A text missing there shows in
Vietnamese (tests/web/test_i18n.py checks none is missing).
"""

from __future__ import annotations

from datetime import date

from flask import g, request

from hailong.protocol.i18n import N_
from hailong.server.epoch import local_text
from hailong.server.errors import CollectorError
from hailong.server.reporting.metrics import LEVEL_NAMES, fmt_pct, fmt_points
from hailong.server.reporting.periods import Period, format_dmy
from hailong.server.translations import CATALOGUE

LANGUAGES = ("vi", "en")
COOKIE = "lang"
WEEKDAYS = (N_("Thứ Hai"), N_("Thứ Ba"), N_("Thứ Tư"), N_("Thứ Năm"), N_("Thứ Sáu"), N_("Thứ Bảy"),
            N_("Chủ Nhật"))  # fmt: skip
WEEKDAYS_SHORT = {"vi": ("T2", "T3", "T4", "T5", "T6", "T7", "CN"),
                  "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}  # fmt: skip
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip


def choose_language() -> str:
    """Return the visitor's language: the cookie set by the switch, else Vietnamese."""
    chosen = request.cookies.get(COOKIE, "vi")
    return chosen if chosen in LANGUAGES else "vi"


def lang() -> str:
    """Return the language of the current request."""
    return getattr(g, "lang", "vi")


def gettext(text: str, **values) -> str:
    """Translate a Vietnamese text into the request's language and fill in {values}."""
    found = CATALOGUE.gettext(text, lang())
    return found.format(**values) if values else found


def problem(error: Exception) -> str:
    """Say a service error (a form's bad input …) in the request's language."""
    # An OSError (the broker's files not writable) has only the system's own words.
    return error.say(lang()) if isinstance(error, CollectorError) else str(error)


def number(value: int | None) -> str:
    """Write a count with thousands grouped: 12.345 in Vietnamese, 12,345 in English."""
    if value is None:
        return "—"
    text = f"{value:,}"
    return text.replace(",", ".") if lang() == "vi" else text


def signed(value: int | None) -> str:
    """Write a difference of counts with its sign: +12, -3, 0."""
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + number(value)


def percent(value: float | None) -> str:
    """Write a percentage with one decimal, rounded half up: 82,7% / 82.7%."""
    return "—" if value is None else fmt_pct(value, lang())


def points(value: float | None) -> str:
    """Write a signed difference in percentage points: +1,2 / -0.5."""
    return "—" if value is None else fmt_points(value, lang())


def day(value: date | None) -> str:
    """Write a date as dd/mm/yyyy, as staff read dates on screen in both languages."""
    return "—" if value is None else format_dmy(value)


def moment(ms: int | None, tz: str) -> str:
    """Write UTC epoch ms as local dd/mm/yyyy HH:MM."""
    return "—" if ms is None else local_text(ms, tz)


def ago(ms: int | None, now_ms: int) -> str:
    """Write how long ago a moment was, in whole minutes, hours or days."""
    if ms is None:
        return gettext("chưa bao giờ")
    minutes = max(0, (now_ms - ms) // 60_000)
    if minutes < 1:
        return gettext("vừa xong")
    if minutes < 60:
        return gettext("{n} phút trước", n=minutes)
    if minutes < 48 * 60:
        return gettext("{n} giờ trước", n=minutes // 60)
    return gettext("{n} ngày trước", n=minutes // 1440)


def level_name(level: int) -> str:
    """Return the name of a rating level."""
    return gettext(LEVEL_NAMES[level])


def period_title(period: Period) -> str:
    """Return the period's name: "Quý I/2024" or "Q1 2024"."""
    if lang() == "vi":
        return period.title_vi
    if period.kind == "custom":
        return f"{format_dmy(period.start)} – {format_dmy(period.end)}"
    year, index = _year_index(period)
    names = {
        "month": lambda: f"{_MONTHS_EN[index - 1]} {year}",
        "quarter": lambda: f"Quarter {_ROMAN[index]} {year}",
        "half": lambda: f"{'First' if index == 1 else 'Second'} half of {year}",
        "nine_months": lambda: f"Nine months of {year}",
        "year": lambda: f"Year {year}",
    }
    return names[period.kind]()


def short_title(period: Period) -> str:
    """Return a period's name short enough for a chart label: custom ranges as dd/mm–dd/mm/yyyy."""
    if period.kind != "custom":
        return period_title(period)
    return f"{period.start:%d/%m}–{period.end:%d/%m/%Y}"


def period_range(period: Period) -> str:
    """Return "Từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy" or "From … to …"."""
    return gettext("Từ ngày {first} đến ngày {last}", first=day(period.start), last=day(period.end))


def _year_index(period: Period) -> tuple[int, int]:
    """Return (year, index) of a named period, taken from its label (2024-03, 2024-Q1 …)."""
    year, _, rest = period.label.partition("-")
    digits = "".join(ch for ch in rest if ch.isdigit())
    return int(year), int(digits) if digits and rest != "9M" else 1


def menu_label(text: str) -> str:
    """Translate a menu entry: in English a menu names what a page lists ("Fields", not "Field")."""
    return CATALOGUE.pgettext("menu", text, lang())


def template_helpers() -> dict:
    """Return the functions templates call."""
    return {"_": gettext, "number": number, "signed": signed, "percent": percent, "points": points, "day": day,
            "level_name": level_name, "period_title": period_title, "period_range": period_range,
            "lang": lang, "menu_label": menu_label}  # fmt: skip
