"""The access report laid out for a page: shared by the rights page (``dsr.pages``) and the
console's preview (``dsr.console``).

Texts come from ``terms``, given by the page module (the site's translations): this module
imports no web code.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import orjson

from qorgau.consent.model import TRANSFER
from qorgau.i18n import format_datetime

if TYPE_CHECKING:
    from qorgau.container import Container


class Terms(Protocol):
    """The text of ``key`` in ``lang`` (formatted with ``kw``), or None for no such key."""

    def __call__(self, lang: str, key: str, **kw: object) -> str | None: ...


def _when(value: str | None, lang: str, zone: ZoneInfo, *, date_only: bool = False) -> str:
    """An ISO instant of the report in ``zone``, written as the console writes times."""
    if not value:
        return ""
    pattern = "yyyy-MM-dd" if date_only else "yyyy-MM-dd HH:mm"
    return format_datetime(datetime.fromisoformat(value), lang, zone, pattern)


def purpose_label(services: Container, code: str, lang: str, terms: Terms) -> str:
    """A purpose by its number and name (the transfer consent by its own name)."""
    if code == TRANSFER:
        return terms(lang, "consent.transfer") or code
    purpose = services.catalogue.purposes.get(code)
    return f"{purpose.number}. {purpose.labels[lang]}" if purpose else code


def _term(terms: Terms, key: str, lang: str, fallback: str, **kw: object) -> str:
    text = terms(lang, key, **kw)
    return fallback if text is None else text


def trail_view(
    trail: Mapping[str, Any] | None,
    recipients: Mapping[str, str],
    lang: str,
    services: Container,
    zone: ZoneInfo,
    terms: Terms,
) -> dict[str, Any] | None:
    """The report's audit trail for a page: each event's action, time, role, purpose,
    recipient and fields by name, its proof status; and the proved bundles as a JSON
    download (a ``data:`` address: the report page is shown once, after the code)."""
    if trail is None:
        return None
    fields = services.catalogue.fields
    events = []
    for e in trail.get("events", ()):
        cp = e.get("checkpoint") or {}
        if e["status"] == "proved":
            status = _term(terms, "rights.trail.proved", lang, "proved", **cp)
        elif e["status"] == "omitted":
            status = _term(
                terms, "rights.trail.omitted", lang, "omitted", size=cp.get("size"),
                origin=cp.get("origin") or "", event=e.get("event"),
            )  # fmt: skip
        else:
            status = _term(terms, "rights.trail.pending", lang, "pending")
        recipient = e.get("recipient")
        events.append(
            {
                "action": _term(terms, f"audit.action.{e['action']}", lang, e["action"]),
                "code": e["action"],
                "at": _when(e.get("at"), lang, zone),
                "role": _term(terms, f"audit.role.{e['role']}", lang, e["role"])
                if e.get("role")
                else "",
                "purpose": purpose_label(services, e["purpose"], lang, terms)
                if e.get("purpose")
                else "",
                "recipient": recipients.get(recipient, recipient) if recipient else "",
                "fields": ", ".join(
                    fields[f].labels.get(lang, f) if f in fields else f for f in e["fields"]
                ),
                "status": status,
                "proved": e["status"] == "proved",
            }
        )
    bundles = [e["bundle"] for e in trail.get("events", ()) if e.get("bundle")]
    download = None
    if bundles:
        raw = orjson.dumps(bundles, option=orjson.OPT_INDENT_2)
        download = "data:application/json;base64," + base64.b64encode(raw).decode("ascii")
    return {
        "events": events,
        "log_key": trail.get("log_key") or "",
        "proved": trail.get("proved", 0),
        "pending": trail.get("pending", 0),
        "download": download,
        # The recipient column only when an event names one.
        "recipients": any(e["recipient"] for e in events),
    }


def source_label(source: Mapping[str, Any] | str, lang: str, terms: Terms) -> str:
    """A value's source for the person (``access_report.source_for_subject``): its kind
    by name, and its reference where there is one to tell."""
    if isinstance(source, str):
        return source
    kind = str(source.get("kind", ""))
    text = _term(terms, f"source.kind.{kind}", lang, kind)
    ref = source.get("reference")
    return f"{text} ({ref})" if ref else text


def restricted_view(
    restricted: Mapping[str, Any] | None, lang: str, terms: Terms
) -> dict[str, Any] | None:
    """The restriction notice for a page: whole or partial, the grounds that may be told
    by name with their legal source, and the general provision otherwise (policy 4.2.2)."""
    if not restricted:
        return None
    return {
        "all": restricted.get("scope") == "all",
        "grounds": [
            _term(
                terms,
                "rights.report.restricted.ground",
                lang,
                g["ground"],
                ground=_term(terms, f"restriction.ground.{g['ground']}", lang, g["ground"]),
                source=g["source"],
            )
            for g in restricted.get("grounds", ())
        ],
        "general": restricted.get("general"),
    }


def report_view(
    report: Mapping[str, Any], lang: str, services: Container, zone: ZoneInfo, terms: Terms
) -> dict[str, Any]:
    """The access report (``RequestService.access_report``) laid out for a page in ``lang``:
    labels, purposes and bases by name, values in catalogue order, times in the operator's
    time zone."""
    order = {code: i for i, code in enumerate(services.catalogue.fields)}
    values = [
        {
            "field": v["field"],
            "label": v["label"].get(lang) or v["field"],
            "value": v["value"],
            "purpose": purpose_label(services, v["purpose"], lang, terms),
            "basis": _term(terms, f"basis.{v['legal_basis']}", lang, v["legal_basis"]),
            "source": source_label(v["source"], lang, terms),
            "collected": _when(v["collected_at"], lang, zone),
            "retained": _when(v["retained_until"], lang, zone, date_only=True),
        }
        for v in sorted(report.get("values", ()), key=lambda v: order.get(v["field"], 10**6))
    ]
    consents = [
        {
            "id": c.get("id"),
            "purpose": purpose_label(services, c["purpose"], lang, terms),
            "state": _term(terms, f"consent.state.{c['state']}", lang, c["state"]),
            "granted": _when(c["granted_at"], lang, zone),
            "expires": _when(c["expires_at"], lang, zone, date_only=True),
            "recipients": ", ".join(c.get("recipients") or ()),
        }
        for c in report.get("consents", ())
    ]
    rights = [
        {
            "right": _term(terms, f"right.{r['action']}", lang, r["action"]),
            "term": _term(terms, f"unit.{r['unit']}", lang, str(r["amount"]), n=r["amount"]),
            "source": r["source"],
        }
        # The breach notice and results to the authority are the operator's duties, not rights.
        for r in report.get("rights", ())
        if r["action"] not in ("breach_notice", "breach_results")
    ]
    names = {t["recipient_code"]: t["recipient"] for t in report.get("transfers", ())}
    return {
        "reference": report.get("request", ""),
        "generated": _when(report.get("generated_at"), lang, zone),
        "operator_name": report.get("operator", {}).get("name", ""),
        "restricted": restricted_view(report.get("restricted"), lang, terms),
        "values": values,
        "consents": consents,
        "recipients": [
            f"{t['recipient']}, {_when(t['at'], lang, zone)}: "
            + ", ".join(
                services.catalogue.field(f).labels.get(lang, f)
                for f in t["fields"]
                if f in services.catalogue.fields
            )
            + f" ({purpose_label(services, t['purpose'], lang, terms)})"
            for t in report.get("transfers", ())
        ]
        or [str(r) for r in report.get("recipients", ())],
        "rights": rights,
        "trail": trail_view(report.get("audit_trail"), names, lang, services, zone, terms),
    }
