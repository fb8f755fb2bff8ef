"""REST API v1: thin routes; each parses, calls one service, shapes the answer.

Personal values travel only in request and response bodies, never in URLs (DESIGN 5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, Field

from qorgau.security.access import Operation
from qorgau.vault.model import OperationNotPermitted, ReadResult
from qorgau.web.deps import CurrentActor, ServicesDep, run_db


class Problem(BaseModel):
    """RFC 9457 problem details; ``type`` is a stable ``/problems/<code>`` URI."""

    type: str = Field(examples=["/problems/purpose-required"])
    title: str
    status: int
    detail: str
    field: str | None = None
    reason: str | None = None


def _problem(description: str) -> dict[str, object]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


def with_problem_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Register the Problem schema the error responses refer to, and the answers every
    operation may give whatever it is (docs/api-statuses.md): 400 for a body that is not
    JSON, 413 for one over the limit (before anything parses it)."""
    for ops in openapi.get("paths", {}).values():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            responses.setdefault("400", _problem("The request body is not valid JSON"))
            responses.setdefault("413", _problem("The request body is over the size limit"))
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return openapi


router = APIRouter(
    tags=["vault"],
    responses={
        401: _problem("Missing, unknown or revoked API key"),
        403: _problem("Refused by the gate (purpose, role, field or operation)"),
        404: _problem("Unknown subject"),
        409: _problem("Subject blocked or destroyed, or a transition not allowed"),
        422: _problem("Invalid value, special category, unknown code or malformed body"),
    },
)

Purpose = Annotated[str, Field(min_length=1, max_length=40, examples=["contract"])]
FieldCode = Annotated[str, Field(min_length=1, max_length=40)]
SearchKind = Literal["phone", "iin", "email", "id_document_number"]


class SubjectCreate(BaseModel):
    category: str = Field(examples=["potential_borrower"])
    purpose: Purpose
    source: str = Field(default="api", max_length=40)
    values: dict[FieldCode, Annotated[str, Field(max_length=2000)]]


class SubjectCreated(BaseModel):
    id: str


class ReadRequest(BaseModel):
    purpose: Purpose | None = None
    fields: list[FieldCode] | None = None


class SearchRequest(ReadRequest):
    kind: SearchKind
    value: str = Field(max_length=320)


class ValueMetaPublic(BaseModel):
    purpose: str
    source: str
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
    source: str = Field(default="api", max_length=40)
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


class VerifyResult(BaseModel):
    ok: bool
    events: int
    partitions: int
    checkpoints: int
    subjects: int
    first_problem: str | None


def _public(r: ReadResult) -> SubjectPublic:
    return SubjectPublic(
        id=r.subject_id,
        category=r.category,
        status=r.status,
        values=r.values,
        masked=r.masked,
        meta={
            f: ValueMetaPublic(
                purpose=m.purpose, source=m.source, collected_at=m.collected_at, version=m.version
            )
            for f, m in r.meta.items()
        },
    )


@router.post("/subjects", status_code=status.HTTP_201_CREATED)
async def create_subject(
    body: SubjectCreate, actor: CurrentActor, services: ServicesDep
) -> SubjectCreated:
    """Collect a subject's values under one purpose (policy 2.1, 3.2, 5.1)."""
    item = services.gate.prepare(body.category, body.purpose, body.values, body.source)
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
    fields = await run_db(
        services,
        lambda conn: services.gate.clarify(
            conn, actor, subject_id, body.purpose, body.values, body.source
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


@router.post("/audit/verify", tags=["audit"])
def verify_audit(actor: CurrentActor, services: ServicesDep) -> VerifyResult:
    """Re-walk the hash chains, signed checkpoints and vault state (DESIGN 3)."""
    if not services.access.may(actor.role, Operation.AUDIT):
        raise OperationNotPermitted(actor.role, "verify the audit log")
    report = services.verify_audit()
    return VerifyResult(
        ok=report.ok,
        events=report.events,
        partitions=report.partitions,
        checkpoints=report.checkpoints,
        subjects=report.subjects,
        first_problem=str(report.first) if report.first else None,
    )
