"""A consent's document laid out in kk, ru or en: the sections the HTML pages and the PDF
both show (``consent.document_pdf``; the site's and the console's templates), in the words
of the ``documents`` catalogue (``consent.*``), from the document JSON
(``consent.document``). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from qorgau.i18n import LANGUAGES, format_datetime, gettext


def doc_language(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"


def _t(key: str, lang: str, **kw: object) -> str:
    """A word of the ``documents`` catalogue (``consent.*``); English for another language."""
    return gettext("documents", doc_language(lang), key, **kw)


def _when(value: str | None, lang: str, zone: str | None) -> str:
    if not value:
        return ""
    return format_datetime(datetime.fromisoformat(value), doc_language(lang), zone, "long")


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the document: its heading, rows of (label, value), then paragraphs."""

    id: str
    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def allowed(flag: bool, lang: str) -> str:
    return _t("consent.yes", lang) if flag else _t("consent.no", lang)


def purpose_name(doc: Mapping[str, Any], lang: str) -> str:
    if doc.get("transfer"):
        return _t("consent.transfer", lang)
    labels = doc.get("purpose_label") or {}
    label = labels.get(doc_language(lang)) or doc["purpose"]
    return f"{doc['purpose_number']}. {label}" if doc.get("purpose_number") else label


def full_name(doc: Mapping[str, Any], lang: str) -> str:
    state = doc.get("full_name_state")
    if state == "shown" and doc.get("full_name"):
        return str(doc["full_name"])
    if state == "not_recorded":
        return _t("consent.name.not_recorded", lang)
    return _t("consent.name.withheld", lang)


def content(doc: Mapping[str, Any], lang: str, zone: str | None) -> Section:
    """What Art. 8 p.4 requires a consent to contain (also for a consent still to be
    confirmed: without ``granted_at`` the term is given in days)."""
    op = doc["operator"]
    fields = [f["label"].get(doc_language(lang)) or f["code"] for f in doc["fields"]]
    names = [r["name"] for r in doc["recipients"]]
    none = _t("consent.none", lang)
    if doc.get("granted_at"):
        term = _t(
            "consent.term",
            lang,
            days=doc["term_days"],
            start=_when(doc["granted_at"], lang, zone),
            end=_when(doc["expires_at"], lang, zone),
        )
    else:
        term = _t("consent.term.days", lang, days=doc["term_days"])
    return Section(
        "content",
        _t("consent.content", lang, source=doc["law"]["source"]),
        [
            (_t("consent.operator", lang), f"{op['name']}, {_t('consent.bin', lang)} {op['bin']}"),
            (_t("consent.subject", lang), full_name(doc, lang)),
            (_t("consent.purpose", lang), purpose_name(doc, lang)),
            (_t("consent.fields", lang), ", ".join(fields) or none),
            (_t("consent.recipients", lang), "; ".join(names) or none),
            (_t("consent.third_party", lang), allowed(doc["third_party_transfer"], lang)),
            (_t("consent.cross_border", lang), allowed(doc["cross_border"], lang)),
            (_t("consent.public_sources", lang), allowed(doc["public_sources"], lang)),
            (_t("consent.term.label", lang), term),
        ],
    )


def sections(doc: Mapping[str, Any], lang: str, zone: str | None = None) -> list[Section]:
    """The whole document: content, text, evidence, history."""
    text = Section(
        "text",
        _t("consent.text", lang, language=doc["language"]),
        [(_t("consent.text_hash", lang), doc["text_hash"])],
        [doc.get("text") or _t("consent.text.missing", lang)],
    )
    ev = doc["evidence"]
    evidence = Section(
        "evidence",
        _t("consent.evidence", lang),
        [
            (_t("consent.channel", lang), _t(f"consent.channel.{ev['channel']}", lang)),
            (_t("consent.method", lang), str(ev["method"])),
            (_t("consent.at", lang), _when(ev["at"], lang, zone)),
        ],
    )
    code = ev.get("code")
    if code:
        evidence.paragraphs.append(
            _t(
                "consent.code",
                lang,
                channel=_t(f"consent.via.{code['channel']}", lang),
                sent=_when(code["sent_at"], lang, zone),
                confirmed=_when(code["confirmed_at"], lang, zone),
                attempts=code["attempts"],
                challenge=code["challenge"],
            )
        )
        if code.get("separate_at"):
            evidence.paragraphs.append(
                _t("consent.separate", lang, at=_when(code["separate_at"], lang, zone))
            )
    else:
        evidence.paragraphs.append(_t("consent.code.none", lang))
    if ev.get("reference"):
        evidence.rows.append((_t("consent.reference", lang), str(ev["reference"])))
    policy = doc["policy"]
    version = policy.get("version") or _t("consent.none", lang)
    if policy.get("hash"):
        version += f" (SHA-256 {policy['hash']})"
    evidence.rows.append((_t("consent.policy", lang), version))
    history = Section(
        "history",
        _t("consent.history", lang),
        # Who acted is the audit log's to say (staff names are not the person's business).
        [
            (
                _when(e["at"], lang, zone),
                _t(f"consent.event.{e['kind']}", lang)
                + (f" ({e['reason']})" if e.get("reason") else ""),
            )
            for e in doc["history"]
        ],
    )
    return [content(doc, lang, zone), text, evidence, history]


def heading(doc: Mapping[str, Any], lang: str, zone: str | None = None) -> dict[str, str]:
    """The document's title, number, state, law and time of generation."""
    return {
        "title": _t("consent.title", lang),
        "number_label": _t("consent.number", lang),
        "number": str(doc["id"]),
        "state_label": _t("consent.state", lang),
        "state": _t(f"consent.state.{doc['state']}", lang),
        "law": str(doc["law"]["name"]),
        "generated": f"{_t('consent.generated', lang)}: {_when(doc['generated_at'], lang, zone)}",
    }
