"""The access report as a PDF in the request's language (policy 4.2.1).

Built with fpdf2 from the same JSON the API returns, so the page, the PDF and the JSON never
disagree. Kazakh and Russian need a Unicode font: DejaVu Sans from Debian's
``fonts-dejavu-core`` (the Makefile installs it with Chromium), or ``QORGAU_PDF_FONT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qorgau.pdf import FONT_CANDIDATES, Document, PdfFontMissing

__all__ = ["FONT_CANDIDATES", "PdfFontMissing", "report_pdf"]

_TEXT: dict[str, dict[str, str]] = {
    "title": {
        "kk": "Дербес деректер туралы анықтама",
        "ru": "Сведения о ваших персональных данных",
        "en": "Report on your personal data",
    },
    "request": {"kk": "Сұрау", "ru": "Запрос", "en": "Request"},
    "operator": {"kk": "Оператор", "ru": "Оператор", "en": "Operator"},
    "generated": {"kk": "Жасалған уақыты", "ru": "Сформировано", "en": "Generated"},
    "values": {"kk": "Деректер", "ru": "Данные", "en": "Data held"},
    "purpose": {"kk": "мақсат", "ru": "цель", "en": "purpose"},
    "basis": {"kk": "негіз", "ru": "основание", "en": "basis"},
    "source": {"kk": "көзі", "ru": "источник", "en": "source"},
    "collected": {"kk": "жиналған", "ru": "собрано", "en": "collected"},
    "until": {"kk": "сақталады", "ru": "хранится до", "en": "kept until"},
    "consents": {"kk": "Келісімдер", "ru": "Согласия", "en": "Consents"},
    "none": {"kk": "жоқ", "ru": "нет", "en": "none"},
    "recipients": {
        "kk": "Деректер берілген ұйымдар",
        "ru": "Кому передавались данные",
        "en": "Organisations your data was passed to",
    },
    "rights": {"kk": "Сіздің құқықтарыңыз", "ru": "Ваши права", "en": "Your rights"},
    "restricted": {
        "kk": "Деректерге қол жеткізу заң негізінде шектелген",
        "ru": "Доступ к данным ограничен на основании закона",
        "en": "Access to the data is restricted by law",
    },
    "ground": {"kk": "Негіз", "ru": "Основание", "en": "Ground"},
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key].get(lang, _TEXT[key]["en"])


def report_pdf(report: Mapping[str, Any], language: str) -> bytes:
    """The report (as built by ``RequestService.access_report``) as PDF bytes."""
    doc = Document(_t("title", language))
    line = doc.line

    line(_t("title", language), 16, 3)
    op = report.get("operator", {})
    line(f"{_t('operator', language)}: {op.get('name', '')}, BIN {op.get('bin', '')}")
    line(f"{_t('request', language)}: {report.get('request', '')}")
    line(f"{_t('generated', language)}: {report.get('generated_at', '')}", gap=4)
    if "restricted" in report:
        line(_t("restricted", language), 12)
        line(f"{_t('ground', language)}: {report['restricted'].get('ground', '')}")
        return doc.bytes()
    line(_t("values", language), 13, 2)
    for v in report.get("values", []):
        label = v.get("label", {}).get(language) or v["field"]
        line(f"{label}: {v['value']}", 10, 0.5)
        line(
            f"   {_t('purpose', language)} {v['purpose']}; {_t('basis', language)} "
            f"{v['legal_basis']}; {_t('source', language)} {v['source']}; "
            f"{_t('collected', language)} {v['collected_at'][:10]}; "
            f"{_t('until', language)} {v['retained_until'][:10]}",
            8,
        )
    doc.gap(2)
    line(_t("consents", language), 13, 2)
    consents = report.get("consents", [])
    if not consents:
        line(_t("none", language))
    for c in consents:
        recipients = f" -> {', '.join(c['recipients'])}" if c.get("recipients") else ""
        line(
            f"{c['purpose']}: {c['state']} "
            f"({c['granted_at'][:10]} - {c['expires_at'][:10]}){recipients}",
            9,
            0.5,
        )
    doc.gap(2)
    line(_t("recipients", language), 13, 2)
    transfers = report.get("transfers", [])
    if not transfers:
        line(", ".join(str(r) for r in report.get("recipients", [])) or _t("none", language))
    for t in transfers:
        line(f"{t['recipient']} ({t['at'][:10]}, {t['purpose']}): {', '.join(t['fields'])}", 9, 0.5)
    line(_t("rights", language), 13, 2)
    for r in report.get("rights", []):
        line(f"{r['action']}: {r['amount']} {r['unit']} ({r['source']})", 9, 0.5)
    return doc.bytes()
