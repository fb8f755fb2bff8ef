"""The access report as a PDF in the request's language (policy 4.2.1).

Built with fpdf2 from the same JSON the API returns, so the page, the PDF and the JSON never
disagree. The audit trail lists the events and their proof status; the proofs themselves
are in the JSON (a PDF is no input for the checker). Kazakh and Russian need a Unicode
font: DejaVu Sans from Debian's ``fonts-dejavu-core`` (the Makefile installs it with
Chromium), or ``QORGAU_PDF_FONT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from qorgau.i18n import LANGUAGES, MESSAGES, format_date, format_datetime, gettext
from qorgau.pdf import FONT_CANDIDATES, Document, PdfFontMissing

__all__ = ["FONT_CANDIDATES", "PdfFontMissing", "report_pdf"]


def _t(key: str, lang: str) -> str:
    """A word of the ``documents`` catalogue (``report.*``); English for another language."""
    return gettext("documents", _lang(lang), key)


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"


def _day(value: str, lang: str) -> str:
    """The day of an ISO instant (as written, a naive one as UTC) as ``lang`` writes dates."""
    return format_date(datetime.fromisoformat(value).date(), _lang(lang))


def _instant(value: str, lang: str) -> str:
    """An ISO instant, in its own offset (a naive one as UTC), as ``lang`` writes it, with
    the zone named."""
    return (
        format_datetime(datetime.fromisoformat(value), _lang(lang), None, "long") if value else ""
    )


def _action(code: str, lang: str) -> str:
    """An audit action by the site's label (the page's words), else its code."""
    key = f"audit.action.{code}"
    return gettext("messages", _lang(lang), key) if key in MESSAGES else code


def _message(key: str, lang: str, fallback: str) -> str:
    """A word the site's pages use too (``messages``), else ``fallback``."""
    return gettext("messages", _lang(lang), key) if key in MESSAGES else fallback


def _source(source: Mapping[str, Any] | str, lang: str) -> str:
    """A value's typed source: its kind by name, and its reference where told."""
    if isinstance(source, str):
        return source
    kind = str(source.get("kind", ""))
    text = _message(f"source.kind.{kind}", lang, kind)
    return f"{text} ({source['reference']})" if source.get("reference") else text


def _restricted(doc: Document, restricted: Mapping[str, Any], language: str) -> None:
    """The restriction notice: whole or partial, the grounds that may be told, the
    general provision otherwise (policy 4.2.2)."""
    if restricted.get("scope") == "all":
        doc.line(_t("report.restricted", language), 12)
    else:
        doc.line(_t("report.restricted.partial", language), 12)
    for g in restricted.get("grounds", ()):
        name = _message(f"restriction.ground.{g['ground']}", language, g["ground"])
        doc.line(f"{_t('report.ground', language)}: {name} ({g['source']})")
    if restricted.get("general"):
        doc.line(f"{_t('report.ground', language)}: {restricted['general']}")
    doc.gap(2)


def _trail(doc: Document, trail: Mapping[str, Any], language: str, zone: str | None) -> None:
    line = doc.line
    line(_t("report.trail", language), 13, 2)
    events = trail.get("events", [])
    if not events:
        line(_t("report.none", language))
    for e in events:
        at = e.get("at")
        when = (
            format_datetime(datetime.fromisoformat(at), _lang(language), zone, "long") if at else ""
        )
        said = [p for p in (e.get("role"), e.get("purpose"), e.get("recipient")) if p]
        if e.get("fields"):
            said.append(", ".join(e["fields"]))
        what = _action(e["action"], language) + (f" ({'; '.join(said)})" if said else "")
        line(f"{when}: {what}", 9, 0)
        cp = e.get("checkpoint") or {}
        if e["status"] == "proved":
            status = _t("report.trail.proved", language).format(**cp)
        elif e["status"] == "omitted":
            status = _t("report.trail.omitted", language).format(
                size=cp.get("size"), origin=cp.get("origin") or "", event=e.get("event")
            )
        else:
            status = _t("report.trail.pending", language)
        line(f"   {status}", 8, 0.5)
    doc.gap(2)


def report_pdf(report: Mapping[str, Any], language: str, zone: str | None = None) -> bytes:
    """The report (as built by ``RequestService.access_report``) as PDF bytes; the audit
    trail's times in ``zone`` (the operator's), else as written (UTC)."""
    doc = Document(_t("report.title", language))
    line = doc.line

    line(_t("report.title", language), 16, 3)
    op = report.get("operator", {})
    line(f"{_t('report.operator', language)}: {op.get('name', '')}, BIN {op.get('bin', '')}")
    line(f"{_t('report.request', language)}: {report.get('request', '')}")
    line(
        f"{_t('report.generated', language)}: {_instant(report.get('generated_at', ''), language)}",
        gap=4,
    )
    if "restricted" in report:
        _restricted(doc, report["restricted"], language)
        if report["restricted"].get("scope") == "all":
            return doc.bytes()
    line(_t("report.values", language), 13, 2)
    for v in report.get("values", []):
        label = v.get("label", {}).get(language) or v["field"]
        line(f"{label}: {v['value']}", 10, 0.5)
        line(
            f"   {_t('report.purpose', language)} {v['purpose']}; {_t('report.basis', language)} "
            f"{v['legal_basis']}; "
            f"{_t('report.source', language)} {_source(v['source'], language)}; "
            f"{_t('report.collected', language)} {_day(v['collected_at'], language)}; "
            f"{_t('report.until', language)} {_day(v['retained_until'], language)}",
            8,
        )
    doc.gap(2)
    line(_t("report.consents", language), 13, 2)
    consents = report.get("consents", [])
    if not consents:
        line(_t("report.none", language))
    for c in consents:
        recipients = f" -> {', '.join(c['recipients'])}" if c.get("recipients") else ""
        line(
            f"{c['purpose']}: {c['state']} "
            f"({_day(c['granted_at'], language)} - {_day(c['expires_at'], language)}){recipients}",
            9,
            0.5,
        )
    doc.gap(2)
    line(_t("report.recipients", language), 13, 2)
    transfers = report.get("transfers", [])
    if not transfers:
        line(", ".join(str(r) for r in report.get("recipients", [])) or _t("report.none", language))
    for t in transfers:
        when = _day(t["at"], language)
        line(f"{t['recipient']} ({when}, {t['purpose']}): {', '.join(t['fields'])}", 9, 0.5)
    if "audit_trail" in report:
        doc.gap(2)
        _trail(doc, report["audit_trail"], language, zone)
    line(_t("report.rights", language), 13, 2)
    for r in report.get("rights", []):
        line(f"{r['action']}: {r['amount']} {r['unit']} ({r['source']})", 9, 0.5)
    return doc.bytes()
