"""The access report: everything held about a subject, read through the gate under the
subject-request purpose (policy 4.2.1, 4.2.2), or a statement that access is restricted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from qorgau.catalog import Catalogue
from qorgau.consent.ledger import Ledger
from qorgau.dsr.store import RequestRow
from qorgau.law.deadlines import TERMS
from qorgau.security.actors import Actor
from qorgau.transfers.model import TransferView
from qorgau.vault.gate import SUBJECT_REQUEST, Gate

TransferLog = Callable[[Connection, str], Sequence[TransferView]]


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
) -> dict[str, Any]:
    """The report for the verified request ``row``."""
    sid = str(row.subject_id)
    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "request": row.reference,
        "generated_at": now.isoformat(),
        "law_profile": law_profile,
        "operator": {"name": ledger.operator.name, "bin": ledger.operator.bin},
    }
    if row.restriction_ground:
        report["restricted"] = {"ground": row.restriction_ground}
        return report
    result = gate.read(conn, actor, sid, SUBJECT_REQUEST)
    values = []
    for field, value in sorted(result.values.items()):
        meta = result.meta[field]
        purpose = catalogue.purpose(meta.purpose)
        values.append(
            {
                "field": field,
                "label": dict(catalogue.field(field).labels),
                "value": value,
                "purpose": meta.purpose,
                "legal_basis": purpose.legal_basis.value,
                "source": meta.source,
                "collected_at": meta.collected_at.isoformat(),
                "retained_until": (
                    meta.collected_at + timedelta(days=purpose.retention_days)
                ).isoformat(),
            }
        )
    report["values"] = values
    report["consents"] = [
        {
            "purpose": c.purpose,
            "state": c.state.value,
            "granted_at": c.granted_at.isoformat(),
            "expires_at": c.expires_at.isoformat(),
            "recipients": list(c.recipients),
            "channel": c.channel,
            "policy_version": c.policy_version,
        }
        for c in ledger.consents(conn, sid)
    ]
    transfers = transfer_log(conn, sid) if transfer_log else []
    report["transfers"] = [
        {
            "recipient": t.recipient_name,
            "recipient_code": t.recipient,
            "purpose": t.purpose,
            "fields": list(t.fields),
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
    return report
