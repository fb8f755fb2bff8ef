"""FastAPI dependencies of the kit: the container and a unit of work in the thread pool.

Who is calling (an API key, a partner's key) is the security context's:
``qorgau.security.web_auth``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection

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


async def get_services(request: Request) -> Container:
    services: Container = request.app.state.services
    return services


#: The container (a forward reference: the web kit does not import the composition root).
ServicesDep = Annotated["Container", Depends(get_services)]
