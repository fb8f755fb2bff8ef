"""FastAPI dependencies: the services, a unit of work, the authenticated actor."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from qorgau.app import Services
from qorgau.errors import DomainError
from qorgau.security.apikeys import ApiKey, Unauthenticated, authenticate
from qorgau.vault.model import Actor

T = TypeVar("T")


async def run_db(services: Services, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one unit of work. On SQLite (one writer, microseconds per statement)
    it runs inline: a thread-pool hop would cost more than the work. On PostgreSQL it runs
    in the thread pool so the event loop never waits on the network."""

    def call() -> T:
        with services.db.unit_of_work() as conn:
            return work(conn)

    if services.db.dialect == "sqlite":
        return call()
    return await run_in_threadpool(call)


_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer qg_...`")
_TTL = 30.0


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


# digest -> (key, expiry). Keys are looked up at most every 30 s per process; revocation
# takes effect within that window. The dependencies are async so FastAPI does not send each
# one to its thread pool; a cache miss is one indexed lookup.
_cache: dict[bytes, tuple[ApiKey, float]] = {}


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
    d = hashlib.sha256(token.encode()).digest()
    now = time.monotonic()
    hit = _cache.get(d)
    if hit is None or hit[1] < now:
        with services.db.engine.connect() as conn:
            key = authenticate(conn, token)
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[d] = hit = (key, now + _TTL)
    return hit[0]


async def current_actor(key: Annotated[ApiKey, Depends(current_key)]) -> Actor:
    if key.recipient is not None:
        raise PartnerKey("this key is a partner's: it reaches /api/v1/partner/ only")
    return Actor(role=key.role, id=f"key:{key.id}")


async def current_partner(key: Annotated[ApiKey, Depends(current_key)]) -> str:
    """The recipient code the key is bound to; 403 for a key without one."""
    if key.recipient is None:
        raise NotAPartner("this API key is not bound to a recipient")
    return key.recipient


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentPartner = Annotated[str, Depends(current_partner)]
