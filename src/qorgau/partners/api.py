"""The partner pull API (policy 6.2, 6.4): a partner fetches the leads addressed to it,
acknowledges each, and reports what came of it.

Authenticated with an API key bound to a recipient (``qorgau keys create --recipient``); a
key without one gets 403, and a partner's key reaches nothing else. A partner sees only its
own leads: any other transfer id answers 404, as an unknown one does. Every lead handed out
is opened by the gate and audited; answers are never cached.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from qorgau.errors import DomainError
from qorgau.security.web_auth import CurrentPartner
from qorgau.transfers.model import DeliveryMode, TransferView
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import problem_response

router = APIRouter(
    prefix="/partner",
    tags=["partner"],
    responses={
        401: problem_response("Missing, unknown or revoked API key"),
        403: problem_response("The key is not bound to a recipient"),
        404: problem_response("No such lead addressed to this partner"),
        409: problem_response("The partner does not take leads by pull"),
        422: problem_response("Malformed body or unknown outcome"),
    },
)

TransferId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
NO_STORE = "no-store"


class NotAPullPartner(DomainError):
    """The recipient takes leads by webhook (or not at all), not by pull."""

    code = "not-a-pull-partner"
    kind = "conflict"
    title = "Conflict"


class LeadList(BaseModel):
    data: list[dict[str, Any]] = Field(
        description="per lead: transfer_id, lead, recipient, purpose, basis, at, data"
    )
    count: int


class LeadState(BaseModel):
    transfer_id: str
    lead: str | None
    status: str
    acknowledged_at: datetime | None
    outcome: str | None


class OutcomeIn(BaseModel):
    outcome: Literal["issued", "refused", "in_review", "no_contact"]


def _state(v: TransferView) -> LeadState:
    return LeadState(
        transfer_id=v.id,
        lead=v.lead,
        status=v.status,
        acknowledged_at=v.acknowledged_at,
        outcome=v.outcome,
    )


@router.get("/leads")
async def fetch_leads(
    partner: CurrentPartner,
    services: ServicesDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> LeadList:
    """Leads addressed to you and not yet acknowledged, oldest first. Acknowledge each one
    you have stored; until then it is handed out again."""

    def work(conn: Connection) -> list[dict[str, Any]]:
        if services.registry.recipient(conn, partner).delivery is not DeliveryMode.PULL:
            raise NotAPullPartner(f"recipient '{partner}' does not take leads by pull")
        return services.inbox.fetch(conn, partner, limit)

    leads = await run_db(services, work)
    response.headers["Cache-Control"] = NO_STORE
    return LeadList(data=leads, count=len(leads))


@router.post("/leads/{transfer_id}/ack")
async def acknowledge(
    transfer_id: TransferId, partner: CurrentPartner, services: ServicesDep, response: Response
) -> LeadState:
    """Confirm receipt of a lead (idempotent): it leaves your queue."""
    view = await run_db(
        services, lambda conn: services.inbox.acknowledge(conn, partner, transfer_id)
    )
    response.headers["Cache-Control"] = NO_STORE
    return _state(view)


@router.post("/leads/{transfer_id}/outcome")
async def report_outcome(
    transfer_id: TransferId,
    body: OutcomeIn,
    partner: CurrentPartner,
    services: ServicesDep,
    response: Response,
) -> LeadState:
    """What came of the lead: ``refused`` makes the person a refused borrower, ``issued`` a
    client through the operator (policy 3.3)."""
    view = await run_db(
        services,
        lambda conn: services.inbox.report_outcome(conn, partner, transfer_id, body.outcome),
    )
    response.headers["Cache-Control"] = NO_STORE
    return _state(view)
