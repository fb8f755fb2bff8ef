"""A consent's document as a PDF in kk, ru or en (LAW.md Art. 8 p.4, Art. 25 p.2 sub.5).

Printed from the same JSON the API returns (``consent.document``), in the same sections as
the pages (``consent.document_view``) and the house style of the access report and the
destruction act (``qorgau.pdf``: DejaVu Sans for kk and ru). The consent's own text is
printed as it was shown, in the language it was given in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qorgau.consent.document_view import heading, sections
from qorgau.pdf import Document


def consent_pdf(doc: Mapping[str, Any], language: str, zone: str | None = None) -> bytes:
    """The document as PDF bytes, its times in ``zone`` (the operator's), else as written
    (UTC)."""
    head = heading(doc, language, zone)
    pdf = Document(head["title"])
    line = pdf.line
    line(head["title"], 16, 3)
    line(f"{head['number_label']}: {head['number']}", 9)
    line(f"{head['state_label']}: {head['state']}", 10, 3)
    for section in sections(doc, language, zone):
        line(section.heading, 13, 2)
        body = 10 if section.id in ("content", "text") else 9
        if section.id == "text":
            # The consent's own words first, then their hash.
            for p in section.paragraphs:
                line(p, body)
            for label, value in section.rows:
                line(f"{label}: {value}", 8)
        else:
            for label, value in section.rows:
                line(f"{label}: {value}", body, 0.5)
            for p in section.paragraphs:
                line(p, 9, 0.5)
        pdf.gap(3)
    line(head["law"], 8, 0.5)
    line(head["generated"], 8)
    return pdf.bytes()
