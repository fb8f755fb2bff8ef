"""Composition root: build the services from settings, and the web app from the services.

Nothing is built at import time; ``build_services`` is the one place that wires concrete
infrastructure (database, key provider, signer) into the domain.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from qorgau.audit.log import AuditLog
from qorgau.audit.verify import VerifyReport, verify
from qorgau.catalog import Catalogue
from qorgau.config import Settings
from qorgau.consent.ledger import Ledger
from qorgau.crypto.blind import BlindIndexer
from qorgau.crypto.keyring import LocalKeyring
from qorgau.crypto.signer import Signer
from qorgau.db import Database
from qorgau.dsr.service import RequestService
from qorgau.intake.limits import CodeLimits
from qorgau.intake.model import ConsentTerms
from qorgau.intake.otp import DevSender, OtpSender, SmtpSender, derive_key
from qorgau.intake.service import IntakeService, with_site_role
from qorgau.law.calendar import calendar_for, parse_overrides
from qorgau.law.profiles import profile
from qorgau.policy.render import PolicyContext, Recipient, default_deadlines, render_markdown
from qorgau.policy.service import PolicyService
from qorgau.retention.service import RetentionService
from qorgau.security.access import AccessPolicy
from qorgau.security.staff import StaffService
from qorgau.stats.service import StatsService
from qorgau.tracking.service import TrackingService
from qorgau.transfers.notices import DevNotifier, Notifier
from qorgau.transfers.service import TransferService
from qorgau.vault.gate import Gate
from qorgau.vault.state import all_digests


@dataclass
class Services:
    settings: Settings
    db: Database
    catalogue: Catalogue
    access: AccessPolicy
    keys: LocalKeyring
    signer: Signer
    audit: AuditLog
    gate: Gate
    ledger: Ledger
    policy: PolicyService
    intake: IntakeService
    tracking: TrackingService
    otp_sender: OtpSender
    requests: RequestService
    retention: RetentionService
    stats: StatsService
    #: Console staff: users (argon2id) and sessions.
    staff: StaffService
    #: Recipient registry, transfers, the delivery outbox and partner callbacks.
    transfers: TransferService
    #: Tells people of transfers of their data (development outbox by default).
    notifier: Notifier
    #: Base of the public site's keys (CSRF, rate limits, one-time codes, visit IP hashes).
    site_secret: bytes = field(repr=False)

    def verify_audit(self) -> VerifyReport:
        with self.db.engine.connect() as conn:
            return verify(conn, self.signer.public_raw, all_digests)

    def checkpoint(self, *, if_moved: bool = False) -> int | None:
        """Sign the heads now; with ``if_moved``, only when events came since the last one."""
        with self.db.unit_of_work() as conn:
            if if_moved and AuditLog.heads_signed(conn):
                return None
            return self.audit.checkpoint(conn, self.signer)

    def close(self) -> None:
        self.db.dispose()


def build_services(settings: Settings, *, chained: bool = True, pool_size: int = 5) -> Services:
    db = Database(settings.resolved_database_url, pool_size=pool_size)
    catalogue = Catalogue.default().with_retention(settings.retention_days)
    access = with_site_role(AccessPolicy.default(catalogue), catalogue)
    keys = LocalKeyring(settings.keyring_path)
    signer = Signer.load(settings.signing_key_path)
    with db.engine.connect() as conn:
        partitions = AuditLog.partition_count(conn) or settings.audit_partitions
    audit = AuditLog(partitions, chained=chained)
    gate = Gate(
        keys=keys,
        indexer=BlindIndexer(keys.index_key()),
        catalogue=catalogue,
        access=access,
        audit=audit,
    )
    law = profile(settings.law_profile)
    policy = PolicyService(
        lambda lang: render_markdown(policy_context(settings, catalogue), lang), audit
    )
    ledger = Ledger(
        catalogue=catalogue,
        operator=settings.operator,
        law=law,
        audit=audit,
        sealer=gate.seal_extra,
        policy_version=policy.current_hash,
    )
    gate.basis = ledger
    site_secret = (
        settings.site_secret.get_secret_value().encode()
        if settings.site_secret
        else derive_key(keys.index_key(), "site-secret")
    )
    sender = otp_sender(settings)
    # Codes sent per contact, counted in the database (form and rights page together).
    code_limits = CodeLimits(settings.otp_per_contact_15min, settings.otp_per_contact_day)
    intake = IntakeService(
        gate=gate,
        ledger=ledger,
        catalogue=catalogue,
        audit=audit,
        terms=ConsentTerms(
            operator_name=settings.operator.name,
            operator_bin=settings.operator.bin,
            partners=tuple(p.name for p in settings.partners),
            transfer_days=max(p.retention_days for p in catalogue.purposes.values()),
            notice_working_days=(
                law.transfer_notice_working_days if settings.transfer_notices else None
            ),
        ),
        partner_codes=tuple(p.code for p in settings.partners),
        code_key=derive_key(site_secret, "otp"),
        sender=sender,
        code_limits=code_limits,
    )
    tracking = TrackingService(derive_key(site_secret, "visit-ip"), settings.cookie_retention_days)
    requests = RequestService(
        gate=gate,
        ledger=ledger,
        catalogue=catalogue,
        audit=audit,
        law_profile=settings.law_profile,
        overrides=parse_overrides(settings.calendar_days_off, settings.calendar_working_days),
        secret=derive_key(site_secret, "dsr"),
        code_limits=code_limits,
    )
    staff = StaffService(audit=audit, secret=derive_key(site_secret, "staff-session"))
    stats = StatsService(audit, k=settings.stats_k)
    retention = RetentionService(gate=gate, catalogue=catalogue, facts=stats)
    transfers = TransferService(
        gate=gate,
        ledger=ledger,
        catalogue=catalogue,
        access=access,
        audit=audit,
        calendar=calendar_for(
            settings.law_profile,
            parse_overrides(settings.calendar_days_off, settings.calendar_working_days),
        ),
        home_country=settings.operator.storage_location,
        keys=keys,
        notice_working_days=law.transfer_notice_working_days,
        notices=settings.transfer_notices,
        allow_loopback_webhooks=settings.dev_loopback_webhooks,
    )
    # The gate's last step for every disclosure to a recipient (DESIGN 1).
    gate.transfer_rule = transfers
    ledger.access = access
    intake.router = transfers.route_lead
    requests.transfer_log = transfers.log
    return Services(
        settings, db, catalogue, access, keys, signer, audit, gate, ledger, policy,
        intake=intake, tracking=tracking, otp_sender=sender, requests=requests,
        retention=retention,
        stats=stats,
        staff=staff, transfers=transfers, notifier=DevNotifier(settings.outbox_path),
        site_secret=site_secret,
    )  # fmt: skip


def otp_sender(settings: Settings) -> OtpSender:
    """The one-time-code sender the settings name (development outbox by default)."""
    if settings.otp_sender == "smtp":
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            username=settings.smtp_username,
            password=password,
            starttls=settings.smtp_starttls,
        )
    return DevSender(settings.outbox_path)


def policy_context(settings: Settings, catalogue: Catalogue) -> PolicyContext:
    """What the published policy is rendered from: the live configuration."""
    op = settings.operator
    return PolicyContext(
        operator_name=op.name,
        operator_bin=op.bin,
        operator_address=op.address,
        operator_site=op.site,
        storage_location=op.storage_location,
        responsible_person=op.responsible_person,
        law_profile=settings.law_profile,
        catalogue=catalogue,
        # Until the recipient registry exists, the site's partner list is what data may be
        # passed to (with the subject's transfer consent): MFOs in the operator's country.
        recipients=tuple(
            Recipient(p.name, None, "third_party", op.storage_location, ("contract",))
            for p in settings.partners
        ),
        deadlines=default_deadlines(settings.law_profile),
        cookie_retention_days=settings.cookie_retention_days,
        otp_channels=("phone", "email"),
    )


async def _checkpoints(services: Services) -> None:
    """Sign the partition heads at intervals while serving (DESIGN invariant 3)."""
    while True:
        await asyncio.sleep(services.settings.checkpoint_interval)
        await run_in_threadpool(services.checkpoint, if_moved=True)


def create_app(services: Services) -> FastAPI:
    from qorgau.web.api import router, with_problem_schema
    from qorgau.web.bodylimit import BodyLimitMiddleware
    from qorgau.web.consent_api import router as consent_router
    from qorgau.web.console import install_console
    from qorgau.web.docs import install_docs
    from qorgau.web.duplicates_api import router as duplicates_router
    from qorgau.web.nostore import NoStoreMiddleware
    from qorgau.web.partner_api import router as partner_router
    from qorgau.web.problems import install_problem_handlers
    from qorgau.web.public import install_site
    from qorgau.web.requests_api import router as requests_router
    from qorgau.web.rights import install_rights
    from qorgau.web.site import router as site_router
    from qorgau.web.stats_api import router as stats_router
    from qorgau.web.transfers_api import router as transfers_router

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
    app.include_router(router, prefix="/api/v1")
    app.include_router(consent_router, prefix="/api/v1")
    app.include_router(requests_router, prefix="/api/v1")
    app.include_router(stats_router, prefix="/api/v1")
    app.include_router(transfers_router, prefix="/api/v1")
    app.include_router(partner_router, prefix="/api/v1")
    app.include_router(duplicates_router, prefix="/api/v1")
    app.include_router(site_router)
    install_docs(app)
    install_site(app, services)
    install_rights(app, services)
    install_console(app, services)
    app.add_middleware(NoStoreMiddleware)
    # Outermost: nothing reads more of a body than the limit (issue 11).
    app.add_middleware(BodyLimitMiddleware, limit=services.settings.max_body_bytes)
    return app
