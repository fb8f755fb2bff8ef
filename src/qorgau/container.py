"""The container: every service built from the settings, by constructor injection.

Nothing is built at import time; :func:`build_container` is the one place that wires
concrete infrastructure (database, key provider, signer) into the domain. Where two
services need each other, one asks the other through a port (the gate asks the consent
ledger for bases and the transfer rule for step 7; the ledger seals evidence in the
vault's sealed boxes, which need no decision), so each is built once, complete, in the
order below. The web app (``qorgau.server``), the worker and the CLI take the container.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from qorgau.audit.anchor import AnchorFile, HeadMarks
from qorgau.audit.log import AuditLog
from qorgau.audit.mac import MacKey
from qorgau.audit.model import Event
from qorgau.audit.note import Verifier
from qorgau.audit.proofs import prove_subject
from qorgau.audit.rows import RowSpec
from qorgau.audit.verify import Problem, Revocations, VerifyReport, verify
from qorgau.audit.witnessing import (
    WitnessConflict,
    WitnessDown,
    Witnessing,
    WitnessRefusal,
    WitnessStatus,
)
from qorgau.catalog import Catalogue
from qorgau.config import Settings
from qorgau.consent.ledger import Ledger
from qorgau.consent.store import BASIS_STATE_ROWS, CONSENT_ROWS
from qorgau.crypto.blind import BlindIndexer
from qorgau.crypto.derive import derive_key
from qorgau.crypto.keyring import LocalKeyring
from qorgau.crypto.signer import Signer, parse_public_key
from qorgau.db import Database
from qorgau.dsr.service import RequestService
from qorgau.intake.limits import CodeLimits
from qorgau.intake.model import ConsentTerms
from qorgau.intake.otp import DevSender, OtpSender, SmtpSender
from qorgau.intake.service import IntakeService, with_site_role
from qorgau.law.calendar import WorkingCalendar, calendar_for, operator_overrides
from qorgau.law.profiles import profile
from qorgau.partners.inbox import PartnerInbox
from qorgau.policy.render import PolicyContext, Recipient, default_deadlines, render_markdown
from qorgau.policy.service import PolicyService
from qorgau.retention.service import RetentionService
from qorgau.security.access import AccessPolicy
from qorgau.security.actors import Actor
from qorgau.security.apikeys import ApiKeys
from qorgau.security.staff import StaffService
from qorgau.security.store import API_KEY_ROWS, STAFF_USER_ROWS
from qorgau.stats.service import StatsService
from qorgau.tracking.service import TrackingService
from qorgau.transfers.notices import DevNotifier, NoticeLog, Notifier
from qorgau.transfers.queue import DeliveryQueue
from qorgau.transfers.registry import Registry
from qorgau.transfers.rule import TransferRule
from qorgau.transfers.service import Transfers
from qorgau.transfers.state_bodies import StateBodies
from qorgau.transfers.store import OUTBOX_ROWS, PARTNER_SECRET_ROWS, RECIPIENT_ROWS
from qorgau.vault.boxes import Boxes
from qorgau.vault.gate import Gate
from qorgau.vault.state import all_digests
from qorgau.vault.store.subjects import keyed_among
from qorgau.vault.subjects import SubjectKeys


@dataclass
class Container:
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
    #: The recipient registry and the partners' webhook secrets.
    registry: Registry
    #: The transfer rule at the moment of each disclosure (the gate's step 7).
    transfer_rule: TransferRule
    #: Disclosures to recipients, lead routing, the transfer log.
    transfers: Transfers
    #: State bodies' requests and the disclosures under them.
    state_bodies: StateBodies
    #: The delivery outbox as staff see it.
    queue: DeliveryQueue
    #: What a partner's own key reaches: its leads, acknowledgements and outcomes.
    inbox: PartnerInbox
    #: Transfer notices due and sent.
    notices: NoticeLog
    #: Tells people of transfers of their data (development outbox by default).
    notifier: Notifier
    #: API keys, their digests keyed with a key derived from the site secret (issue 13).
    api_keys: ApiKeys = field(repr=False)
    #: Base of the public site's keys (CSRF, rate limits, one-time codes, visit IP hashes).
    site_secret: bytes = field(repr=False)
    #: The witness the checkpoints are sent to (none configured: degraded, and said so).
    witnessing: Witnessing = field(repr=False)
    #: The law profile's working calendar with the operator's overrides and decree files.
    calendar: WorkingCalendar = field(repr=False)

    def verify_audit(self) -> VerifyReport:
        """The log re-walked with the pinned public key (the signing key's own public half
        only where none is pinned: an installation from before the pin), the MAC key for
        the events after the newest checkpoint, the anchor and heads files."""
        public = pinned_public_key(self.settings) or self.signer.public_raw
        revoked = self.keys.revoked_ids()
        witness = self.witnessing.probe()
        report = verify_with(
            self.db,
            public,
            lambda conn: keyed_among(conn, sorted(revoked)),
            anchored=AnchorFile(self.settings.anchor_path).last(),
            mac=self.audit.mac,
            marks=HeadMarks(self.settings.heads_path).newest(),
            witnesses=witness_verifiers(self.settings),
        )
        if witness.rollback:
            report.problems.insert(0, Problem(witness.rollback))
        elif witness.configured and witness.warning():
            report.warnings.append(str(witness.warning()))
        return report

    def checkpoint(self, *, if_moved: bool = False) -> int | None:
        """Sign the heads now; with ``if_moved``, only when events came since the last one.
        Once committed, its signature is appended to the anchor file (outside the database)
        and the heads file is synced."""
        anchor = AnchorFile(self.settings.anchor_path)
        with self.db.unit_of_work() as conn:
            if if_moved and AuditLog.heads_signed(conn):
                signed = None
            else:
                signed = self.audit.checkpoint(conn, self.signer, anchored=anchor.last())
        if signed is None:
            if self.witnessing.pending:
                self.witnessing.submit()  # catch up what an unreachable witness missed
            return None
        anchor.append(signed.signature)
        if self.audit.marks is not None:
            self.audit.marks.sync()
        self.witnessing.submit()
        return signed.id

    def calendar_notice(self) -> tuple[str, dict[str, object]] | None:
        """The console's warning while this year or the next has no decree data (issue 14)."""
        today = self.calendar.local(datetime.now(UTC)).date()
        missing = self.calendar.missing_decree_years(today)
        if not missing:
            return None
        years = ", ".join(str(y) for y in missing)
        return "console.calendar_warning.missing", {"years": years}

    def witness_status(self) -> WitnessStatus:
        """The witness as this process last saw it (the console, /healthz)."""
        return self.witnessing.status

    def record_refusal(self, actor: Actor, code: str, what: str) -> None:
        """Audit a route's own refusal (a role that may not reach it), in its own unit of
        work (policy 7.3.8: refusals are actions too)."""
        with self.db.unit_of_work() as conn:
            self.audit.append(
                conn,
                Event(
                    "refuse",
                    actor.id,
                    detail={"role": actor.role, "op": "api", "code": code, "what": what},
                ),
            )

    def audit_public_key(self) -> bytes:
        """The log's public key: the pinned one, else the signing key's own public half."""
        return pinned_public_key(self.settings) or self.signer.public_raw

    def close(self) -> None:
        self.db.dispose()


