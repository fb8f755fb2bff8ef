"""Composition root, web half: the app from the services.

``create_app`` puts every context's REST router (under ``/api/v1``), the site's pages and the
staff console's pages together, in the order they match (an earlier route wins).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from qorgau.audit import pages as audit_pages
from qorgau.container import Container
from qorgau.dsr import console as dsr_console
from qorgau.dsr import pages as dsr_pages
from qorgau.intake import pages as intake_pages
from qorgau.policy import pages as policy_pages
from qorgau.security import console as security_console
from qorgau.stats import console as stats_console
from qorgau.tracking import pages as tracking_pages
from qorgau.transfers import console as transfers_console

#: The contexts' template folders (the kit's shared base templates come first).
TEMPLATES = (
    intake_pages.TEMPLATES,
    policy_pages.TEMPLATES,
    tracking_pages.TEMPLATES,
    dsr_pages.TEMPLATES,
    audit_pages.TEMPLATES,
    security_console.TEMPLATES,
    stats_console.TEMPLATES,
    transfers_console.TEMPLATES,
)


async def _checkpoints(services: Container) -> None:
    """Sign the partition heads at intervals while serving (DESIGN invariant 3)."""
    while True:
        await asyncio.sleep(services.settings.checkpoint_interval)
        await run_in_threadpool(services.checkpoint, if_moved=True)


def create_app(services: Container) -> FastAPI:
    from qorgau.consent.api import router as consent_router
    from qorgau.dsr.api import router as requests_router
    from qorgau.intake.api import router as duplicates_router
    from qorgau.partners.api import router as partner_router
    from qorgau.policy.api import router as policy_router
    from qorgau.retention.api import router as retention_router
    from qorgau.security.api import router as audit_router
    from qorgau.stats.api import router as stats_router
    from qorgau.transfers.api import router as transfers_router
    from qorgau.vault.api import router as vault_router
    from qorgau.vault.pages import router as status_router
    from qorgau.web.bodylimit import BodyLimitMiddleware
    from qorgau.web.docs import install_docs
    from qorgau.web.nostore import NoStoreMiddleware
    from qorgau.web.openapi import with_problem_schema
    from qorgau.web.pages import install_site
    from qorgau.web.problems import install_problem_handlers
    from qorgau.web.site import router as site_router

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_checkpoints(services))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await run_in_threadpool(services.checkpoint, if_moved=True)

    app = FastAPI(
        lifespan=lifespan,
        title="qorgau",
        version="0.1.0",
        description="Personal-data processing management: the operator's policy, enforced.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by web/docs.py from the installed Swagger UI
        redoc_url=None,
    )
    app.state.services = services

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_problem_schema(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    install_problem_handlers(app)
    # The API, in the order of the routers it was split from (vault, consent, requests, ...).
    for router in (
        vault_router,
        audit_router,
        consent_router,
        policy_router,
        requests_router,
        retention_router,
        stats_router,
        transfers_router,
        partner_router,
        duplicates_router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(status_router)
    app.include_router(site_router)
    install_docs(app)
    # The public site: the loan pages, the policy, the cookie settings, the rights page,
    # the audit log's transparency page.
    install_site(
        app,
        services,
        templates=TEMPLATES,
        choice_of=tracking_pages.current_choice,
        record_view=tracking_pages.record_page_view,
    )
    for router in (
        intake_pages.router,
        policy_pages.router,
        tracking_pages.router,
        audit_pages.router,
    ):
        app.include_router(router)
    dsr_pages.install_rights(app, services)
    # The staff console: sign-in first, then the request queue, statistics, transfers.
    security_console.install_login(app, services)
    for router in (dsr_console.router, stats_console.router, transfers_console.router):
        app.include_router(router)
    app.add_middleware(NoStoreMiddleware)
    # Outermost: nothing reads more of a body than the limit (issue 11).
    app.add_middleware(BodyLimitMiddleware, limit=services.settings.max_body_bytes)
    return app
