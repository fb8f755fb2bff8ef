"""REST API v1 for data-subject requests (policy 4.2.1, 4.2.2; LAW.md Art. 25).

Staff enter requests received by phone, paper or e-mail with their channel, verify the
requester, act and answer; the queue lists open requests, overdue and due-soon first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from qorgau.consent.document_pdf import consent_pdf
from qorgau.dsr.model import Channel, Kind
from qorgau.dsr.report_pdf import report_pdf
from qorgau.dsr.restriction import GROUNDS, Restriction
from qorgau.dsr.restrictions import as_dict
from qorgau.dsr.views import RequestView
from qorgau.security.access import Capability
from qorgau.security.actors import Actor
from qorgau.security.web_auth import CurrentActor, refusal
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import API_RESPONSES

router = APIRouter(tags=["requests"], responses=API_RESPONSES)


def _require(actor: Actor, services: ServicesDep) -> None:
    # Requests are the data protection officer's (and admin's) work.
    if not services.access.may(actor.role, Capability.HANDLE_REQUESTS):
        raise refusal(actor, "handle data-subject requests")


class RequestIn(BaseModel):
    kind: Kind
    channel: Channel = Field(description="how the request reached the operator")
    contact_kind: Literal["phone", "email", "iin"] = "phone"
    contact: str = Field(max_length=320, description="travels in the body, never a URL")
    language: Literal["kk", "ru", "en"] = "ru"


class RequestCreated(BaseModel):
    id: str
    reference: str
    due_at: datetime
    code_sent: bool = Field(description="staff-entered requests are verified by staff instead")


class VerifyIn(BaseModel):
    code: str = Field(min_length=1, max_length=12)


class StaffVerifyIn(BaseModel):
    subject_id: str = Field(min_length=32, max_length=32)
    how: str = Field(min_length=1, max_length=200, examples=["ID card shown at the office"])


class AnswerIn(BaseModel):
    values: dict[str, str] | None = Field(default=None, description="rectify: corrected values")
    purpose: str | None = Field(default=None, description="withdraw_consent: the purpose")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ExtendIn(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=300,
        description="the reasons, sent to the person in the motivated notice",
        examples=["the request covers data held in the archive, which takes longer to read"],
    )


class RestrictIn(BaseModel):
    ground: str = Field(
        min_length=1, max_length=32, examples=["aml_cft"],
        description="one of the law profile's grounds (GET /restrictions/grounds)",
    )  # fmt: skip
    reference: str = Field(
        min_length=1, max_length=200, examples=["AFM request No. 12-3/456 of 2026-11-02"],
        description="the document the restriction rests on (never shown to the person)",
    )  # fmt: skip
    fields: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=100,
        description="the data categories it covers; omitted: the whole report",
    )  # fmt: skip


class PersonRestrictIn(RestrictIn):
    subject_id: str = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")


class LiftIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300)


class RestrictionPublic(BaseModel):
    id: str
    subject_id: str | None
    ground: str
    legal_source: str
    reference: str
    fields: list[str] | None
    set_at: datetime
    set_by: str
    request_id: str | None
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    active: bool
    review: bool = Field(description="migrated with a free-text ground: to be reviewed")


class RestrictionList(BaseModel):
    data: list[RestrictionPublic]
    count: int


class GroundPublic(BaseModel):
    ground: str
    legal_source: str
    told_to_the_person: bool


def _restriction(r: Restriction, law_profile: str) -> RestrictionPublic:
    return RestrictionPublic.model_validate(as_dict(r, law_profile))


class RequestPublic(BaseModel):
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
    restricted: bool = Field(description="the subject's access stands restricted (4.2.2)")
    due_soon: bool
    overdue: bool


class ExtendedOut(BaseModel):
    request: RequestPublic
    extension: int = Field(description="how much longer the term is, in `unit`")
    unit: str
    source: str = Field(description="the article that allows the extension")
    notice_channel: str = Field(description="where the motivated notice went: phone or email")


class RequestList(BaseModel):
    data: list[RequestPublic]
    count: int


class Verified(BaseModel):
    verified: bool


def _public(v: RequestView) -> RequestPublic:
    return RequestPublic(**{f: getattr(v, f) for f in RequestPublic.model_fields})


@router.post("/requests", status_code=status.HTTP_201_CREATED)
async def create_request(
    body: RequestIn, actor: CurrentActor, services: ServicesDep
) -> RequestCreated:
    """Record a request received by phone, paper, e-mail or API; the clock starts now."""
    _require(actor, services)
    got = await run_db(
        services,
        lambda conn: services.requests.receive(
            conn, actor, body.kind, body.channel, body.contact_kind, body.contact, body.language,
            send_code=False,
        ),
    )  # fmt: skip
    return RequestCreated(
        id=got.request_id, reference=got.reference, due_at=got.due_at, code_sent=False
    )


@router.get("/requests")
async def list_requests(
    actor: CurrentActor,
    services: ServicesDep,
    due_within_days: Annotated[
        int | None, Query(ge=0, le=366, description="working days from now (0-366)")
    ] = None,
    include_closed: bool = False,
) -> RequestList:
    """Open requests, overdue and due soon first; ``due_within_days`` in working days."""
    _require(actor, services)
    views = await run_db(
        services,
        lambda conn: services.requests.queue(
            conn, due_within_days=due_within_days, open_only=not include_closed
        ),
    )
    return RequestList(data=[_public(v) for v in views], count=len(views))


@router.get("/requests/compliance")
async def compliance(actor: CurrentActor, services: ServicesDep) -> dict[str, Any]:
    """Requests per kind: answered on time, late and by how many working days."""
    _require(actor, services)
    return await run_db(services, services.requests.compliance)


@router.get("/requests/{request_id}")
async def get_request(
    request_id: str, actor: CurrentActor, services: ServicesDep
) -> dict[str, Any]:
    _require(actor, services)

    def load(conn: Connection) -> dict[str, Any]:
        view = services.requests.get(conn, request_id)
        held = (
            services.requests.restrictions.of_subject(conn, view.subject_id)
            if view.subject_id
            else []
        )
        profile = services.requests.law_profile
        return {
            "request": _public(view).model_dump(mode="json"),
            "events": services.requests.events(conn, request_id),
            "restrictions": [_restriction(r, profile).model_dump(mode="json") for r in held],
        }

    return await run_db(services, load)


@router.post("/requests/{request_id}/verify")
async def verify_code(
    request_id: str, body: VerifyIn, actor: CurrentActor, services: ServicesDep
) -> Verified:
    _require(actor, services)
    ok = await run_db(
        services, lambda conn: services.requests.verify(conn, actor, request_id, body.code)
    )
    return Verified(verified=ok)


@router.post("/requests/{request_id}/verify-by-staff")
async def verify_by_staff(
    request_id: str, body: StaffVerifyIn, actor: CurrentActor, services: ServicesDep
) -> Verified:
    _require(actor, services)
    await run_db(
        services,
        lambda conn: services.requests.verify_by_staff(
            conn, actor, request_id, body.subject_id, body.how
        ),
    )
    return Verified(verified=True)


@router.post("/requests/{request_id}/start")
async def start(request_id: str, actor: CurrentActor, services: ServicesDep) -> RequestPublic:
    _require(actor, services)

    def work(conn: Connection) -> RequestView:
        services.requests.start(conn, actor, request_id)
        return services.requests.get(conn, request_id)

    return _public(await run_db(services, work))


@router.post("/requests/{request_id}/restrict")
async def restrict(
    request_id: str, body: RestrictIn, actor: CurrentActor, services: ServicesDep
) -> RequestPublic:
    """Restrict the requester's access on a typed legal ground (policy 4.2.2), from an
    open, verified request: the person stays restricted, in this and every later
    request, until the restriction is lifted."""
    _require(actor, services)

    def work(conn: Connection) -> RequestView:
        services.requests.restrict(
            conn, actor, request_id, body.ground, body.reference, body.fields
        )
        return services.requests.get(conn, request_id)

    return _public(await run_db(services, work))


@router.get("/restrictions/grounds")
async def restriction_grounds(actor: CurrentActor, services: ServicesDep) -> list[GroundPublic]:
    """The law profile's grounds for restricting access, each with its legal source."""
    _require(actor, services)
    return [
        GroundPublic(ground=r.ground.value, legal_source=r.source, told_to_the_person=r.disclosed)
        for r in GROUNDS.get(services.requests.law_profile, ())
    ]


