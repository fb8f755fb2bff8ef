"""REST API v1 for recipients and transfers (policy 4.2.2, 6.2-6.4, 6.6-6.7; LAW.md Art. 16).

The recipient registry (versioned; each change audited), webhook secret rotation, manual
transfers under the transfer rule (a refusal is a 403 naming its reason code, and its audit
event commits), a subject's transfer log, state-body requests, and the delivery queue.

Registry changes, transfers and retries need a role that may manage the policy (the service
checks and audits a refusal); listings need a role that may handle data-subject requests.
Field names travel, never values.

Over 400 lines on purpose: half of it is the request and answer models of one router (the
registry, transfers, state-body requests, deliveries), which read best beside their routes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from qorgau.errors import DomainError
from qorgau.security.access import Capability
from qorgau.security.actors import Actor
from qorgau.security.web_auth import CurrentActor, refusal
from qorgau.transfers.model import DeliveryMode, Kind, Recipient, RecipientNotFound, TransferView
from qorgau.transfers.registry import parse_recipient, recipient_doc
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import API_RESPONSES

if TYPE_CHECKING:
    from qorgau.container import Container

router = APIRouter(tags=["transfers"], responses=API_RESPONSES)

#: An agreement ending within this many days is flagged (and listed first in the console).
EXPIRY_WARNING_DAYS = 30

Code = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
SubjectId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
TransferId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
Name = Annotated[str, Field(min_length=1, max_length=40)]


class RecipientExists(DomainError):
    """A recipient with that code is already in the registry (change it with PUT)."""

    code = "recipient-exists"
    kind = "conflict"
    title = "Conflict"


def _require(actor: Actor, services: Container) -> None:
    # Listings are the data protection officer's (and admin's) work, as requests are.
    if not services.access.may(actor.role, Capability.SEE_TRANSFERS):
        raise refusal(actor, "view recipients and transfers")


class AgreementIn(BaseModel):
    """The agreement of policy 6.2."""

    reference: str = Field(max_length=200, examples=["Agreement No. 7/2026 of 01.02.2026"])
    operations: list[Name] = Field(max_length=20, examples=[["transfer", "storage", "use"]])
    purposes: list[Name] = Field(max_length=20, examples=[["contract"]])
    confidentiality: str = Field(max_length=2000)
    security: str = Field(max_length=2000)
    protection: str = Field(max_length=2000)
    valid_from: date
    valid_until: date
    fields: list[Name] = Field(
        default_factory=list, max_length=100, description="empty: what the purpose may use"
    )


class RecipientBody(BaseModel):
    kind: Kind
    legal_name: str = Field(max_length=300)
    bin: str | None = Field(default=None, max_length=12, description="12 digits (KZ)")
    country: str = Field(default="KZ", max_length=2, description="ISO 3166-1 alpha-2")
    contacts: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=200)]] = (
        Field(default_factory=dict, max_length=10)
    )
    delivery: DeliveryMode = DeliveryMode.NONE
    endpoint: str | None = Field(default=None, max_length=500)
    agreement: AgreementIn | None = None
    active: bool = True


class RecipientIn(RecipientBody):
    code: str = Field(min_length=1, max_length=40, examples=["mfo-alpha"])


class RecipientOut(BaseModel):
    code: str
    kind: str
    legal_name: str
    bin: str | None
    country: str
    contacts: dict[str, str]
    delivery: str
    endpoint: str | None
    agreement: AgreementIn | None
    active: bool
    version: int
    cross_border: bool = Field(description="outside the operator's storage country")
    valid_until: date | None = Field(description="the agreement's end")
    agreement_valid: bool = Field(description="the agreement is in force today")
    expiring_soon: bool = Field(description=f"the agreement ends within {EXPIRY_WARNING_DAYS} days")


class RecipientList(BaseModel):
    data: list[RecipientOut]
    count: int
    storage_location: str


class VersionOut(BaseModel):
    version: int
    at: datetime
    actor: str
    entry: dict[str, Any]


class VersionList(BaseModel):
    data: list[VersionOut]
    count: int


class SecretOut(BaseModel):
    recipient: str
    secret: str = Field(description="base64url; shown once, stored only sealed")
    note: str


class RegistryOut(BaseModel):
    operator: str
    storage_location: str = Field(description="where personal data is stored (localisation)")
    recipients: int
    cross_border: list[str] = Field(description="recipients outside the storage country")
    expiring: list[str] = Field(description=f"agreements ending within {EXPIRY_WARNING_DAYS} days")


class TransferIn(BaseModel):
    subject_id: str = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")
    recipient: str = Field(min_length=1, max_length=40)
    purpose: str = Field(min_length=1, max_length=40, examples=["contract"])
    fields: list[Name] = Field(min_length=1, max_length=50, examples=[["phone", "last_name"]])


class TransferOut(BaseModel):
    id: str
    subject_id: str | None
    recipient: str
    recipient_name: str
    purpose: str
    fields: list[str]
    basis_kind: str
    basis_reference: str
    at: datetime
    status: str
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    outcome: str | None
    lead: str | None


class TransferList(BaseModel):
    data: list[TransferOut]
    count: int


class StateRequestIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, description="the state body's registry code")
    reference: str = Field(min_length=1, max_length=200, examples=["No. 12-3/456 of 20.11.2026"])
    legal_ground: str = Field(min_length=1, max_length=500)
    received_on: date
    subjects: list[Annotated[str, Field(min_length=32, max_length=32)]] = Field(
        min_length=1, max_length=1000
    )
    fields: list[Name] = Field(min_length=1, max_length=50)
    purpose: str = Field(default="contract", min_length=1, max_length=40)


class StateRequestOut(BaseModel):
    id: str
    transfers: list[TransferOut]


class DeliveryOut(BaseModel):
    id: int
    transfer_id: str
    recipient: str
    status: str
    attempts: int
    next_at: datetime | None
    last_error: str | None
    created_at: datetime | None
    done_at: datetime | None
    lead: str | None
    transfer_status: str


class DeliveryList(BaseModel):
    data: list[DeliveryOut]
    count: int


class Retried(BaseModel):
    transfer_id: str
    status: str


def today(services: Container) -> date:
    """The operator's local date (agreement validity is by calendar day)."""
    return services.transfers.calendar.local(datetime.now(UTC)).date()


