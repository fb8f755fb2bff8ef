"""Who calls the API: bearer API keys, looked up on every request (revoked means refused at
once), acting under a staff role or bound to a partner's recipient (DESIGN 1); and a
route's own audited refusal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from qorgau.errors import DomainError
from qorgau.security.access import OperationNotPermitted
from qorgau.security.actors import Actor
from qorgau.security.apikeys import ApiKey, Unauthenticated
from qorgau.web.deps import ServicesDep

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer qg_...`")


class NotAPartner(DomainError):
    """The API key is not bound to a recipient: the partner API is for partners' keys."""

    code = "not-a-partner"
    kind = "forbidden"
    title = "Not a partner key"


class PartnerKey(DomainError):
    """A partner's key reaches only the partner API (its own leads), not the staff API."""

    code = "partner-key"
    kind = "forbidden"
    title = "Partner key"


async def current_key(
    services: ServicesDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:

    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthenticated("missing API key: send Authorization: Bearer <key>")
    token = creds.credentials

    def lookup() -> ApiKey:
        # One indexed lookup per request, never cached: a revoked key is refused at once,
        # in every process (issue 11).
        with services.db.engine.connect() as conn:
            return services.api_keys.authenticate(conn, token)

    return await run_in_threadpool(lookup)


#: The roles a key acts under on the staff API: people's roles only, never a system role.
STAFF_ROLES = frozenset({"admin", "dpo", "operator", "analyst"})


async def current_actor(key: Annotated[ApiKey, Depends(current_key)]) -> Actor:
    if key.recipient is not None or key.role == "partner":
        raise PartnerKey("this key is a partner's: it reaches /api/v1/partner/ only")
    if key.role not in STAFF_ROLES:
        raise Unauthenticated("this key's role acts on no API")
    return Actor(role=key.role, id=f"key:{key.id}")


async def current_partner(key: Annotated[ApiKey, Depends(current_key)]) -> str:
    """The recipient code the key is bound to; 403 for a key without one."""
    if key.recipient is None:
        raise NotAPartner("this API key is not bound to a recipient")
    return key.recipient


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentPartner = Annotated[str, Depends(current_partner)]


def refusal(actor: Actor, what: str) -> OperationNotPermitted:
    """A route's own refusal (a role that may not reach it): raise it, and the problem
    handler records it in the audit log, in the thread pool, before it answers (policy
    7.3.8: refusals are actions too)."""
    exc = OperationNotPermitted(actor.role, what)
    exc.audit_as = actor  # type: ignore[attr-defined]
    return exc
