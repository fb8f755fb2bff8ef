"""The access report: everything held about a subject, read through the gate under the
subject-request purpose (policy 4.2.1, 4.2.2), each value with its typed source, limited by
the person's standing access restrictions, which it says are there.

Its audit trail (issue 13, must-have 7) lists the events about the person, each with its
inclusion proof against the partition's signed tree head, which the person can check with
the log's public key alone. The proofs come through a port (``AuditTrail``, wired by the
container to ``qorgau.audit.proofs.prove_subject``); an event's body holds no value by
design, and the trail takes from it only the action, time, purpose, field names, role and
recipient.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.catalog import Catalogue
from qorgau.consent.ledger import Ledger
from qorgau.dsr import restriction
from qorgau.dsr.restrictions import ACTIONS as RESTRICTION_ACTIONS
from qorgau.dsr.restrictions import Restrictions
from qorgau.dsr.store import RequestRow
from qorgau.law.deadlines import TERMS
from qorgau.security.actors import Actor
from qorgau.transfers.model import TransferView
from qorgau.vault.gate import SUBJECT_REQUEST, Gate
from qorgau.vault.sources import Source, SourceKind

TransferLog = Callable[[Connection, str], Sequence[TransferView]]
#: The audit events about a subject as proof bundles, oldest first, the newest ``limit`` of
#: them proved (``qorgau.audit.proofs.prove_subject``'s shape).
AuditTrail = Callable[[Connection, str, int], Sequence[Mapping[str, Any]]]
#: How many of a person's events the report proves (the newest): a proof reads one block
#: of 256 event hashes and rehashes it (about 1 ms), so a report stays fast for a person
#: with thousands of events; older ones are listed with the tree head that covers them.
TRAIL_PROOFS = 100


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def trail_entry(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """One audit event of the report: what the event's body says of who did what, and its
    proof status. Only these keys are taken from the body, never ``d``'s other details."""
    entry = bundle["entry"]
    body = orjson.loads(entry["body"])
    detail = body.get("d") if isinstance(body.get("d"), dict) else {}
    fields = body.get("f") if isinstance(body.get("f"), list) else []
    if bundle.get("proof") is not None:
        status = "proved"
        # A C2SP checkpoint's first line is its origin (the log's origin and partition).
        checkpoint = {
            "origin": str(bundle["checkpoint"]).split("\n", 1)[0],
            "size": int(bundle["size"]),
        }
    elif bundle.get("omitted"):
        status, checkpoint = "omitted", {"origin": None, "size": int(bundle["size"])}
    else:
        status, checkpoint = "pending", None
    return {
        "event": entry.get("id"),
        "action": entry["action"],
        "at": _text(body.get("at")),
        "role": _text(detail.get("role")),
        "purpose": _text(body.get("p")),
        "recipient": _text(detail.get("recipient")),
        "fields": [f for f in fields if isinstance(f, str)],
        "status": status,
        "checkpoint": checkpoint,
        "bundle": dict(bundle) if status == "proved" else None,
    }


