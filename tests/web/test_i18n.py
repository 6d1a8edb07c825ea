"""Every text of the pages has its English; numbers and periods read as each language writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, g

from hailong.server.reporting.periods import custom, parse_period
from hailong.server.web import NAV, QUARANTINE_KINDS, ROLE_NAMES, admin, changes, i18n
from hailong.server.web.english import ENGLISH

WEB = Path(i18n.__file__).parent
LITERAL = re.compile(r"""(?:\b_|gettext)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def texts() -> set[str]:
    """Return every Vietnamese text the templates and views translate."""
    found = set()
    for path in [*WEB.rglob("*.html"), *WEB.glob("*.py")]:
        for double, single in LITERAL.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    found |= {label for _e, label, _r in NAV} | set(ROLE_NAMES.values())
    found |= set(QUARANTINE_KINDS.values()) | set(admin.TITLES.values())
    found |= set(i18n.LEVEL_NAMES.values()) | set(i18n.WEEKDAYS) | {changes.SENT, changes.NOT_SENT}
    return found


def test_every_text_has_english():
    found = texts()
    assert len(found) > 200
    missing = sorted(t for t in found if t not in ENGLISH)
    assert missing == []


def test_english_keeps_the_placeholders():
    for vietnamese, english in ENGLISH.items():
        assert set(re.findall(r"{\w+}", vietnamese)) == set(re.findall(r"{\w+}", english)), (
            vietnamese
        )


@pytest.mark.parametrize(("lang", "expected"), [
    ("vi", ("12.345", "82,7%", "+1,2", "Quý I/2024", "Tháng 11/2024")),
    ("en", ("12,345", "82.7%", "+1.2", "Quarter I 2024", "November 2024")),
])  # fmt: skip
def test_numbers_and_periods(lang, expected):
    with Flask(__name__).test_request_context():
        g.lang = lang
        got = (i18n.number(12345), i18n.percent(82.65), i18n.points(1.2),
               i18n.period_title(parse_period("2024-Q1")), i18n.period_title(parse_period("2024-11")))  # fmt: skip
        assert got == expected
        short = i18n.short_title(custom(parse_period("2024-03").start, parse_period("2024-03").end))
        assert short == "01/03–31/03/2024"
