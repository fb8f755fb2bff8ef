"""A destruction act as a printable PDF in kk, ru or en (issue: destruction acts).

It names the run, the date, the grounds, the methods, the categories and counts, the
responsible role and the hash of the destroyed subjects' ids; never a value or an id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qorgau.pdf import Document

_T: dict[str, dict[str, str]] = {
    "title": {
        "kk": "Жою актісі",
        "ru": "Акт об уничтожении персональных данных",
        "en": "Destruction act",
    },
    "run": {"kk": "Іске қосу", "ru": "Прогон", "en": "Run"},
    "date": {"kk": "Күні", "ru": "Дата", "en": "Date"},
    "as_of": {"kk": "Қай күнге", "ru": "По состоянию на", "en": "As of"},
    "role": {"kk": "Жауапты рөл", "ru": "Ответственная роль", "en": "Responsible role"},
    "ground": {"kk": "Негіз", "ru": "Основание", "en": "Ground"},
    "method": {"kk": "Тәсіл", "ru": "Способ", "en": "Method"},
    "categories": {"kk": "Дерек санаттары", "ru": "Категории данных", "en": "Data categories"},
    "subjects": {
        "kk": "Жойылған субъектілер",
        "ru": "Уничтожено субъектов",
        "en": "Subjects destroyed",
    },
    "hash": {
        "kk": "Субъект идентификаторлары тізімінің хэші",
        "ru": "Хэш списка идентификаторов субъектов",
        "en": "Hash of the list of subject ids",
    },
    "depersonalise_and_destroy": {
        "kk": "Иесіздендіру және жою",
        "ru": "Обезличивание и уничтожение",
        "en": "Depersonalisation and destruction",
    },
    "destroy_value": {
        "kk": "Мәндерді жою",
        "ru": "Уничтожение значений",
        "en": "Destruction of values",
    },
}


def _t(key: str, lang: str) -> str:
    return _T.get(key, {}).get(lang) or _T.get(key, {}).get("en") or key


def act_pdf(
    act: Mapping[str, Any], language: str, labels: Mapping[str, Mapping[str, str]]
) -> bytes:
    """``labels``: data-category code -> {language: label} (from the catalogue)."""
    doc = Document(_t("title", language))
    doc.line(_t("title", language), 16, 3)
    doc.line(f"{_t('run', language)}: {act['run']}")
    doc.line(f"{_t('date', language)}: {act['date'][:19]}")
    doc.line(f"{_t('as_of', language)}: {act['as_of'][:19]}")
    doc.line(f"{_t('role', language)}: {act['responsible_role']}")
    doc.line(f"{_t('subjects', language)}: {act['subjects_destroyed']}", gap=3)
    for action, cats in act.get("categories", {}).items():
        doc.line(_t(action, language), 13, 2)
        doc.line(f"{_t('ground', language)}: {act['grounds'].get(action, '')}", 9)
        doc.line(f"{_t('method', language)}: {act['method'].get(action, '')}", 9)
        doc.line(_t("categories", language), 10, 1)
        for code, n in sorted(cats.items()):
            label = labels.get(code, {}).get(language, code)
            doc.line(f"   {label}: {n}", 9, 0.5)
        doc.gap(2)
    doc.line(f"{_t('hash', language)}: {act['subjects_hash']}", 9)
    return doc.bytes()