@router.get("/restrictions")
async def list_restrictions(
    actor: CurrentActor,
    services: ServicesDep,
    subject_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    include_lifted: bool = False,
    review: Annotated[bool, Query(description="only those migrated for review")] = False,
) -> RestrictionList:
    """Standing restrictions (``include_lifted``: lifted ones too), of one person or all."""
    _require(actor, services)
    rs = services.requests.restrictions

    def load(conn: Connection) -> list[Restriction]:
        if subject_id is not None:
            found = rs.of_subject(conn, subject_id, active_only=not include_lifted)
            return [r for r in found if r.review or not review]
        return rs.listing(conn, active_only=not include_lifted, review_only=review)

    found = await run_db(services, load)
    profile = services.requests.law_profile
    return RestrictionList(data=[_restriction(r, profile) for r in found], count=len(found))


@router.post("/restrictions", status_code=status.HTTP_201_CREATED)
async def restrict_person(
    body: PersonRestrictIn, actor: CurrentActor, services: ServicesDep
) -> RestrictionPublic:
    """Restrict a person's access directly, on a typed legal ground (policy 4.2.2)."""
    _require(actor, services)
    r = await run_db(
        services,
        lambda conn: services.requests.restrictions.set(
            conn, actor, body.subject_id, body.ground, body.reference, fields=body.fields
        ),
    )
    return _restriction(r, services.requests.law_profile)


@router.get("/restrictions/{restriction_id}")
async def get_restriction(
    restriction_id: str, actor: CurrentActor, services: ServicesDep
) -> RestrictionPublic:
    _require(actor, services)
    r = await run_db(
        services, lambda conn: services.requests.restrictions.get(conn, restriction_id)
    )
    return _restriction(r, services.requests.law_profile)


