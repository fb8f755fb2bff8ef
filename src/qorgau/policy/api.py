"""REST API v1 for the published policy (policy 8.2): publish a version, list and read them.

The routes keep the tags they had beside the consent ledger (``consent``, ``policy``), so the
OpenAPI document is unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from qorgau.policy.service import PolicyVersion
from qorgau.security.access import Capability
from qorgau.security.web_auth import CurrentActor, refusal
from qorgau.web.deps import ServicesDep, run_db
from qorgau.web.openapi import API_RESPONSES

router = APIRouter(responses=API_RESPONSES)

Language = Literal["kk", "ru", "en"]


class PublishIn(BaseModel):
    texts: dict[Language, Annotated[str, Field(min_length=1, max_length=500_000)]] = Field(
        default_factory=dict,
        description="the operator's own text per language; others are rendered from the "
        "live configuration",
    )
    note: str | None = Field(default=None, max_length=200)


class PolicyTextPublic(BaseModel):
    language: str
    hash: str
    source: str
    body: str


class PolicyVersionPublic(BaseModel):
    id: str
    published_at: datetime
    texts: dict[str, PolicyTextPublic]


class PolicyVersionRef(BaseModel):
    id: str
    published_at: datetime


class PolicyVersionList(BaseModel):
    data: list[PolicyVersionRef]
    count: int


@router.post("/policy/versions", status_code=status.HTTP_201_CREATED, tags=["consent", "policy"])
async def publish_policy(
    body: PublishIn, actor: CurrentActor, services: ServicesDep
) -> PolicyVersionPublic:
    """Publish a new policy version (policy 8.2); earlier versions stay available."""
    if not services.access.may(actor.role, Capability.PUBLISH_POLICY):
        raise refusal(actor, "publish the policy")
    v = await run_db(
        services,
        lambda conn: services.policy.publish(
            conn, actor, {str(k): v for k, v in body.texts.items()}, body.note
        ),
    )
    return _version(v)


@router.get("/policy/versions", tags=["consent", "policy"])
async def list_policy_versions(services: ServicesDep) -> PolicyVersionList:
    """Every published version (public, as the policy itself)."""
    with services.db.engine.connect() as conn:
        versions = services.policy.versions(conn)
    return PolicyVersionList(
        data=[PolicyVersionRef(id=v, published_at=at) for v, at in versions], count=len(versions)
    )


@router.get("/policy/versions/{version_id}", tags=["consent", "policy"])
async def get_policy_version(version_id: str, services: ServicesDep) -> PolicyVersionPublic:
    with services.db.engine.connect() as conn:
        return _version(services.policy.get(conn, version_id))


def _version(v: PolicyVersion) -> PolicyVersionPublic:
    return PolicyVersionPublic(
        id=v.id,
        published_at=v.published_at,
        texts={
            lang: PolicyTextPublic(language=lang, hash=t.hash, source=t.source, body=t.body)
            for lang, t in v.texts.items()
        },
    )
