"""REST API v1 for the vault's subjects: thin routes; each parses, calls one service, shapes
the answer.

Personal values travel only in request and response bodies, never in URLs (DESIGN 5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, Field

from qorgau.security.actors import Actor
from qorgau.security.web_auth import CurrentActor
from qorgau.vault import sources
from qorgau.vault.model import ReadResult
from qorgau.vault.sources import SOURCE_MAX
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import API_RESPONSES

router = APIRouter(tags=["vault"], responses=API_RESPONSES)

Purpose = Annotated[str, Field(min_length=1, max_length=40, examples=["contract"])]
FieldCode = Annotated[str, Field(min_length=1, max_length=40)]
SearchKind = Literal["phone", "iin", "email", "id_document_number"]


class SourceIn(BaseModel):
    """Where the values came from (policy 4.2.2): the person, a public source with its
    reference, a partner by its recipient code, staff by id or role, an import job."""

    kind: Literal["subject", "public_source", "partner", "staff", "import"]
    reference: str | None = Field(default=None, max_length=120, examples=["egov.kz/register"])


#: A typed source, as an object or its canonical string (``public_source:<reference>``);
#: omitted, the calling key or staff member (``staff:<id>``).
SourceField = Annotated[
    SourceIn | Annotated[str, Field(max_length=SOURCE_MAX)] | None,
    Field(default=None, examples=[{"kind": "public_source", "reference": "stat.gov.kz"}]),
]


def _source(given: SourceIn | str | None, actor: Actor) -> str:
    if given is None:
        return sources.staff(actor.id)
    if isinstance(given, SourceIn):
        return sources.typed(given.kind, given.reference)
    return sources.require(given)


class SubjectCreate(BaseModel):
    category: str = Field(examples=["potential_borrower"])
    purpose: Purpose
    source: SourceField = None
    values: dict[FieldCode, Annotated[str, Field(max_length=2000)]]


class SubjectCreated(BaseModel):
    id: str


class ReadRequest(BaseModel):
    purpose: Purpose | None = None
    fields: list[FieldCode] | None = None


class SearchRequest(ReadRequest):
    kind: SearchKind
    value: str = Field(max_length=320)


class SourcePublic(BaseModel):
    kind: str = Field(
        description="subject, public_source, partner, staff, import; "
        "unspecified for a legacy label that names none"
    )
    reference: str | None
    legacy: bool = Field(description="a free label written before sources were typed")


class ValueMetaPublic(BaseModel):
    purpose: str
    source: str = Field(description="as stored: <kind> or <kind>:<reference>, or a legacy label")
    source_type: SourcePublic
    collected_at: datetime
    version: int


class SubjectPublic(BaseModel):
    id: str
    category: str
    status: str
    values: dict[str, str]
    masked: list[str]
    meta: dict[str, ValueMetaPublic]


class SubjectList(BaseModel):
    data: list[SubjectPublic]
    count: int


class ClarifyRequest(BaseModel):
    purpose: Purpose
    source: SourceField = None
    values: dict[FieldCode, Annotated[str, Field(max_length=2000)]]


class Clarified(BaseModel):
    fields: list[str]


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class Ground(BaseModel):
    ground: str = Field(min_length=1, max_length=200, examples=["subject request"])


class StatusChanged(BaseModel):
    id: str
    status: str


class Destroyed(BaseModel):
    id: str
    status: str
    fields: list[str]


def _typed(stored: str) -> SourcePublic:
    src = sources.parse(stored)
    return SourcePublic(kind=src.kind.value, reference=src.reference, legacy=src.legacy is not None)


def _public(r: ReadResult) -> SubjectPublic:
    return SubjectPublic(
        id=r.subject_id,
        category=r.category,
        status=r.status,
        values=r.values,
        masked=r.masked,
        meta={
            f: ValueMetaPublic(
                purpose=m.purpose,
                source=m.source,
                source_type=_typed(m.source),
                collected_at=m.collected_at,
                version=m.version,
            )
            for f, m in r.meta.items()
        },
    )


@router.post("/subjects", status_code=status.HTTP_201_CREATED)
async def create_subject(
    body: SubjectCreate, actor: CurrentActor, services: ServicesDep
) -> SubjectCreated:
    """Collect a subject's values under one purpose (policy 2.1, 3.2, 5.1)."""
    source = _source(body.source, actor)
    item = services.gate.prepare(body.category, body.purpose, body.values, source)
    sid = await run_db(services, lambda conn: services.gate.collect(conn, actor, item))
    return SubjectCreated(id=sid)


@router.post("/subjects/search")
async def search_subjects(
    body: SearchRequest, actor: CurrentActor, services: ServicesDep
) -> SubjectList:
    """Exact match by phone, IIN, e-mail or document number, through blind indexes."""
    found = await run_db(
        services,
        lambda conn: services.gate.search(
            conn, actor, body.kind, body.value, body.purpose, body.fields
        ),
    )
    return SubjectList(data=[_public(r) for r in found], count=len(found))


@router.post("/subjects/{subject_id}/read")
async def read_subject(
    subject_id: str,
    actor: CurrentActor,
    services: ServicesDep,
    body: Annotated[ReadRequest, Body()],
) -> SubjectPublic:
    """Read through the gate under a purpose; masked fields come masked."""
    found = await run_db(
        services,
        lambda conn: services.gate.read(conn, actor, subject_id, body.purpose, body.fields),
    )
    return _public(found)


@router.post("/subjects/{subject_id}/clarify")
async def clarify_subject(
    subject_id: str,
    body: ClarifyRequest,
    actor: CurrentActor,
    services: ServicesDep,
) -> Clarified:
    """Clarify (update) values; earlier versions stay encrypted in history (policy 7.3.7)."""
    source = _source(body.source, actor)
    fields = await run_db(
        services,
        lambda conn: services.gate.clarify(
            conn, actor, subject_id, body.purpose, body.values, source
        ),
    )
    return Clarified(fields=fields)


@router.post("/subjects/{subject_id}/block")
async def block_subject(
    subject_id: str, body: Reason, actor: CurrentActor, services: ServicesDep
) -> StatusChanged:
    await run_db(services, lambda conn: services.gate.block(conn, actor, subject_id, body.reason))
    return StatusChanged(id=subject_id, status="blocked")


@router.post("/subjects/{subject_id}/unblock")
async def unblock_subject(
    subject_id: str, body: Reason, actor: CurrentActor, services: ServicesDep
) -> StatusChanged:
    await run_db(services, lambda conn: services.gate.unblock(conn, actor, subject_id, body.reason))
    return StatusChanged(id=subject_id, status="active")


@router.post("/subjects/{subject_id}/destroy")
async def destroy_subject(
    subject_id: str, body: Ground, actor: CurrentActor, services: ServicesDep
) -> Destroyed:
    """Crypto-shred the subject; a tombstone stays (DESIGN 4, 9)."""
    fields = await run_db(
        services, lambda conn: services.gate.destroy(conn, actor, subject_id, body.ground)
    )
    return Destroyed(id=subject_id, status="destroyed", fields=fields)
