"""A destruction act as a printable PDF in kk, ru or en (issue: destruction acts).

It names the run, the date, the grounds, the methods, the categories and counts, the
responsible role and the hash of the destroyed subjects' ids; never a value or an id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from qorgau.i18n import LANGUAGES, format_datetime, gettext
from qorgau.pdf import Document


def _t(key: str, lang: str) -> str:
    """A word of the ``documents`` catalogue (``act.*``); English for another language, and
    a key the catalogue does not have (an unknown action) without its prefix."""
    try:
        return gettext("documents", lang if lang in LANGUAGES else "en", key)
    except KeyError:
        return key.removeprefix("act.")


def _instant(value: str, lang: str) -> str:
    """An ISO instant of the act, in its own offset (a naive one as UTC), as ``lang`` writes
    it, with the zone named."""
    lang = lang if lang in LANGUAGES else "en"
    return format_datetime(datetime.fromisoformat(value), lang, None, "long")


def act_pdf(
    act: Mapping[str, Any], language: str, labels: Mapping[str, Mapping[str, str]]
) -> bytes:
    """``labels``: data-category code -> {language: label} (from the catalogue)."""
    doc = Document(_t("act.title", language))
    doc.line(_t("act.title", language), 16, 3)
    doc.line(f"{_t('act.run', language)}: {act['run']}")
    doc.line(f"{_t('act.date', language)}: {_instant(act['date'], language)}")
    doc.line(f"{_t('act.as_of', language)}: {_instant(act['as_of'], language)}")
    doc.line(f"{_t('act.role', language)}: {act['responsible_role']}")
    doc.line(f"{_t('act.subjects', language)}: {act['subjects_destroyed']}", gap=3)
    for action, cats in act.get("categories", {}).items():
        doc.line(_t(f"act.{action}", language), 13, 2)
        doc.line(f"{_t('act.ground', language)}: {act['grounds'].get(action, '')}", 9)
        doc.line(f"{_t('act.method', language)}: {act['method'].get(action, '')}", 9)
        doc.line(_t("act.categories", language), 10, 1)
        for code, n in sorted(cats.items()):
            label = labels.get(code, {}).get(language, code)
            doc.line(f"   {label}: {n}", 9, 0.5)
        doc.gap(2)
    doc.line(f"{_t('act.hash', language)}: {act['subjects_hash']}", 9)
    return doc.bytes()