def audit_trail(bundles: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The report's audit trail: the log's verifier key (every bundle names it), the
    events oldest first; an omitted event's origin is its partition's (one partition holds
    all of a person's events)."""
    events = [trail_entry(b) for b in bundles]
    keys = {str(b["log_key"]) for b in bundles if b.get("proof") is not None}
    origins = {e["checkpoint"]["origin"] for e in events if e["status"] == "proved"}
    for e in events:
        if e["status"] == "omitted" and len(origins) == 1:
            e["checkpoint"]["origin"] = next(iter(origins))
    return {
        "log_key": next(iter(keys)) if len(keys) == 1 else None,
        "events": events,
        "proved": sum(e["status"] == "proved" for e in events),
        "pending": sum(e["status"] == "pending" for e in events),
        "omitted": sum(e["status"] == "omitted" for e in events),
    }


def rights(law_profile: str) -> list[dict[str, Any]]:
    """The subject's rights under the law profile, each with its term and source."""
    return [
        {"action": a.value, "amount": t.amount, "unit": t.unit.value, "source": t.source}
        for a, t in TERMS[law_profile].items()
    ]


def access_report(
    conn: Connection,
    actor: Actor,
    row: RequestRow,
    *,
    gate: Gate,
    ledger: Ledger,
    catalogue: Catalogue,
    law_profile: str,
    transfer_log: TransferLog | None,
    trail: AuditTrail | None = None,
    restrictions: Restrictions | None = None,
) -> dict[str, Any]:
    """The report for the verified request ``row``, limited by the person's standing
    ``restrictions`` (policy 4.2.2): withheld whole, or without the values of the data
    categories they cover, the transfers naming only those and the audit events naming
    any; either
    way ``restricted`` says so, as ``restriction.notice`` allows. (The gate's read takes
    every field the purpose and role allow; the withheld ones are dropped here, and the
    read's own event, naming them, stays out of the person's trail.)"""
    sid = str(row.subject_id)
    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "request": row.reference,
        "generated_at": now.isoformat(),
        "law_profile": law_profile,
        "operator": {"name": ledger.operator.name, "bin": ledger.operator.bin},
    }
    effect = (
        restriction.applied(law_profile, restrictions.of_subject(conn, sid, active_only=True))
        if restrictions is not None
        else None
    )
    if effect is not None:
        report["restricted"] = restriction.notice(effect)
        if effect.all:
            report["rights"] = rights(law_profile)
            return report
    hidden = effect.fields if effect is not None else frozenset()
    result = gate.read(conn, actor, sid, SUBJECT_REQUEST)
    values = []
    for field, value in sorted(result.values.items()):
        if field in hidden:
            continue
        meta = result.meta[field]
        purpose = catalogue.purpose(meta.purpose)
        values.append(
            {
                "field": field,
                "label": dict(catalogue.field(field).labels),
                "value": value,
                "purpose": meta.purpose,
                "legal_basis": purpose.legal_basis.value,
                # Where it came from, as the person has the right to know (policy 4.2.2).
                "source": source_for_subject(meta.typed_source),
                "collected_at": meta.collected_at.isoformat(),
                "retained_until": (
                    meta.collected_at + timedelta(days=purpose.retention_days)
                ).isoformat(),
            }
        )
    report["values"] = values
    # What each consent contains (Art. 8 p.4); its whole document, with the full name and
    # the evidence, is one request away (``RequestService.consent_document``).
    report["consents"] = [
        {
            "id": c.id,
            "purpose": c.purpose,
            "state": c.state.value,
            "granted_at": c.granted_at.isoformat(),
            "expires_at": c.expires_at.isoformat(),
            "recipients": list(c.recipients),
            "fields": list(c.fields),
            "cross_border": c.cross_border,
            "public_sources": c.public_sources,
            "full_name_sealed": c.has_name,
            "channel": c.channel,
            "policy_version": c.policy_version,
        }
        for c in ledger.consents(conn, sid)
    ]
    transfers = [
        t
        for t in (transfer_log(conn, sid) if transfer_log else [])
        if not t.fields or set(t.fields) - hidden
    ]
    report["transfers"] = [
        {
            "recipient": t.recipient_name,
            "recipient_code": t.recipient,
            "purpose": t.purpose,
            "fields": [f for f in t.fields if f not in hidden],
            "at": t.at.isoformat(),
            "basis": t.basis_kind,
            "status": t.status,
            "acknowledged_at": t.acknowledged_at.isoformat() if t.acknowledged_at else None,
        }
        for t in transfers
    ]
    # Who received the data (policy 4.2.2, 6.4): each organisation once, in order.
    report["recipients"] = list(dict.fromkeys(t.recipient_name for t in transfers))
    report["rights"] = rights(law_profile)
    if trail is not None:
        # Last: the events of this very report (its read) are in it, not yet checkpointed.
        report["audit_trail"] = audit_trail(
            [b for b in trail(conn, sid, TRAIL_PROOFS) if _shown(b, hidden)]
        )
    return report


def source_for_subject(source: Source) -> dict[str, Any]:
    """A value's source as the person is told it: its kind, and the reference of a public
    source, a partner, an import or the person's own channel; never a staff member's id."""
    shown = source.kind is not SourceKind.STAFF
    return {
        "kind": source.kind.value,
        "reference": source.reference if shown else None,
        "legacy": source.legacy is not None,
    }


def _shown(bundle: Mapping[str, Any], hidden: frozenset[str]) -> bool:
    """Whether the person's trail shows this event: never a restriction's own events
    (telling may be what the law forbids), nor one naming a withheld category (its proof
    bundle carries the event's body, field names and all)."""
    entry = bundle["entry"]
    if entry["action"] in RESTRICTION_ACTIONS:
        return False
    if not hidden:
        return True
    fields = orjson.loads(entry["body"]).get("f")
    return not (isinstance(fields, list) and hidden.intersection(fields))