def recipient_out(r: Recipient, home: str, on: date) -> RecipientOut:
    doc = recipient_doc(r)
    a = r.agreement
    return RecipientOut(
        **doc,
        cross_border=r.cross_border(home),
        valid_until=a.valid_until if a else None,
        agreement_valid=bool(a and a.valid_on(on)),
        expiring_soon=bool(a and a.expires_within(on, EXPIRY_WARNING_DAYS)),
    )


def transfer_out(v: TransferView) -> TransferOut:
    return TransferOut(
        id=v.id,
        subject_id=v.subject_id,
        recipient=v.recipient,
        recipient_name=v.recipient_name,
        purpose=v.purpose,
        fields=list(v.fields),
        basis_kind=v.basis_kind,
        basis_reference=v.basis_reference,
        at=v.at,
        status=v.status,
        delivered_at=v.delivered_at,
        acknowledged_at=v.acknowledged_at,
        outcome=v.outcome,
        lead=v.lead,
    )


# -- the registry ---------------------------------------------------------------------------


@router.get("/registry")
async def registry(actor: CurrentActor, services: ServicesDep) -> RegistryOut:
    """The operator's storage location (data localisation) and who data may leave it to."""
    _require(actor, services)
    rows = await run_db(services, services.registry.recipients)
    home = services.registry.home()
    on = today(services)
    return RegistryOut(
        operator=services.settings.operator.name,
        storage_location=home,
        recipients=len(rows),
        cross_border=[r.code for r in rows if r.cross_border(home)],
        expiring=[
            r.code
            for r in rows
            if r.active and r.agreement and r.agreement.expires_within(on, EXPIRY_WARNING_DAYS)
        ],
    )


@router.get("/recipients")
async def list_recipients(actor: CurrentActor, services: ServicesDep) -> RecipientList:
    """Every registry entry with its agreement, whether it is cross-border, and a flag for
    agreements ending within 30 days."""
    _require(actor, services)
    rows = await run_db(services, services.registry.recipients)
    home = services.registry.home()
    on = today(services)
    data = [recipient_out(r, home, on) for r in rows]
    return RecipientList(data=data, count=len(data), storage_location=home)


def _entry(code: str, body: RecipientBody) -> Recipient:
    doc = body.model_dump(mode="json")
    doc["code"] = code
    return parse_recipient(doc)


@router.post("/recipients", status_code=status.HTTP_201_CREATED)
async def create_recipient(
    body: RecipientIn, actor: CurrentActor, services: ServicesDep
) -> RecipientOut:
    """Add a recipient with its agreement (policy 6.2); version 1, audited."""
    entry = _entry(body.code, body)

    def work(conn: Connection) -> Recipient:
        # The role check (audited) comes before saying whether the code is taken.
        if services.access.may(actor.role, Capability.MANAGE_RECIPIENTS):
            try:
                services.registry.recipient(conn, entry.code)
            except RecipientNotFound:
                pass
            else:
                raise RecipientExists(f"recipient '{entry.code}' exists: change it with PUT")
        return services.registry.register(conn, actor, entry)

    saved = await run_db(services, work)
    return recipient_out(saved, services.registry.home(), today(services))


