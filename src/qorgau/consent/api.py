"""REST API v1 for the consent ledger (policy 6.1, 6.5).

Consents entered by staff (call centre, paper scan, API) name their channel and evidence
and bind the subject's full name (given, or else the one held under ``contract``, read
through the gate). Withdrawal takes effect on the next read; where the law profile refuses
it, the answer is a 409 problem with the reason, and the refusal is recorded. Each consent
is a document (LAW.md Art. 8 p.4), as JSON or PDF, its full name opened under the purpose
the caller names.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Connection

from qorgau.consent import documents
from qorgau.consent.document_pdf import consent_pdf
from qorgau.consent.model import (
    NAME_FIELDS,
    BasisKind,
    BasisView,
    Channel,
    ConsentRequest,
    ConsentView,
    Evidence,
    FullName,
    LedgerEvent,
    NameRequired,
    UnknownRecipient,
)
from qorgau.errors import Refusal
from qorgau.security.access import Capability
from qorgau.security.actors import Actor
from qorgau.security.web_auth import CurrentActor, refusal
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import API_RESPONSES

router = APIRouter(tags=["consent"], responses=API_RESPONSES)

Language = Literal["kk", "ru", "en"]


def _require(actor: Actor, op: Capability, services: ServicesDep, what: str) -> None:
    if not services.access.may(actor.role, op):
        raise refusal(actor, what)


class EvidenceIn(BaseModel):
    method: str = Field(
        max_length=32, examples=["paper_scan", "call_recording", "otp:phone", "api"]
    )
    reference: str | None = Field(default=None, max_length=120, examples=["scan-2026-0042"])


class FullNameIn(BaseModel):
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    patronymic: str | None = Field(default=None, max_length=100)


class ConsentIn(BaseModel):
    purpose: str = Field(max_length=40, examples=["offers", "transfer"])
    text: str = Field(min_length=1, max_length=20_000, description="the exact wording shown")
    language: Language = "ru"
    channel: Channel = Channel.API
    recipients: list[str] = Field(default_factory=list, max_length=100)
    cross_border: bool = False
    public_sources: bool = False
    term_days: int | None = Field(default=None, ge=1, le=3650)
    evidence: EvidenceIn
    full_name: FullNameIn | None = Field(
        default=None,
        description="as the consent names the person (Art. 8 p.4); omitted: the name held "
        "under the contract purpose, read through the gate",
    )
    fields: list[str] | None = Field(
        default=None,
        max_length=100,
        description="the exact data the consent covers; omitted: every field of its purpose",
    )


class Created(BaseModel):
    id: str


class WithdrawIn(BaseModel):
    purpose: str = Field(max_length=40)
    reason: str = Field(min_length=1, max_length=200, examples=["subject request by phone"])


class BasisIn(BaseModel):
    purpose: str = Field(max_length=40)
    kind: Literal["contract", "law"]
    reference: str = Field(min_length=1, max_length=200, examples=["loan agreement 2026/118"])
    # An instant: a time without its zone names none (422, not a guess).
    until: AwareDatetime | None = None
    obligation: bool = Field(default=False, description="an unfulfilled obligation to the operator")


class ConsentPublic(BaseModel):
    id: str
    purpose: str
    state: str
    granted_at: datetime
    expires_at: datetime
    fields: list[str]
    recipients: list[str]
    third_party_transfer: bool
    cross_border: bool
    public_sources: bool
    operator_name: str
    operator_bin: str
    text_hash: str
    policy_version: str | None
    policy_hash: str | None
    language: str
    channel: str
    evidence_method: str
    full_name_sealed: bool
    evidence_record: dict[str, Any] | None


class BasisPublic(BaseModel):
    purpose: str
    kind: str
    state: str
    since: datetime
    until: datetime | None
    reference: str | None
    obligation: bool


class ConsentState(BaseModel):
    subject_id: str
    consents: list[ConsentPublic]
    bases: list[BasisPublic]


class LedgerEventPublic(BaseModel):
    id: int
    consent_id: str | None
    purpose: str
    kind: str
    at: datetime
    actor: str
    reason: str | None


class LedgerHistory(BaseModel):
    data: list[LedgerEventPublic]
    count: int


@router.post("/subjects/{subject_id}/consents", status_code=status.HTTP_201_CREATED)
async def grant_consent(
    subject_id: str, body: ConsentIn, actor: CurrentActor, services: ServicesDep
) -> Created:
    """Record a consent given through a staff channel (policy 6.1; LAW.md Art. 8)."""
    _require(actor, Capability.RECORD_CONSENT, services, "record consents")
    req = ConsentRequest(
        subject_id=subject_id,
        purpose=body.purpose,
        text=body.text,
        evidence=Evidence(body.evidence.method, reference=body.evidence.reference),
        language=body.language,
        channel=body.channel,
        recipients=tuple(body.recipients),
        cross_border=body.cross_border,
        public_sources=body.public_sources,
        term_days=body.term_days,
        full_name=None if body.full_name is None else FullName(**body.full_name.model_dump()),
        fields=None if body.fields is None else tuple(body.fields),
    )

    def grant(conn: Connection) -> str:
        services.gate.require_subject(conn, subject_id)
        # Only recipients in the registry (policy 6.2): a consent naming one that does not
        # exist would let nothing pass, or the wrong organisation later take its code.
        unknown = sorted(set(req.recipients) - services.registry.known(conn, req.recipients))
        if unknown:
            raise UnknownRecipient(", ".join(unknown))
        named = req
        if req.full_name is None:
            # The name the subject is held under (a read under the contract purpose, audited).
            try:
                held = services.gate.read(conn, actor, subject_id, "contract", list(NAME_FIELDS))
            except Refusal as exc:  # audited by the gate
                raise NameRequired(subject_id) from exc
            name = FullName.of(held.values)
            if name is None:
                raise NameRequired(subject_id)
            named = dataclasses.replace(req, full_name=name)
        return services.ledger.grant(conn, actor, named)

    return Created(id=await run_db(services, grant))


@router.post("/subjects/{subject_id}/consents/withdraw")
async def withdraw_consent(
    subject_id: str, body: WithdrawIn, actor: CurrentActor, services: ServicesDep
) -> ConsentState:
    """Withdraw a consent (policy 6.5): marketing and transfers stop at once."""
    _require(actor, Capability.RECORD_CONSENT, services, "withdraw consents")
    await run_db(
        services,
        lambda conn: services.ledger.withdraw(conn, actor, subject_id, body.purpose, body.reason),
    )
    return await consent_state(subject_id, actor, services)


@router.post("/subjects/{subject_id}/bases", status_code=status.HTTP_201_CREATED)
async def record_basis(
    subject_id: str, body: BasisIn, actor: CurrentActor, services: ServicesDep
) -> ConsentState:
    """Record a contract or legal basis for a purpose (policy 6.1)."""
    _require(actor, Capability.RECORD_BASIS, services, "record legal bases")

    def record(conn: Connection) -> None:
        services.gate.require_subject(conn, subject_id)
        services.catalogue.purpose(body.purpose)
        services.ledger.record_basis(
            conn,
            actor,
            subject_id,
            body.purpose,
            BasisKind(body.kind),
            body.reference,
            until=body.until,
            obligation=body.obligation,
        )

    await run_db(services, record)
    return await consent_state(subject_id, actor, services)


@router.get("/subjects/{subject_id}/consents")
async def consent_state(
    subject_id: str, actor: CurrentActor, services: ServicesDep
) -> ConsentState:
    """Every consent of the subject with its current state, and the other bases."""
    _require(actor, Capability.SEE_CONSENTS, services, "see consents")

    def load(conn: Connection) -> tuple[list[ConsentView], list[BasisView]]:
        services.gate.require_subject(conn, subject_id)
        return services.ledger.consents(conn, subject_id), services.ledger.bases(conn, subject_id)

    consents, bases = await run_db(services, load)
    return ConsentState(
        subject_id=subject_id,
        consents=[
            ConsentPublic(
                id=c.id,
                purpose=c.purpose,
                state=c.state.value,
                granted_at=c.granted_at,
                expires_at=c.expires_at,
                fields=list(c.fields),
                recipients=list(c.recipients),
                third_party_transfer=c.third_party_transfer,
                cross_border=c.cross_border,
                public_sources=c.public_sources,
                operator_name=c.operator_name,
                operator_bin=c.operator_bin,
                text_hash=c.text_hash,
                policy_version=c.policy_version,
                policy_hash=c.policy_hash,
                language=c.language,
                channel=c.channel,
                evidence_method=c.evidence_method,
                full_name_sealed=c.has_name,
                evidence_record=dict(c.evidence_record) if c.evidence_record else None,
            )
            for c in consents
        ],
        bases=[
            BasisPublic(
                purpose=b.purpose,
                kind=b.kind.value,
                state=b.state.value,
                since=b.since,
                until=b.until,
                reference=b.reference,
                obligation=b.obligation,
            )
            for b in bases
        ],
    )


@router.get("/subjects/{subject_id}/consents/history")
async def consent_history(
    subject_id: str, actor: CurrentActor, services: ServicesDep
) -> LedgerHistory:
    """The append-only history: grants, withdrawals, refusals, expiries, bases."""
    _require(actor, Capability.SEE_CONSENTS, services, "see consents")

    def load(conn: Connection) -> list[LedgerEvent]:
        services.gate.require_subject(conn, subject_id)
        return services.ledger.history(conn, subject_id)

    events = await run_db(services, load)
    return LedgerHistory(
        data=[
            LedgerEventPublic(
                id=e.id,
                consent_id=e.consent_id,
                purpose=e.purpose,
                kind=e.kind,
                at=e.at,
                actor=e.actor,
                reason=e.reason,
            )
            for e in events
        ],
        count=len(events),
    )


@router.get("/subjects/{subject_id}/consents/{consent_id}/document")
async def consent_document(
    subject_id: str, consent_id: str, purpose: str, actor: CurrentActor, services: ServicesDep
) -> dict[str, Any]:
    """The consent as a document (LAW.md Art. 8 p.4, Art. 25 p.2 sub.5): what it contains,
    its exact text and its evidence (the one-time code's record, channel, time, policy
    version). The full name is opened through the gate under ``purpose`` (audited); where
    the gate refuses, the document says it is withheld."""
    _require(actor, Capability.SEE_CONSENTS, services, "see consents")
    return await run_db(
        services,
        lambda conn: documents.produce(
            conn, actor, ledger=services.ledger, gate=services.gate, subject_id=subject_id,
            consent_id=consent_id, purpose=purpose, recipient_names=services.registry.names(conn),
        ),
    )  # fmt: skip


@router.get(
    "/subjects/{subject_id}/consents/{consent_id}/document.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def consent_document_pdf(
    subject_id: str,
    consent_id: str,
    purpose: str,
    actor: CurrentActor,
    services: ServicesDep,
    lang: Language | None = None,
) -> Response:
    """The consent's document as a PDF, in the consent's language unless ``lang`` is given."""
    doc = await consent_document(subject_id, consent_id, purpose, actor, services)
    language = lang or str(doc["language"])
    body = await run_in_threadpool(consent_pdf, doc, language, services.settings.timezone)
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="consent-{consent_id[:8]}.pdf"'},
    )
