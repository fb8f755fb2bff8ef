"""What staff and the API see of a request: its state and deadline, never the code or the
payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from qorgau.dsr.store import RequestRow


@dataclass(frozen=True, slots=True)
class RequestView:
    id: str
    reference: str
    kind: str
    channel: str
    status: str
    language: str
    received_at: datetime
    due_at: datetime
    subject_id: str | None
    verified_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    #: The subject has a standing access restriction (policy 4.2.2).
    restricted: bool
    due_soon: bool
    overdue: bool


def view_of(r: RequestRow, zone: tzinfo, restricted: bool = False) -> RequestView:
    """The request's view; its instants shown in the operator's ``zone`` (the deadline
    reads 23:59 on its day there); ``restricted``: its subject's access is."""
    return RequestView(
        id=r.id,
        reference=r.reference,
        kind=r.kind,
        channel=r.channel,
        status=r.status,
        language=r.language,
        received_at=r.received_at.astimezone(zone),
        due_at=r.due_at.astimezone(zone),
        subject_id=r.subject_id,
        verified_at=r.verified_at,
        answered_at=r.answered_at,
        closed_at=r.closed_at,
        outcome=r.outcome,
        restricted=restricted,
        due_soon=r.due_soon_at is not None,
        overdue=r.overdue_at is not None,
    )
