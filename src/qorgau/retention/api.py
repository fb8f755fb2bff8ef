"""REST API v1 for retention (policy 4.1): until when a subject's values may be kept, the
destruction runs and each run's act.

The data protection officer's (and admin's) work, as data-subject requests are.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from qorgau.retention.act_pdf import act_pdf
from qorgau.retention.service import RunNotFound
from qorgau.security.access import Capability
from qorgau.security.actors import Actor
from qorgau.security.web_auth import CurrentActor, refusal
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import API_RESPONSES

router = APIRouter(tags=["requests"], responses=API_RESPONSES)


def _require(actor: Actor, services: ServicesDep) -> None:
    if not services.access.may(actor.role, Capability.HANDLE_REQUESTS):
        raise refusal(actor, "handle data-subject requests")


@router.get("/subjects/{subject_id}/retention", tags=["retention"])
async def subject_retention(
    subject_id: str, actor: CurrentActor, services: ServicesDep
) -> dict[str, Any]:
    """Until when each of the subject's values may be kept, and why (policy 4.1)."""
    _require(actor, services)
    return await run_db(services, lambda conn: services.retention.explain(conn, subject_id))


@router.get("/retention/runs", tags=["retention"])
async def retention_runs(actor: CurrentActor, services: ServicesDep) -> dict[str, Any]:
    _require(actor, services)
    runs = await run_db(services, services.retention.runs)
    return {"data": runs, "count": len(runs)}


@router.get("/retention/runs/{run_id}/act", tags=["retention"])
async def retention_act(
    run_id: str,
    actor: CurrentActor,
    services: ServicesDep,
    format: Literal["json", "pdf"] = "json",
    lang: Literal["kk", "ru", "en"] = "ru",
) -> Response:
    """A run's destruction act, as JSON or a printable PDF in kk, ru or en."""
    _require(actor, services)
    act = await run_db(services, lambda conn: services.retention.act(conn, run_id))
    if act is None:
        raise RunNotFound(run_id)
    if format == "json":
        return Response(orjson.dumps(act), media_type="application/json")
    labels = {code: dict(f.labels) for code, f in services.catalogue.fields.items()}
    body = await run_in_threadpool(act_pdf, act, lang, labels)
    return Response(body, media_type="application/pdf")
