"""A consent as a document (LAW.md Art. 8 p.4, Art. 25 p.2 sub.5; policy 8.2). Pure.

One JSON document per consent, from which the API answers, the pages lay out and the PDF is
printed, so they never disagree: what Art. 8 p.4 requires a consent to contain (the
operator's name and BIN, the subject's full name, its term, the exact list of data, the
recipients, whether transfer to third parties, cross-border transfer and publication in
public sources are allowed), the exact text shown (by its hash), and its evidence: channel,
method, the one-time code's record, the time and the policy version, then its history.

The full name is sealed under the subject's key; whoever builds the document opens it
through the gate (``consent.documents``), so the document says which of three it is:
``shown``, ``not_recorded`` (a consent recorded before revision 0017, or by a channel that
gave none) or ``withheld`` (the gate refused to open it for this reader, or the subject was
destroyed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from qorgau.catalog import Catalogue
from qorgau.consent.model import TRANSFER, ConsentView, FullName, LedgerEvent
from qorgau.law.profiles import LawProfile

#: What the document says of the full name.
NAME_SHOWN = "shown"
NAME_NOT_RECORDED = "not_recorded"
NAME_WITHHELD = "withheld"
#: The ledger events that end a consent.
_ENDS = frozenset({"withdraw", "expire"})


def consent_document(
    view: ConsentView,
    *,
    text: str | None,
    name: FullName | None,
    name_state: str,
    history: Sequence[LedgerEvent],
    catalogue: Catalogue,
    recipient_names: Mapping[str, str],
    law: LawProfile,
    generated_at: datetime,
) -> dict[str, Any]:
    """The document of one consent (see the module docstring); ``history``: the ledger's
    events of the subject (those of this consent are taken)."""
    purpose = catalogue.purposes.get(view.purpose)
    fields = catalogue.fields
    ended = [e for e in history if e.consent_id == view.id and e.kind in _ENDS]
    return {
        "document": "consent",
        "id": view.id,
        "subject": view.subject_id,
        "purpose": view.purpose,
        "purpose_number": purpose.number if purpose else None,
        "purpose_label": dict(purpose.labels) if purpose else None,
        "transfer": view.purpose == TRANSFER,
        "state": view.state.value,
        "operator": {"name": view.operator_name, "bin": view.operator_bin},
        "full_name": name.text() if name is not None else None,
        "full_name_state": name_state,
        "term_days": (view.expires_at - view.granted_at).days,
        "granted_at": view.granted_at.isoformat(),
        "expires_at": view.expires_at.isoformat(),
        "fields": [
            {"code": f, "label": dict(fields[f].labels) if f in fields else {}}
            # Catalogue order (identity, contacts, ...), as the consent text lists them.
            for f in sorted(view.fields, key=lambda f: _order(catalogue, f))
        ],
        "recipients": [{"code": r, "name": recipient_names.get(r, r)} for r in view.recipients],
        "third_party_transfer": view.third_party_transfer,
        "cross_border": view.cross_border,
        "public_sources": view.public_sources,
        "text": text,
        "text_hash": view.text_hash,
        "language": view.language,
        "policy": {"version": view.policy_version, "hash": view.policy_hash},
        "evidence": {
            "channel": view.channel,
            "method": view.evidence_method,
            "at": view.granted_at.isoformat(),
            "code": dict((view.evidence_record or {}).get("code") or {}) or None,
            "reference": (view.evidence_record or {}).get("reference"),
        },
        "history": [
            {"kind": e.kind, "at": e.at.isoformat(), "actor": e.actor, "reason": e.reason}
            for e in history
            if e.consent_id == view.id
        ],
        "ended_at": ended[-1].at.isoformat() if ended else None,
        "law": {
            "profile": law.code,
            "name": law.name,
            "source": law.consent_content_source,
            "separate_document": law.consent_separate_document,
        },
        "generated_at": generated_at.isoformat(),
    }


def _order(catalogue: Catalogue, code: str) -> int:
    for i, f in enumerate(catalogue.fields):
        if f == code:
            return i
    return 10**6