@router.post("/restrictions/{restriction_id}/lift")
async def lift_restriction(
    restriction_id: str, body: LiftIn, actor: CurrentActor, services: ServicesDep
) -> RestrictionPublic:
    """Lift a standing restriction, with the reason (by whom and when are recorded)."""
    _require(actor, services)
    r = await run_db(
        services,
        lambda conn: services.requests.restrictions.lift(conn, actor, restriction_id, body.reason),
    )
    return _restriction(r, services.requests.law_profile)


@router.post("/requests/{request_id}/answer")
async def answer(
    request_id: str, body: AnswerIn, actor: CurrentActor, services: ServicesDep
) -> dict[str, Any]:
    """Carry out the request (report, rectification, block, destruction with its act,
    consent withdrawal) and mark it answered."""
    _require(actor, services)
    payload = body.model_dump(exclude_none=True)
    return await run_db(
        services, lambda conn: services.requests.answer(conn, actor, request_id, payload)
    )


@router.post("/requests/{request_id}/refuse")
async def refuse(
    request_id: str, body: ReasonIn, actor: CurrentActor, services: ServicesDep
) -> RequestPublic:
    """A motivated refusal, with its reason recorded."""
    _require(actor, services)

    def work(conn: Connection) -> RequestView:
        services.requests.refuse(conn, actor, request_id, body.reason)
        return services.requests.get(conn, request_id)

    return _public(await run_db(services, work))


@router.post("/requests/{request_id}/extend")
async def extend(
    request_id: str, body: ExtendIn, actor: CurrentActor, services: ServicesDep
) -> ExtendedOut:
    """Extend the answer's term once, where the law profile allows it (RF 152-FZ Art. 20:
    +5 working days), with a motivated notice giving the reasons sent to the person; 409
    where it does not, it was extended already, the term ran out or nobody can be told."""
    _require(actor, services)

    def work(conn: Connection) -> ExtendedOut:
        done = services.requests.extend(conn, actor, request_id, body.reason)
        t = done.term
        return ExtendedOut(
            request=_public(services.requests.get(conn, request_id)),
            extension=t.extension or 0,
            unit=t.unit.value,
            source=t.source,
            notice_channel=done.notice_channel,
        )

    return await run_db(services, work)


@router.post("/requests/{request_id}/close")
async def close(request_id: str, actor: CurrentActor, services: ServicesDep) -> RequestPublic:
    _require(actor, services)

    def work(conn: Connection) -> RequestView:
        services.requests.close(conn, actor, request_id)
        return services.requests.get(conn, request_id)

    return _public(await run_db(services, work))


@router.get(
    "/requests/{request_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def access_report_pdf(
    request_id: str,
    actor: CurrentActor,
    services: ServicesDep,
    lang: Literal["kk", "ru", "en"] | None = None,
) -> Response:
    """The access report as a PDF, in the request's language unless ``lang`` is given."""
    _require(actor, services)

    def build(conn: Connection) -> tuple[dict[str, Any], str]:
        language = lang or services.requests.get(conn, request_id).language
        return services.requests.access_report(conn, actor, request_id), language

    report, language = await run_db(services, build)
    body = await run_in_threadpool(report_pdf, report, language, services.settings.timezone)
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="report-{request_id[:8]}.pdf"'},
    )


@router.get("/requests/{request_id}/report")
async def access_report(
    request_id: str, actor: CurrentActor, services: ServicesDep
) -> dict[str, Any]:
    """The access report (JSON), read through the gate under the subject-request purpose;
    its ``audit_trail`` carries each event's inclusion proof bundle, for the person to
    check with the log's key (``/transparency``)."""
    _require(actor, services)
    return await run_db(
        services, lambda conn: services.requests.access_report(conn, actor, request_id)
    )


@router.get("/requests/{request_id}/consents/{consent_id}/document")
async def consent_document(
    request_id: str, consent_id: str, actor: CurrentActor, services: ServicesDep
) -> dict[str, Any]:
    """The requester's consent as a document (LAW.md Art. 8 p.4): its content, full name
    (opened under the subject-request purpose, as the report is read), text and evidence."""
    _require(actor, services)
    return await run_db(
        services,
        lambda conn: services.requests.consent_document(conn, actor, request_id, consent_id),
    )


@router.get(
    "/requests/{request_id}/consents/{consent_id}/document.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def consent_document_pdf(
    request_id: str,
    consent_id: str,
    actor: CurrentActor,
    services: ServicesDep,
    lang: Literal["kk", "ru", "en"] | None = None,
) -> Response:
    """The consent's document as a PDF, in the request's language unless ``lang`` is given."""
    _require(actor, services)

    def build(conn: Connection) -> tuple[dict[str, Any], str]:
        language = lang or services.requests.get(conn, request_id).language
        return services.requests.consent_document(conn, actor, request_id, consent_id), language

    doc, language = await run_db(services, build)
    body = await run_in_threadpool(consent_pdf, doc, language, services.settings.timezone)
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="consent-{consent_id[:8]}.pdf"'},
    )
