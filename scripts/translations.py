"""Extract, update and compile the gettext catalogues (Babel; a developer's and translator's tool).

    scripts/translations extract   write each domain's template (.pot) under build/translations/
    scripts/translations update    merge the texts the code uses now into each .po (new ones empty)
    scripts/translations compile   write each .po's .mo beside it (the files the product reads)
    scripts/translations check     fail when a text lacks its English, is obsolete, or a .mo is stale

Vietnamese is the source language: a msgid is the Vietnamese text the code writes, its msgstr
the English. Plain pybabel does the same with babel.cfg and the keywords below, e.g.
    pybabel extract -F babel.cfg -k InputError -k ImportProblem:2 -k Text -k CollectorError \
        -k ConfigError -k ExchangeError -k NC_:1c,2 -k report_text -o hailong-collector.pot server protocol
    pybabel compile -D hailong-collector -d server/locale -l en
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po  # noqa: F401 (write_po: the tests)

ROOT = Path(__file__).resolve().parent.parent
# domain -> (folders its texts come from, the .po that holds its English)
DOMAINS = {
    "hailong-collector": (
        ("server", "protocol"),
        "server/locale/en/LC_MESSAGES/hailong-collector.po",
    ),
    "hailong-kiosk": (("device",), "device/locale/en/LC_MESSAGES/hailong-kiosk.po"),
}
# Error classes take their Vietnamese message first; NC_ marks a text with a context ("menu");
# report_text() writes the report upward's texts (reporting/formats/province_words.py).
KEYWORDS = {**DEFAULT_KEYWORDS, "InputError": None, "ImportProblem": (2,), "Text": None,
            "CollectorError": None, "ConfigError": None, "ExchangeError": None, "NC_": ((1, "c"), 2),
            "report_text": None}  # fmt: skip
MAPPING = ROOT / "babel.cfg"
PROJECT = "hailong"


def extract(domain: str) -> Catalog:
    """Return a template catalogue of every text the domain's code and templates translate."""
    folders, _po = DOMAINS[domain]
    template = Catalog(project=PROJECT, locale=None, fuzzy=False)
    with MAPPING.open(encoding="utf-8") as file:
        methods, options = parse_mapping_cfg(file, str(MAPPING))
    for folder in folders:
        found = extract_from_dir(ROOT / folder, methods, options, keywords=KEYWORDS,
                                 strip_comment_tags=True)  # fmt: skip
        for path, line, message, comments, context in found:
            where = (f"{folder}/{path}", line)
            template.add(message, None, [where], auto_comments=comments, context=context)
    return template


def read(domain: str) -> Catalog:
    """Return a domain's English catalogue as the translator left it."""
    with (ROOT / DOMAINS[domain][1]).open("rb") as file:
        return read_po(file, locale="en", domain=domain)


def compiled(catalog: Catalog) -> bytes:
    """Return the .mo bytes of a catalogue (fuzzy entries left out, as pybabel compile does)."""
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def problems(domain: str) -> list[str]:
    """Return what keeps a domain's catalogue from being complete and current; [] when none."""
    wanted, catalog = extract(domain), read(domain)
    found = []
    for message in wanted:
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        if entry is None or not entry.string or entry.fuzzy:
            found.append(f"{domain}: no English for {_name(message)}")
    for message in catalog:
        if message.id and wanted.get(message.id, message.context) is None:
            found.append(f"{domain}: obsolete {_name(message)} (no code uses it)")
    found += [f"{domain}: obsolete {_name(m)} (#~)" for m in catalog.obsolete.values()]
    mo = ROOT / DOMAINS[domain][1].replace(".po", ".mo")
    if not mo.exists() or mo.read_bytes() != compiled(catalog):
        found.append(f"{domain}: {mo.name} differs from its .po: run compile")
    return found


def _keys(catalog: Catalog) -> set:
    return {(m.id, m.context) for m in catalog if m.id}


def _name(message) -> str:
    context = f"[{message.context}] " if message.context else ""
    return f"{context}{message.id!r}"


def main(argv: list[str]) -> int:
    """Run one command over every domain."""
    command = argv[0] if argv else ""
    for domain, (_folders, po) in DOMAINS.items():
        if command == "extract":
            out = ROOT / "build" / "translations" / f"{domain}.pot"
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as file:
                write_po(file, extract(domain), width=100)
            print(f"wrote {out.relative_to(ROOT)}")
        elif command == "update":
            catalog, template = read(domain), extract(domain)
            if _keys(catalog) == _keys(template):  # nothing new: no date to churn the .po and .mo
                template.creation_date = catalog.creation_date
            catalog.update(template, no_fuzzy_matching=True)
            for message in catalog.obsolete.values():
                print(f"{domain}: dropped {_name(message)}")
            with (ROOT / po).open("wb") as file:
                write_po(
                    file,
                    catalog,
                    width=100,
                    ignore_obsolete=True,
                    sort_output=True,
                    include_lineno=False,
                )  # line numbers would churn at every edit
            print(f"updated {po}")
        elif command == "compile":
            (ROOT / po.replace(".po", ".mo")).write_bytes(compiled(read(domain)))
            print(f"compiled {po.replace('.po', '.mo')}")
        elif command == "check":
            found = problems(domain)
            print("\n".join(found) or f"{domain}: complete")
            if found:
                return 1
        else:
            print(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
