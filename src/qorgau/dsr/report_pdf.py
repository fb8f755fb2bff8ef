"""The access report as a PDF in the request's language (policy 4.2.1).

Built with fpdf2 from the same JSON the API returns, so the page, the PDF and the JSON never
disagree. Kazakh and Russian need a Unicode font: DejaVu Sans from Debian's
``fonts-dejavu-core`` (the Makefile installs it with Chromium), or ``QORGAU_PDF_FONT``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fpdf import FPDF

from qorgau.errors import DomainError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)

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


class PdfFontMissing(DomainError):
    code = "pdf-font-missing"
    kind = "integrity"
    title = "PDF font not installed"

    def __init__(self) -> None:
        super().__init__(
            "no Unicode font for the PDF: install Debian's fonts-dejavu-core or set "
            "QORGAU_PDF_FONT to a TTF file"
        )


def _font() -> str:
    own = os.environ.get("QORGAU_PDF_FONT")
    for path in ([own] if own else []) + list(FONT_CANDIDATES):
        if path and Path(path).is_file():
            return path
    raise PdfFontMissing()


def _t(key: str, lang: str) -> str:
    return _TEXT[key].get(lang, _TEXT[key]["en"])


def report_pdf(report: Mapping[str, Any], language: str) -> bytes:
    """The report (as built by ``RequestService.access_report``) as PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_title(_t("title", language))
    pdf.set_creator("qorgau")
    pdf.add_font("DejaVu", "", _font())
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: int = 10, gap: float = 1.5) -> None:
        pdf.set_font("DejaVu", size=size)
        pdf.multi_cell(width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    line(_t("title", language), 16, 3)
    op = report.get("operator", {})
    line(f"{_t('operator', language)}: {op.get('name', '')}, BIN {op.get('bin', '')}")
    line(f"{_t('request', language)}: {report.get('request', '')}")
    line(f"{_t('generated', language)}: {report.get('generated_at', '')}", gap=4)
    if "restricted" in report:
        line(_t("restricted", language), 12)
        line(f"{_t('ground', language)}: {report['restricted'].get('ground', '')}")
        return bytes(pdf.output())
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
    pdf.ln(2)
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
    pdf.ln(2)
    line(_t("recipients", language), 13, 2)
    line(", ".join(str(r) for r in report.get("recipients", [])) or _t("none", language))
    line(_t("rights", language), 13, 2)
    for r in report.get("rights", []):
        line(f"{r['action']}: {r['amount']} {r['unit']} ({r['source']})", 9, 0.5)
    return bytes(pdf.output())
