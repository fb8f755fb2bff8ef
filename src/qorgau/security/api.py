"""REST API v1 of the security officer's work: re-verify the audit log (DESIGN 3; the
verification itself is ``qorgau.audit.verify``)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from qorgau.security.access import Capability, OperationNotPermitted
from qorgau.security.web_auth import CurrentActor
from qorgau.web.deps import ServicesDep
from qorgau.web.openapi import API_RESPONSES

router = APIRouter(responses=API_RESPONSES)


class VerifyResult(BaseModel):
    ok: bool
    events: int
    partitions: int
    checkpoints: int
    subjects: int
    first_problem: str | None


@router.post("/audit/verify", tags=["vault", "audit"])
def verify_audit(actor: CurrentActor, services: ServicesDep) -> VerifyResult:
    """Re-walk the hash chains, signed checkpoints and vault state (DESIGN 3)."""
    if not services.access.may(actor.role, Capability.VERIFY_AUDIT):
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