def pinned_public_key(settings: Settings) -> bytes | None:
    """The audit public key pinned in configuration, else the copy ``init`` wrote."""
    if settings.audit_public_key:
        return parse_public_key(settings.audit_public_key)
    if settings.public_key_path.exists():
        return parse_public_key(settings.public_key_path.read_text(encoding="ascii"))
    return None


#: The security tables ``audit verify`` reconciles with their audited changes (issue 13).
SECURITY_ROWS: tuple[RowSpec, ...] = (
    API_KEY_ROWS,
    STAFF_USER_ROWS,
    RECIPIENT_ROWS,
    PARTNER_SECRET_ROWS,
    CONSENT_ROWS,
    BASIS_STATE_ROWS,
    OUTBOX_ROWS,
)


def verify_with(
    db: Database,
    public: bytes,
    revocations: Revocations | None = None,
    *,
    anchored: bytes | None = None,
    mac: MacKey | None = None,
    marks: dict[int, tuple[int, bytes]] | None = None,
    witnesses: list[Verifier] | None = None,
) -> VerifyReport:
    """``audit verify`` with the public key alone (and, where they are at hand, the key
    provider's revocation file, the anchor and heads files, the MAC key): no key that can
    sign or decrypt."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # One snapshot for heads, events, vault and security rows, while writers append.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return verify(
            conn, public, all_digests, revocations, anchored=anchored, mac=mac, marks=marks,
            witnesses=witnesses or (), rows=SECURITY_ROWS,
        )  # fmt: skip


def witness_verifiers(settings: Settings) -> list[Verifier]:
    """The configured witness's cosignature key (none when no witness is configured)."""
    return [Verifier.from_vkey(settings.witness_vkey)] if settings.witness_vkey else []


class _Cosigner:
    """The witness client behind the audit log's port (qorgau.audit.witnessing.Cosigner)."""

    def __init__(self, settings: Settings) -> None:
        from qorgau.witness.client import WitnessClient

        assert settings.witness_url is not None
        assert settings.witness_vkey is not None
        verifier = Verifier.from_vkey(settings.witness_vkey)
        self.name = verifier.name
        self._client = WitnessClient(settings.witness_url, verifier, settings.witness_timeout)

    def add_checkpoint(self, old_size: int, proof: list[bytes], signed_note: bytes) -> str:
        from qorgau.witness import client

        try:
            return self._client.add_checkpoint(old_size, proof, signed_note)
        except client.WitnessConflict as exc:
            raise WitnessConflict(exc.size) from exc
        except client.WitnessUnavailable as exc:
            raise WitnessDown(type(exc).__name__) from exc
        except client.WitnessRefused as exc:
            raise WitnessRefusal(exc.status, exc.message) from exc

    def latest_size(self, origin: str) -> int | None:
        from qorgau.witness import client

        try:
            return self._client.latest_size(origin)
        except client.WitnessUnavailable as exc:
            raise WitnessDown(type(exc).__name__) from exc


