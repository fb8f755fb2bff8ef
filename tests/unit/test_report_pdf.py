"""The access report's PDF shows the report in the request's language (policy 4.2.1)."""

from __future__ import annotations

import zlib

import pytest

from qorgau.dsr.report_pdf import FONT_CANDIDATES, PdfFontMissing, report_pdf

REPORT = {
    "request": "RQ-ABCD-EFGH",
    "generated_at": "2026-11-24T10:00:00+00:00",
    "operator": {"name": "ProLeads LLP", "bin": "220840003513"},
    "values": [
        {
            "field": "first_name",
            "label": {"kk": "Аты", "ru": "Имя", "en": "First name"},
            "value": "Тестжан",
            "purpose": "contract",
            "legal_basis": "contract",
            "source": {"kind": "public_source", "reference": "stat.gov.kz", "legacy": False},
            "collected_at": "2026-11-20T10:00:00+00:00",
            "retained_until": "2031-11-19T10:00:00+00:00",
        },
    ],
    "consents": [
        {
            "purpose": "offers",
            "state": "live",
            "granted_at": "2026-11-20T10:00:00",
            "expires_at": "2027-11-20T10:00:00",
            "recipients": [],
        }
    ],
    "recipients": [],
    "rights": [{"action": "access", "amount": 3, "unit": "working_days", "source": "Art. 25"}],
}


def _has_font() -> bool:
    from pathlib import Path

    return any(Path(p).is_file() for p in FONT_CANDIDATES)


@pytest.mark.skipif(not _has_font(), reason="make test installs fonts-dejavu-core")
@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_pdf_in_each_language(lang: str) -> None:
    pdf = report_pdf(REPORT, lang)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 1000


def _text_lines(pdf: bytes) -> int:
    """How many lines of text the PDF's page content streams draw."""
    count = 0
    for chunk in pdf.split(b"stream")[1:]:
        raw = chunk.split(b"endstream")[0].strip(b"\r\n")
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            continue
        if b"BT" in content:
            count += content.count(b"BT")
    return count


@pytest.mark.skipif(not _has_font(), reason="make test installs fonts-dejavu-core")
def test_restricted_report_draws_no_values() -> None:
    full = _text_lines(report_pdf(REPORT, "en"))
    empty = _text_lines(report_pdf({**REPORT, "values": [], "consents": [], "rights": []}, "en"))
    whole = {"scope": "all", "grounds": [], "general": "policy 4.2.2"}
    restricted = _text_lines(report_pdf({**REPORT, "restricted": whole}, "en"))
    # A restricted report says so and stops: not even the empty sections are drawn.
    assert restricted < empty < full
    # A partial restriction (policy 4.2.2) says so, with the ground it may tell, and goes on.
    told = [{"ground": "third_party_rights", "source": "policy 4.2.2"}]
    partial = {"scope": "partial", "grounds": told, "general": None}
    assert _text_lines(report_pdf({**REPORT, "restricted": partial}, "en")) > full


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qorgau.pdf.FONT_CANDIDATES", ("/nonexistent.ttf",))
    monkeypatch.delenv("QORGAU_PDF_FONT", raising=False)
    with pytest.raises(PdfFontMissing, match="fonts-dejavu-core"):
        report_pdf(REPORT, "ru")
