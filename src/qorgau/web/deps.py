"""FastAPI dependencies: the services, a unit of work, the authenticated actor."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from qorgau.app import Services
from qorgau.security.apikeys import ApiKey, Unauthenticated, authenticate
from qorgau.vault.model import Actor

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer qg_...`")
_TTL = 30.0


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def unit_of_work(services: ServicesDep) -> Iterator[Connection]:
    with services.db.unit_of_work() as conn:
        yield conn


UnitOfWork = Annotated[Connection, Depends(unit_of_work)]

# digest -> (key, expiry). Keys are looked up at most every 30 s per process; revocation
# takes effect within that window.
_cache: dict[bytes, tuple[ApiKey, float]] = {}


def current_actor(
    services: ServicesDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
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
    key = hit[0]
    return Actor(role=key.role, id=f"key:{key.id}")


CurrentActor = Annotated[Actor, Depends(current_actor)]
