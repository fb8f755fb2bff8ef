"""The gettext catalogues (qorgau.i18n): complete in kk, ru and en, consistent, and covering
every key the code and the templates name; Babel formats for the three locales."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from qorgau.i18n import (
    DOMAINS,
    LANGUAGES,
    LOCALE_DIR,
    MESSAGES,
    format_date,
    format_datetime,
    format_money,
    format_number,
    t,
    translations,
)

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "src" / "qorgau"
#: Where each domain's keys are used and by which call, as `make messages` extracts them:
#: ``t(lang, key)`` anywhere (every context's pages and console, the kit; templates call
#: ``t(key)``, babel.cfg), ``_t(key, lang)`` in the policy renderer and the PDF documents.
SOURCES = {
    "messages": [PKG],
    "policy": [PKG / "policy" / "render.py"],
    "documents": [
        PKG / "retention" / "act_pdf.py",
        PKG / "dsr" / "report_pdf.py",
        PKG / "consent" / "document_view.py",
    ],
}
KEYWORDS = {"messages": {"t": (2,)}, "policy": {"_t": (1,)}, "documents": {"_t": (1,)}}


def _po(domain: str, lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        return read_po(f, locale=lang, domain=domain)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated_in_every_language(domain: str) -> None:
    for lang in LANGUAGES:
        catalog = _po(domain, lang)
        assert not catalog.fuzzy, f"{lang}/{domain}.po: the header is marked fuzzy"
        bad = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        assert bad == [], f"{lang}/{domain}.po: untranslated or fuzzy: {bad}"
        assert not catalog.obsolete, f"{lang}/{domain}.po: obsolete: {list(catalog.obsolete)}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_language_has_the_same_keys(domain: str) -> None:
    keys = {lang: {m.id for m in _po(domain, lang) if m.id} for lang in LANGUAGES}
    every = set().union(*keys.values())
    for lang in LANGUAGES:
        assert every - keys[lang] == set(), f"{lang}/{domain}.po lacks keys"


@pytest.mark.parametrize("domain", DOMAINS)
def test_placeholders_agree_across_languages(domain: str) -> None:
    texts = {lang: {m.id: str(m.string) for m in _po(domain, lang) if m.id} for lang in LANGUAGES}
    for key in texts[LANGUAGES[0]]:
        fields = {lang: _fields(texts[lang].get(key, "")) for lang in LANGUAGES}
        assert len({frozenset(f) for f in fields.values()}) == 1, (domain, key, fields)


def _used_keys(domain: str) -> dict[str, str]:
    """key -> where, for every literal key the domain's code and templates name."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    # only code and templates: the catalogue extractor (qorgau.i18n.extract) is left out
    method_map = [(pattern, method) for pattern, method in method_map if ":" not in method]
    found: dict[str, str] = {}
    for source in SOURCES[domain]:
        if source.is_dir():
            results = extract_from_dir(source, method_map, options_map, keywords=KEYWORDS[domain])
            for filename, lineno, message, _, _ in results:
                found.setdefault(str(message), f"{source.name}/{filename}:{lineno}")
        else:
            pattern, method = next((p, m) for p, m in method_map if p == "**.py")
            for lineno, message, _, _ in extract_from_file(
                method, source, keywords=KEYWORDS[domain], options=options_map[pattern]
            ):
                found.setdefault(str(message), f"{source.name}:{lineno}")
    return found


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_key_used_in_code_and_templates_is_in_the_catalogue(domain: str) -> None:
    used = _used_keys(domain)
    assert used, f"no keys extracted for {domain}: is the extraction set up?"
    missing = {key: where for key, where in used.items() if key not in translations(domain, "en")}
    assert missing == {}, f"keys with no message in {domain}: {missing}"


def test_templates_are_extracted() -> None:
    used = _used_keys("messages")
    assert any(".html:" in where for where in used.values())
    assert "apply.title" in used


def test_t_fills_placeholders_and_messages_keeps_the_kk_ru_en_order() -> None:
    assert t("en", "console.transfers.intro", zone="UTC").endswith("Times: UTC.")
    kk, ru, en = MESSAGES["nav.home"]
    assert (kk, ru, en) == (t("kk", "nav.home"), t("ru", "nav.home"), t("en", "nav.home"))
    with pytest.raises(KeyError):
        t("en", "no.such.key")


def test_babel_formats_for_the_three_locales() -> None:
    instant = datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
    assert format_date(date(2026, 1, 2), "en", "long") == "January 2, 2026"
    # CLDR's spaces (no-break, narrow no-break) vary between versions: matched with \s
    assert re.fullmatch(r"2 января 2026\sг\.", format_date(date(2026, 1, 2), "ru", "long"))
    assert "қаңтар" in format_date(date(2026, 1, 2), "kk", "long")
    for lang in LANGUAGES:
        # a pinned pattern gives the same text in every language and shifts to the zone
        text = format_datetime(instant, lang, "Asia/Almaty", "yyyy-MM-dd HH:mm")
        assert text == "2026-11-24 15:05"
        assert format_datetime(instant, lang)  # the locale's medium format
        assert "150" in format_money(Decimal("150000"), lang)
    assert format_number(1234567.5, "en") == "1,234,567.5"
    assert re.fullmatch(r"1\s234\s567,5", format_number(1234567.5, "ru"))
    assert re.fullmatch(r"1\s234\s567,5", format_number(1234567.5, "kk"))
    assert re.fullmatch(r"150\s000,00\s₸", format_money(150000, "kk"))
    assert format_money(150000, "en", "USD") == "$150,000.00"