@router.get("/recipients/{code}")
async def get_recipient(code: Code, actor: CurrentActor, services: ServicesDep) -> RecipientOut:
    _require(actor, services)
    got = await run_db(services, lambda conn: services.registry.recipient(conn, code))
    return recipient_out(got, services.registry.home(), today(services))


@router.put("/recipients/{code}")
async def update_recipient(
    code: Code, body: RecipientBody, actor: CurrentActor, services: ServicesDep
) -> RecipientOut:
    """Change a recipient: a new version; earlier versions are kept (policy 6.2)."""
    entry = _entry(code, body)

    def work(conn: Connection) -> Recipient:
        services.registry.recipient(conn, code)  # 404 for an unknown code
        return services.registry.register(conn, actor, entry)

    saved = await run_db(services, work)
    return recipient_out(saved, services.registry.home(), today(services))


@router.get("/recipients/{code}/versions")
async def recipient_versions(code: Code, actor: CurrentActor, services: ServicesDep) -> VersionList:
    """Every version of the entry as it was, oldest first, with who changed it."""
    _require(actor, services)
    got = await run_db(services, lambda conn: services.registry.versions(conn, code))
    data = [VersionOut(**v) for v in got]
    return VersionList(data=data, count=len(data))


@router.post("/recipients/{code}/secret")
async def rotate_secret(
    code: Code, actor: CurrentActor, services: ServicesDep, response: Response
) -> SecretOut:
    """A new webhook signing secret, returned once; the one it replaces keeps signing for
    24 hours so the partner can switch over."""
    secret = await run_db(services, lambda conn: services.registry.rotate_secret(conn, actor, code))
    response.headers["Cache-Control"] = "no-store"
    return SecretOut(
        recipient=code,
        secret=secret,
        note="shown once: give it to the partner over a secure channel",
    )


# -- transfers ------------------------------------------------------------------------------


@router.post("/transfers", status_code=status.HTTP_201_CREATED)
async def create_transfer(
    body: TransferIn, actor: CurrentActor, services: ServicesDep
) -> TransferOut:
    """Pass fields of a subject to a recipient under a purpose, if the transfer rule allows;
    else 403 ``transfer-refused`` with the reason code (the refusal is audited)."""
    view = await run_db(
        services,
        lambda conn: services.transfers.transfer(
            conn, actor, body.subject_id, body.recipient, body.purpose, body.fields
        ),
    )
    return transfer_out(view)


@router.get("/subjects/{subject_id}/transfers")
async def subject_transfers(
    subject_id: SubjectId, actor: CurrentActor, services: ServicesDep
) -> TransferList:
    """The subject's transfer log (policy 6.4): recipient, purpose, field names, time, basis,
    delivery status, acknowledgement and outcome."""
    _require(actor, services)

    def load(conn: Connection) -> list[TransferView]:
        services.gate.subject_status(conn, subject_id)  # 404 for an unknown subject
        return services.transfers.log(conn, subject_id)

    views = await run_db(services, load)
    return TransferList(data=[transfer_out(v) for v in views], count=len(views))


@router.post("/state-requests", status_code=status.HTTP_201_CREATED)
async def create_state_request(
    body: StateRequestIn, actor: CurrentActor, services: ServicesDep
) -> StateRequestOut:
    """Record a state body's request (reference, legal ground, date received) and the
    disclosure made under it: one transfer per subject with the law as basis (policy 6.3)."""
    rid, views = await run_db(
        services,
        lambda conn: services.state_bodies.request(
            conn,
            actor,
            body=body.code,
            reference=body.reference,
            legal_ground=body.legal_ground,
            received_on=body.received_on,
            subjects=body.subjects,
            fields=body.fields,
            purpose=body.purpose,
        ),
    )
    return StateRequestOut(id=rid, transfers=[transfer_out(v) for v in views])


# -- deliveries -----------------------------------------------------------------------------


@router.get("/deliveries")
async def list_deliveries(
    actor: CurrentActor,
    services: ServicesDep,
    status: Literal["pending", "delivered", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> DeliveryList:
    """The delivery queue (no payload): dead letters first when no status is given."""
    _require(actor, services)
    rows = await run_db(services, lambda conn: services.queue.deliveries(conn, status, limit))
    data = [DeliveryOut(**r) for r in rows]
    return DeliveryList(data=data, count=len(data))


@router.post("/deliveries/{transfer_id}/retry")
async def retry_delivery(
    transfer_id: TransferId, actor: CurrentActor, services: ServicesDep
) -> Retried:
    """Put a dead-lettered delivery back in the queue, due now (audited)."""
    await run_db(services, lambda conn: services.queue.retry(conn, actor, transfer_id))
    return Retried(transfer_id=transfer_id, status="pending")
