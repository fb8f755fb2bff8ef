"""Settings from the environment (policy 1.1-1.2: operator and law profile are configuration).

`QORGAU_HOME` is the ``var/`` directory (database, keyring, audit signing key);
`QORGAU_DATABASE_URL` defaults to SQLite inside it. On PostgreSQL the application's role
serves (`QORGAU_DATABASE_URL`) and the owner's migrates (`QORGAU_OWNER_DATABASE_URL`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorProfile(BaseSettings):
    """The operator named in the policy appendix; any operator can set its own."""

    model_config = SettingsConfigDict(env_prefix="QORGAU_OPERATOR_")

    name: str = "ProLeads LLP"
    bin: str = "220840003513"
    address: str = "071400, East Kazakhstan region, Semey, Fizkulturnaya st. 9/2"
    site: str = "https://hot-zaim.kz"
    storage_location: str = "KZ"
    responsible_person: str | None = None


class PartnerOrg(BaseModel):
    """A partner organisation the public site offers transfer to (policy 6.2, 6.6)."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)


def _demo_partners() -> list[PartnerOrg]:
    # Fictional organisations; `qorgau demo` registers them with agreements.
    return [
        PartnerOrg(code="demo-mfo-1", name="Demo MFO LLP"),
        PartnerOrg(code="demo-mfo-2", name="Example Microfinance LLP"),
    ]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QORGAU_")

    home: Path = Field(default=Path("var"))
    operator: OperatorProfile = Field(default_factory=OperatorProfile)
    #: The application's database (every command but the migrations). On PostgreSQL, a role
    #: that owns nothing (``qorgau.db_roles``).
    database_url: str | None = None
    #: The owner's database URL, for the migrations (``qorgau init``, ``qorgau db grant``),
    #: which then grant the application's role. Unset: ``database_url`` (a single role).
    owner_database_url: str | None = None
    law_profile: str = "kz_94v"
    timezone: str = "Asia/Almaty"
    audit_partitions: int = Field(default=64, ge=1, le=4096)
    #: Seconds between signed checkpoints while ``qorgau run`` serves (when the log moved).
    checkpoint_interval: float = Field(default=60.0, gt=0)
    #: Days the web "user data" of policy 5.1 is kept for visitors who allowed it.
    cookie_retention_days: int = Field(default=30, ge=1, le=400)
    #: Operator calendar overrides (ISO dates): extra days off by decree, worked weekend days.
    calendar_days_off: list[str] = Field(default_factory=list)
    calendar_working_days: list[str] = Field(default_factory=list)
    #: Hours between retention sweeps run by the worker.
    retention_interval_hours: float = Field(default=24.0, gt=0)
    #: k of k-anonymity for statistics reports (policy 2.1 P4); never below 2.
    stats_k: int = Field(default=5, ge=2, le=1000)
    #: Operator-configured retention periods in days per purpose code, e.g. {"offers": 180}.
    retention_days: dict[str, int] = Field(default_factory=dict)

    # -- transfers (policy 6.2-6.4) --------------------------------------------------------
    #: Whether the operator's transfer consents promise a notice of each transfer (LAW.md
    #: Art. 19: within 10 working days under the KZ profile).
    transfer_notices: bool = True
    #: Delivery attempts before a webhook delivery is dead-lettered for staff.
    delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    #: The largest request body any route reads (bytes); larger ones are answered 413.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    #: Webhook endpoints must be https; plain-http loopback endpoints only in development.
    dev_loopback_webhooks: bool = False
    #: Addresses of reverse proxies whose X-Forwarded-For / -Proto headers are trusted
    #: (comma-separated IPs or CIDRs); none by default, so no client can spoof its address.
    trusted_proxies: str = ""
    #: Seconds a webhook POST may take before it counts as failed.
    delivery_timeout: float = Field(default=10.0, gt=0, le=120)

    # -- public site --------------------------------------------------------------------
    #: Partner organisations listed in the transfer consent (JSON list of {code, name}).
    partners: list[PartnerOrg] = Field(default_factory=_demo_partners)
    #: How one-time codes travel: "dev" appends to ``home/outbox.log``; "smtp" e-mails them.
    otp_sender: Literal["dev", "smtp"] = "dev"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "noreply@example.org"
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    #: Secret behind CSRF tokens, rate-limit keys and visit IP hashes. Unset: derived from
    #: the keyring's blind-index key, so every server process of one home agrees.
    site_secret: SecretStr | None = None
    #: Form posts per client (keyed by an HMAC of its IP): bucket size and refill per minute.
    rate_limit_burst: int = Field(default=20, ge=1, le=100_000)
    rate_limit_per_minute: float = Field(default=10.0, gt=0)
    #: One-time codes one contact (phone or e-mail, loan form and rights page together) may
    #: be sent in any 15 minutes and in any 24 hours, counted in the database.
    otp_per_contact_15min: int = Field(default=3, ge=1, le=1000)
    otp_per_contact_day: int = Field(default=10, ge=1, le=10_000)
    #: Days the browser keeps the visitor's cookie choice (its random id).
    cookie_choice_days: int = Field(default=180, ge=1, le=400)
    #: The audit log's public key (base64 of the raw Ed25519 key), pinned: `audit verify`
    #: checks signatures with it alone, so a signing key swapped in ``var/`` is caught. Unset:
    #: the copy ``init`` wrote beside the signing key (``audit-signing.pub``).
    audit_public_key: str | None = None
    #: The append-only anchor file of checkpoint signatures (default ``var/audit-anchor.log``).
    audit_anchor: Path | None = None
    #: The heads file: each commit's new audit heads, outside the database (default
    #: ``var/audit-heads.log``); catches the events since the newest checkpoint deleted.
    audit_heads: Path | None = None
    #: The witness that cosigns the audit log's checkpoints (C2SP tlog-witness): its URL
    #: prefix (``<url>/add-checkpoint``) and its cosignature/v1 verifier key. Unset: no
    #: witness, and the console, /healthz and ``audit verify`` say so.
    witness_url: str | None = None
    witness_vkey: str | None = None
    witness_timeout: float = Field(default=5.0, gt=0, le=60)
    #: The audit log's name in its signed notes (partition origins are ``<origin>/<n>``).
    #: Unset: the operator site's host name and ``/qorgau-audit``.
    audit_origin: str | None = Field(default=None, pattern=r"^[!-*,-~]+$")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'qorgau.db').resolve()}"

    @property
    def resolved_owner_database_url(self) -> str:
        """The URL the migrations run on: the owner's, else the application's."""
        return self.owner_database_url or self.resolved_database_url

    @property
    def keyring_path(self) -> Path:
        return self.home / "keyring.json"

    @property
    def signing_key_path(self) -> Path:
        return self.home / "audit-signing.key"

    @property
    def anchor_path(self) -> Path:
        return self.audit_anchor or self.home / "audit-anchor.log"

    @property
    def heads_path(self) -> Path:
        return self.audit_heads or self.home / "audit-heads.log"

    @property
    def mac_key_path(self) -> Path:
        """The audit MAC key (0600, beside the keyring; never in the database)."""
        return self.home / "audit-mac.key"

    @property
    def log_origin(self) -> str:
        if self.audit_origin:
            return self.audit_origin
        host = urlsplit(self.operator.site).hostname or "qorgau.example"
        return f"{host}/qorgau-audit"

    @property
    def public_key_path(self) -> Path:
        return self.home / "audit-signing.pub"

    @property
    def outbox_path(self) -> Path:
        """Where the development one-time-code sender writes (see ``qorgau.intake.otp``)."""
        return self.home / "outbox.log"
