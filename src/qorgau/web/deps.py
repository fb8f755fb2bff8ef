"""FastAPI dependencies: the services, a unit of work, the authenticated actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from qorgau.errors import DomainError
from qorgau.security.actors import Actor
from qorgau.security.apikeys import ApiKey, Unauthenticated, authenticate
from qorgau.vault.model import OperationNotPermitted

if TYPE_CHECKING:
    from qorgau.container import Container

T = TypeVar("T")


async def run_db(services: Container, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one unit of work, in the thread pool on both engines: the event loop
    never waits on the database (a slow query, or SQLite's writer lock held by the worker,
    must not freeze every other request, ``/healthz`` included)."""

    def call() -> T:
        with services.db.unit_of_work() as conn:
            return work(conn)

    return await run_in_threadpool(call)


_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer qg_...`")


async def get_services(request: Request) -> Container:
    services: Container = request.app.state.services
    return services


#: The container (a forward reference: the web kit does not import the composition root).
ServicesDep = Annotated["Container", Depends(get_services)]


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
            return authenticate(conn, token)

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