def build_container(settings: Settings, *, chained: bool = True, pool_size: int = 5) -> Container:
    db = Database(settings.resolved_database_url, pool_size=pool_size)
    catalogue = Catalogue.default().with_retention(settings.retention_days)
    access = with_site_role(AccessPolicy.default(catalogue), catalogue)
    keys = LocalKeyring(settings.keyring_path)
    signer = Signer.load(settings.signing_key_path)
    public_key = pinned_public_key(settings) or signer.public_raw
    witness_keys = [settings.witness_vkey] if settings.witness_vkey else None
    with db.engine.connect() as conn:
        partitions = AuditLog.partition_count(conn) or settings.audit_partitions
    audit = AuditLog(
        partitions,
        MacKey.load(settings.mac_key_path),
        marks=HeadMarks(settings.heads_path),
        origin=settings.log_origin,
        chained=chained,
    )
    law = profile(settings.law_profile)
    overrides = operator_overrides(settings)
    calendar = calendar_for(settings.law_profile, overrides)
    policy = PolicyService(
        lambda lang: render_markdown(policy_context(settings, catalogue), lang), audit
    )
    # The vault's data keys, shared by the gate and the sealed boxes.
    subject_keys = SubjectKeys(keys)
    ledger = Ledger(
        catalogue=catalogue,
        operator=settings.operator,
        law=law,
        audit=audit,
        sealer=Boxes(subject_keys).seal,
        policy_version=policy.current_hash,
        access=access,
    )
    registry = Registry(
        catalogue=catalogue,
        access=access,
        audit=audit,
        keys=keys,
        home_country=settings.operator.storage_location,
        allow_loopback_webhooks=settings.dev_loopback_webhooks,
    )
    transfer_rule = TransferRule(
        registry=registry,
        ledger=ledger,
        catalogue=catalogue,
        calendar=calendar,
        home_country=settings.operator.storage_location,
    )
    gate = Gate(
        keys=keys,
        indexer=BlindIndexer(keys.index_key()),
        catalogue=catalogue,
        access=access,
        audit=audit,
        basis=ledger,
        # The gate's last step for every disclosure to a recipient (DESIGN 1).
        transfer_rule=transfer_rule,
        subject_keys=subject_keys,
    )
    transfers = Transfers(
        gate=gate,
        registry=registry,
        rule=transfer_rule,
        catalogue=catalogue,
        access=access,
        audit=audit,
        calendar=calendar,
        notice_working_days=law.transfer_notice_working_days,
        notices=settings.transfer_notices,
    )
    queue = DeliveryQueue(access=access, audit=audit)
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
        router=transfers.route_lead,
        # Each consent its own document with its own confirmation (RF 152-FZ Art. 9 p.1,
        # from the day the profile says).
        separate_documents=law.separate_consent_required,
    )
    # Notices to people (transfers; an extended request's motivated notice).
    notifier = DevNotifier(settings.outbox_path)
    requests = RequestService(
        gate=gate,
        ledger=ledger,
        catalogue=catalogue,
        audit=audit,
        law_profile=settings.law_profile,
        overrides=overrides,
        secret=derive_key(site_secret, "dsr"),
        code_limits=code_limits,
        transfer_log=transfers.log,
        # The person's audit events with inclusion proofs for the report (issue 13).
        audit_trail=lambda conn, sid, limit: prove_subject(
            conn, sid, public_key=public_key, witnesses=witness_keys, limit=limit
        ),
        notifier=notifier,
        operator_name=settings.operator.name,
        recipient_names=registry.names,  # consent documents name the recipients
    )
    stats = StatsService(audit, k=settings.stats_k)
    return Container(
        settings, db, catalogue, access, keys, signer, audit, gate, ledger, policy,
        intake=intake,
        tracking=TrackingService(
            derive_key(site_secret, "visit-ip"), settings.cookie_retention_days
        ),
        otp_sender=sender,
        requests=requests,
        retention=RetentionService(
            gate=gate, catalogue=catalogue, facts=stats, law=law,
            sweep_interval=timedelta(hours=settings.retention_interval_hours),
        ),
        stats=stats,
        staff=StaffService(audit=audit, secret=derive_key(site_secret, "staff-session")),
        registry=registry,
        transfer_rule=transfer_rule,
        transfers=transfers,
        state_bodies=StateBodies(
            transfers=transfers, registry=registry, gate=gate, access=access, audit=audit
        ),
        queue=queue,
        inbox=PartnerInbox(
            gate=gate, rule=transfer_rule, transfers=transfers, queue=queue, audit=audit
        ),
        notices=NoticeLog(ledger=ledger, audit=audit),
        notifier=notifier,
        api_keys=ApiKeys(derive_key(site_secret, "api-key-digest"), audit),
        site_secret=site_secret,
        witnessing=Witnessing(
            _Cosigner(settings) if settings.witness_url and settings.witness_vkey else None,
            db.engine.connect,
            db.unit_of_work,
            settings.log_origin,
            partitions,
        ),
        calendar=calendar,
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
