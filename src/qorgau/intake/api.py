"""REST API v1 for possible duplicates (policy 4.1: no merging without proof).

A confirmed loan request whose IIN a live subject already had becomes a new subject,
flagged as a possible duplicate; the existing subject is never changed. The data protection
officer (and admin) lists the open flags and records a decision: ``distinct`` or
``same-person``. Only subject ids travel here, never a value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from qorgau.intake.store import DuplicateFlag
from qorgau.security.access import Capability
from qorgau.security.actors import Actor
from qorgau.security.web_auth import CurrentActor, refusal
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import API_RESPONSES

router = APIRouter(tags=["duplicates"], responses=API_RESPONSES)


def _require(actor: Actor, services: ServicesDep) -> None:
    # Deciding who is who is the data protection officer's (and admin's) work.
    if not services.gate.access.may(actor.role, Capability.RESOLVE_DUPLICATES):
        raise refusal(actor, "resolve possible duplicates")


class DuplicatePublic(BaseModel):
    subject_id: str
    of_subject_id: str = Field(description="the existing subject with the same IIN")
    found_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None


class DuplicateList(BaseModel):
    data: list[DuplicatePublic]
    count: int


class ResolveIn(BaseModel):
    of: str = Field(min_length=32, max_length=32, description="the other subject's id")
    resolution: Literal["distinct", "same-person"]
    note: str | None = Field(default=None, max_length=500, description="staff's own words")


def _public(flag: DuplicateFlag) -> DuplicatePublic:
    return DuplicatePublic(
        subject_id=flag.subject_id,
        of_subject_id=flag.of_subject_id,
        found_at=flag.found_at,
        resolved_at=flag.resolved_at,
        resolved_by=flag.resolved_by,
        resolution=flag.resolution,
    )


@router.get("/duplicates")
async def list_duplicates(actor: CurrentActor, services: ServicesDep) -> DuplicateList:
    """Open flags, oldest first."""
    _require(actor, services)
    flags = await run_db(services, lambda conn: services.intake.open_duplicates(conn, actor))
    return DuplicateList(data=[_public(f) for f in flags], count=len(flags))


@router.post("/duplicates/{subject_id}/resolve")
async def resolve_duplicate(
    subject_id: str, body: ResolveIn, actor: CurrentActor, services: ServicesDep
) -> DuplicatePublic:
    """Record the decision on one flag (audited); neither subject is changed."""
    _require(actor, services)
    flag = await run_db(
        services,
        lambda conn: services.intake.resolve_duplicate(
            conn, actor, subject_id, body.of, body.resolution, body.note
        ),
    )
    return _public(flag)
