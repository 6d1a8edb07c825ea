"""Every text of the pages and the kiosk has its English in a gettext catalogue; numbers and
periods read as each language writes."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, g

from hailong.protocol.i18n import Catalogue, Text
from hailong.server.errors import InputError
from hailong.server.reporting.periods import custom, parse_period
from hailong.server.web import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"{(\w*)[^{}]*}")
# A message built with an f-string cannot be looked up in a catalogue: values go apart.
FORMATTED = re.compile(
    r"\b(?:InputError|ConfigError|CollectorError|ExchangeError|Text|ImportProblem|gettext|N_|_)\(\s*f[\"']"
)


def _translations():
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts/translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


translations = _translations()


@pytest.mark.parametrize("domain", sorted(translations.DOMAINS))
def test_every_text_has_english_and_none_is_obsolete(domain):
    wanted = translations.extract(domain)
    assert len(wanted) > (300 if domain == "hailong-collector" else 20)
    assert translations.problems(domain) == []


@pytest.mark.parametrize("domain", sorted(translations.DOMAINS))
def test_english_keeps_the_placeholders(domain):
    catalog = translations.read(domain)
    for message in catalog:
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)
            ), message.id


def test_the_checks_find_a_missing_and_an_obsolete_text(tmp_path, monkeypatch):
    catalog = translations.read("hailong-kiosk")
    dropped = next(m for m in catalog if m.id == "Mất kết nối")
    catalog.delete(dropped.id)
    catalog.add("Không còn dùng", "No longer used")
    po = tmp_path / "hailong-kiosk.po"
    with po.open("wb") as file:
        translations.write_po(file, catalog)
    monkeypatch.setitem(translations.DOMAINS, "hailong-kiosk", (("device",), str(po)))
    found = translations.problems("hailong-kiosk")
    assert "hailong-kiosk: no English for 'Mất kết nối'" in found
    assert "hailong-kiosk: obsolete 'Không còn dùng' (no code uses it)" in found
    assert any("differs from its .po" in line for line in found)


def test_no_message_is_an_f_string():
    found = [f"{path.relative_to(ROOT)}:{n}"
             for folder in ("protocol", "device", "server") for path in (ROOT / folder).rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if FORMATTED.search(line)]  # fmt: skip
    assert found == []


def test_a_service_error_speaks_both_languages():
    error = InputError("Lĩnh vực {code} đã có", code="ho-tich")
    assert error.say("vi") == "Lĩnh vực ho-tich đã có"
    assert error.say("en") == str(error) == "field ho-tich already exists"
    nested = Text("{column}: {problem}", column=Text("Tháng"), problem=[Text("còn trống")] * 2)
    assert InputError(nested).say("en") == "Month: missing; missing"


def test_a_text_missing_from_a_catalogue_shows_as_written(tmp_path):
    catalogue = Catalogue("hailong-collector", ROOT / "server/locale")
    assert catalogue.gettext("Chưa dịch", "en") == "Chưa dịch"
    assert catalogue.pgettext("menu", "Lĩnh vực", "en") == "Fields"
    assert catalogue.gettext("Lĩnh vực", "en") == "Field"
    with pytest.raises(ValueError, match="unknown language"):
        catalogue.gettext("Lĩnh vực", "fr")
    with pytest.raises(FileNotFoundError):  # a broken install says so, not silently Vietnamese
        Catalogue("hailong-collector", tmp_path).gettext("Lĩnh vực", "en")


def test_the_kiosk_reads_its_catalogue_without_babel():
    code = ("import sys, hailong.device.texts as t; assert t.text('thanks', 'en') == 'Thank you!'; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('babel', 'jinja2', 'flask')))")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=True)  # fmt: skip
    assert run.stdout.strip() == "[]"


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
