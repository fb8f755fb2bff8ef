"""Use cases of the public loan-request form: submit a lead, confirm it with a one-time code.

Nothing changes hands without proof (policy 4.1, 6.6, 7.3.8). ``submit_lead`` validates the
form (every field's error at once, age >= 18 by the IIN, special categories refused: policy
3.2), counts a code for the contact (by default at most 3 per 15 minutes and 10 a day,
``intake/limits.py``) and opens a one-time-code challenge for the consents ticked, with the
submission sealed in the challenge row under a data key of its own (``vault/pending.py``).
It looks nothing up: no subject, no blind index, no search by IIN, so its answer and its
time are the same whether the IIN is known or not. ``deliver`` sends the code after the
unit of work has committed.

``confirm_code`` checks the code (hashed at rest, 10 minutes, 5 attempts, single use). A
correct code proves control of that contact and nothing more: the submission is collected
under ``contract`` (a loan request is a contract on the subject's initiative, policy 6.1) as
a NEW subject, even when a live subject already has that IIN. Such a subject is never
changed; the new one is flagged as its possible duplicate for staff to resolve
(``intake/duplicates.py``). The contact the code went to is recorded as confirmed for the
new subject (only a confirmed, current contact verifies a request on the rights page). Then
the ticked consents are granted, each with its exact text, the policy version, the language
and the evidence ``otp:<channel>`` (policy 6.1, 8.2; LAW.md Art. 8), the web user data linked
under ``statistics`` when the visitor allowed analytics and consented to P4 (policy 5.1), and
the lead recorded with its reference and routed. Without a correct code nothing is collected
and no consent is granted; the sealed submission is dropped on confirmation, when the
challenge is refused for good, and at its expiry (``purge_challenges``).

The site acts as the role ``site``: it may collect and clarify under ``contract`` and
``statistics`` and may read no field at all, so a bug in the public site cannot disclose
anyone's data (DESIGN 1).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue, InvalidValue, SpecialCategoryFound
from qorgau.consent.ledger import Ledger
from qorgau.consent.model import Channel, CodeRecord, ConsentRequest, Evidence, FullName
from qorgau.intake import duplicates, limits, store
from qorgau.intake.limits import CodeLimits
from qorgau.intake.model import (
    CODE_TTL_SECONDS,
    CONSENT_PURPOSES,
    CONSENTS,
    LEAD_CATEGORY,
    LEAD_PURPOSE,
    LEAD_SOURCE,
    MAX_ATTEMPTS,
    TRANSFER,
    CodeReason,
    CodeRejected,
    ConsentTerms,
    LeadConfirmed,
    LeadSubmission,
    SeparateConsents,
    consent_fields,
    consent_texts,
    mask_address,
    new_reference,
    validate_lead,
)
from qorgau.intake.otp import OtpSender, code_matches, hash_code, new_code
from qorgau.intake.store import DuplicateFlag
from qorgau.security import actors
from qorgau.security.access import AccessPolicy, Capability, OperationNotPermitted, RoleRules
from qorgau.security.actors import Actor
from qorgau.vault import pending as sealed
from qorgau.vault.gate import Gate
from qorgau.vault.keys import hold_kek

SITE_ROLE = "site"
SITE_ACTOR = actors.SITE
#: Where each consent is its own document: how long after the code its consents may be
#: confirmed one by one (what the challenge kept for them is dropped then).
SEPARATE_SECONDS = 30 * 60


def with_site_role(access: AccessPolicy, catalogue: Catalogue) -> AccessPolicy:
    """The access matrix plus the public site's role: write-only (collect and clarify under
    ``contract`` and ``statistics``), every field denied for reading."""
    rules = RoleRules(
        # The purposes its form asks consent for, too (it records those consents).
        purposes=frozenset({LEAD_PURPOSE, "statistics", *CONSENT_PURPOSES})
        & frozenset(catalogue.purposes),
        capabilities=frozenset({Capability.COLLECT, Capability.RECORD_CONSENT, Capability.CLARIFY}),
        denied=frozenset(catalogue.fields),
    )
    return dataclasses.replace(access, roles={**access.roles, SITE_ROLE: rules})


@dataclass(frozen=True, slots=True)
class PendingCode:
    """A challenge opened and its code, to deliver once the unit of work has committed.
    ``address`` and ``code`` are secrets: kept out of ``repr`` (and so out of logs)."""

    challenge_id: str
    channel: str
    language: str
    masked: str
    address: str = field(repr=False)
    code: str = field(repr=False)


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class IntakeService:
    def __init__(
        self,
        *,
        gate: Gate,
        ledger: Ledger,
        catalogue: Catalogue,
        audit: AuditLog,
        terms: ConsentTerms,
        partner_codes: tuple[str, ...],
        code_key: bytes,
        sender: OtpSender,
        code_limits: CodeLimits | None = None,
        router: Callable[[Connection, str, str], object] | None = None,
        separate_documents: Callable[[date], bool] | bool = False,
    ) -> None:
        self.gate = gate
        self.ledger = ledger
        self.catalogue = catalogue
        self.audit = audit
        self.terms = terms
        self.partner_codes = partner_codes
        self._code_key = code_key
        self.sender = sender
        #: One-time codes per contact (settings ``otp_per_contact_15min`` / ``_day``).
        self.code_limits = code_limits or CodeLimits()
        self._texts = {lang: consent_texts(catalogue, terms, lang) for lang in ("kk", "ru", "en")}
        #: Passes a confirmed lead on to the partners the person consented to, in the same
        #: transaction (the transfers context's router; none: leads stay with the operator).
        self.router = router
        #: Each consent its own document with its own confirmation (the law profile's
        #: ``separate_consent_required``, by day): the code confirms the contact and the lead.
        self.separate_documents = separate_documents

    def consent_texts(self, language: str) -> dict[str, str]:
        """The exact consent texts (each checkbox's label) in ``language``."""
        return dict(self._texts[language])

    # -- submit ---------------------------------------------------------------------------

    def submit_lead(
        self,
        conn: Connection,
        actor: Actor,
        submission: LeadSubmission,
        *,
        today: date | None = None,
        now: datetime | None = None,
    ) -> PendingCode:
        """Validate, count a code for the contact, seal the submission in a new challenge
        (see the module docstring). Raises ``LeadRejected`` (nothing stored) on invalid input
        and ``TooManyCodes`` (nothing stored) when the contact had its codes."""
        access = self.gate.access
        if not (
            access.may(actor.role, Capability.COLLECT) and access.may_use(actor.role, LEAD_PURPOSE)
        ):
            raise OperationNotPermitted(actor.role, Capability.COLLECT.value)
        values = validate_lead(self.catalogue, submission, today or date.today())
        item = self.gate.prepare(LEAD_CATEGORY, LEAD_PURPOSE, values, LEAD_SOURCE)
        channel = submission.channel
        address = item.values[channel]
        at = now or datetime.now(UTC)
        digest = limits.contact_digest(self.gate.indexer, channel, address)
        limits.admit(conn, digest, self.code_limits, at)
        texts = self._texts[submission.language]
        ticked = [c for c in CONSENTS if c in submission.consents]
        challenge = secrets.token_hex(16)
        code = new_code()
        hold_kek(conn)  # rotation does not retire the KEK this key is wrapped by first
        payload = sealed.seal(self.gate.keys, challenge, {"values": dict(item.values)})
        store.insert_challenge(
            conn,
            id=challenge,
            purposes=orjson.dumps([[c, _text_hash(texts[c])] for c in ticked]).decode(),
            transfer=TRANSFER in ticked,
            hash=hash_code(self._code_key, challenge, code),
            created_at=at,
            expires_at=at + timedelta(seconds=CODE_TTL_SECONDS),
            language=submission.language,
            channel=channel,
            payload=payload,
        )
        # Recorded, not yet collected: no subject, so the event names the challenge only.
        self.audit.append(
            conn,
            Event(
                "record",
                actor.id,
                purpose=LEAD_PURPOSE,
                fields=tuple(item.values),
                detail={"role": actor.role, "pending": challenge, "channel": channel},
                at=at,
            ),
        )
        return PendingCode(
            challenge_id=challenge,
            channel=channel,
            language=submission.language,
            masked=mask_address(self.catalogue, channel, address),
            address=address,
            code=code,
        )

    def deliver(self, pending: PendingCode) -> None:
        """Send the code (outside the unit of work: a slow SMTP server holds no lock).
        Raises ``OtpUndeliverable`` when the channel cannot be served."""
        self.sender.send(
            pending.channel,
            pending.address,
            pending.code,
            pending.language,
            challenge=pending.challenge_id,
        )

    # -- confirm --------------------------------------------------------------------------

    def confirm_code(
        self,
        conn: Connection,
        actor: Actor,
        challenge_id: str,
        code: str,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        user_data: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> LeadConfirmed | CodeRejected:
        """Check the code; on success collect the lead as a new subject, record its contact
        as confirmed, grant the ticked consents, record and route the lead.

        A wrong code counts an attempt (committed with the unit of work: the caller must
        not roll back on a ``CodeRejected``)."""
        at = now or datetime.now(UTC)
        code = "".join(code.split())
        row = store.challenge_for_update(conn, challenge_id)
        if row is None:
            return CodeRejected(CodeReason.UNKNOWN)
        channel = row.channel
        left = max(0, MAX_ATTEMPTS - row.attempts)
        if row.used_at is not None:
            return CodeRejected(CodeReason.USED, 0, channel)
        if row.expires_at <= at:
            self._drop_payload(conn, challenge_id)
            return CodeRejected(CodeReason.EXPIRED, 0, channel)
        if left <= 0:
            self._drop_payload(conn, challenge_id)
            return CodeRejected(CodeReason.ATTEMPTS, 0, channel)
        if row.sealed is None:
            # Opened before submissions were sealed (migration 0009): void, submit again.
            return CodeRejected(CodeReason.EXPIRED, 0, channel)
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return CodeRejected(CodeReason.FORMAT, left, channel)
        if not code_matches(self._code_key, challenge_id, code, row.hash):
            left -= 1
            # The last attempt: the submission is dropped now.
            store.count_attempt(conn, challenge_id, drop_payload=left <= 0)
            reason = CodeReason.WRONG if left > 0 else CodeReason.ATTEMPTS
            return CodeRejected(reason, left, channel)
        language = row.language
        texts = self._texts[language]
        ticked: list[list[str]] = orjson.loads(row.purposes)
        if any(_text_hash(texts.get(c, "")) != h for c, h in ticked):
            store.use_challenge(conn, challenge_id, at)
            return CodeRejected(CodeReason.CHANGED, 0, channel)
        wrapped = row.wrapped_key
        assert wrapped is not None  # sealed with the submission, dropped with it
        submitted = sealed.open_(self.gate.keys, challenge_id, str(row.kek_id), wrapped, row.sealed)
        values: dict[str, str] = dict(submitted["values"])
        sid = self._collect(conn, actor, values, at)
        store.use_challenge(conn, challenge_id, at, subject_id=sid)
        # The code proved control of this contact, for this new subject only.
        self.gate.confirm_contact(conn, actor, sid, channel, values[channel], f"otp:{channel}")
        name = FullName.of(values)
        code_record = CodeRecord(challenge_id, channel, row.created_at, at, row.attempts + 1)
        evidence = Evidence(f"otp:{channel}", ip=ip, user_agent=user_agent, code=code_record)
        reference = new_reference()
        granted: list[str] = []
        waiting: tuple[str, ...] = ()
        if self._separate(at):
            # Each consent is its own document with its own confirmation (ru_152fz): none
            # is granted by the code; the name waits, sealed, for ``confirm_separately``.
            waiting = tuple(c for c, _ in ticked)
            if waiting:
                hold_kek(conn)
                kept = {"name": name.as_dict() if name else None, "lead": reference}
                box = sealed.seal(self.gate.keys, challenge_id, kept)
                store.keep_payload(conn, challenge_id, box)
        else:
            for purpose, _ in ticked:
                self._grant(conn, actor, sid, purpose, texts[purpose], language, evidence, name)
                granted.append(purpose)
        if user_data and "statistics" in granted:
            self._link_user_data(conn, actor, sid, user_data)
        store.insert_lead(
            conn,
            reference=reference,
            subject_id=sid,
            challenge_id=challenge_id,
            created_at=at,
            status="new",
        )
        self.audit.append(
            conn,
            Event(
                "record",
                actor.id,
                subject_id=sid,
                purpose=LEAD_PURPOSE,
                detail={
                    "role": actor.role,
                    "lead": reference,
                    "evidence": evidence.method,
                    "consents": granted,
                    **({"waiting": list(waiting)} if waiting else {}),
                },
                at=at,
            ),
        )
        if self.router is not None and TRANSFER in granted:
            self.router(conn, sid, reference)
        return LeadConfirmed(reference, sid, tuple(granted), waiting, name, language)

    def confirm_separately(
        self,
        conn: Connection,
        actor: Actor,
        challenge_id: str,
        consent: str | None,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        user_data: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> SeparateConsents | None:
        """Where each consent is its own document (``consent_separate_document``): grant the
        ticked consent ``consent`` on its own confirmation, after its challenge's code was
        confirmed and within ``SEPARATE_SECONDS`` of it (None: that step is closed; nothing
        granted). A consent already confirmed is not granted twice; ``consent=None`` only
        reads the state. The transfer consent routes the lead when it is confirmed."""
        at = now or datetime.now(UTC)
        row = store.challenge_for_update(conn, challenge_id)
        if (
            row is None
            or row.used_at is None
            or row.subject_id is None
            or row.sealed is None
            or row.wrapped_key is None
            or at - row.used_at > timedelta(seconds=SEPARATE_SECONDS)
            or not self._separate(row.used_at)
        ):
            return None
        sid = row.subject_id
        kept = sealed.open_(
            self.gate.keys, challenge_id, str(row.kek_id), row.wrapped_key, row.sealed
        )
        name = FullName.of(kept.get("name") or {})
        texts = self._texts[row.language]
        # Only what was ticked, with the text that was shown then.
        ticked = [c for c, h in orjson.loads(row.purposes) if _text_hash(texts.get(c, "")) == h]
        done = self._granted_for(conn, sid, challenge_id)
        if consent is not None and consent in ticked and consent not in done:
            code_record = CodeRecord(
                challenge_id, row.channel, row.created_at, row.used_at, row.attempts + 1, at
            )
            evidence = Evidence(
                f"otp:{row.channel}", ip=ip, user_agent=user_agent, code=code_record
            )
            self._grant(conn, actor, sid, consent, texts[consent], row.language, evidence, name)
            done = (*done, consent)
            if user_data and consent == "statistics":
                self._link_user_data(conn, actor, sid, user_data)
            reference = kept.get("lead") or store.lead_of_challenge(conn, challenge_id)
            if self.router is not None and consent == TRANSFER and reference:
                self.router(conn, sid, str(reference))
        waiting = tuple(c for c in ticked if c not in done)
        if not waiting:
            self._drop_payload(conn, challenge_id)
        return SeparateConsents(
            challenge_id=challenge_id,
            reference=str(kept.get("lead") or ""),
            language=row.language,
            confirmed=tuple(c for c in CONSENTS if c in done),
            waiting=waiting,
            full_name=name,
        )

    def _separate(self, at: datetime) -> bool:
        """Whether a consent given at ``at`` must be its own document (the profile's rule
        may start on a day: RF 152-FZ Art. 9 p.1 from 1 Sep 2025)."""
        rule = self.separate_documents
        return rule(at.astimezone(UTC).date()) if callable(rule) else bool(rule)

    def draft(self, code: str, language: str, name: FullName | None) -> dict[str, Any]:
        """A consent of the site as the document it will be once confirmed (the keys of
        ``consent.document`` that ``consent.document_view.content`` shows): for the page
        where each consent is confirmed on its own."""
        used = self.catalogue.purpose("contract" if code == TRANSFER else code)
        transfer = code == TRANSFER
        return {
            "purpose": code,
            "transfer": transfer,
            "purpose_number": None if transfer else used.number,
            "purpose_label": None if transfer else dict(used.labels),
            "operator": {"name": self.terms.operator_name, "bin": self.terms.operator_bin},
            "full_name": name.text() if name else None,
            "full_name_state": "shown" if name else "not_recorded",
            "fields": [
                {"code": f, "label": dict(self.catalogue.field(f).labels)}
                for f in consent_fields(self.catalogue, code)
            ],
            "recipients": [
                {"code": c, "name": n}
                for c, n in zip(self.partner_codes, self.terms.partners, strict=False)
            ]
            if transfer
            else [],
            "third_party_transfer": transfer and bool(self.partner_codes),
            "cross_border": self.terms.cross_border,
            "public_sources": self.terms.public_sources,
            "term_days": self.terms.transfer_days if transfer else used.retention_days,
            "granted_at": None,
            "text": self._texts[language][code],
            "law": {"source": self.ledger.law.consent_content_source},
        }

    def _granted_for(self, conn: Connection, sid: str, challenge_id: str) -> tuple[str, ...]:
        """The consents already granted on this challenge's code."""
        out = []
        for c in self.ledger.consents(conn, sid):
            code = (c.evidence_record or {}).get("code") or {}
            if code.get("challenge") == challenge_id:
                out.append(c.purpose)
        return tuple(out)

    def _grant(
        self,
        conn: Connection,
        actor: Actor,
        sid: str,
        purpose: str,
        text: str,
        language: str,
        evidence: Evidence,
        name: FullName | None,
    ) -> str:
        """One consent of the site, with what Art. 8 p.4 requires: the full name, the
        exact data, the recipients, the cross-border and public-source flags its text
        states (``ConsentTerms``)."""
        return self.ledger.grant(
            conn,
            actor,
            ConsentRequest(
                subject_id=sid,
                purpose=purpose,
                text=text,
                evidence=evidence,
                language=language,
                channel=Channel.WEB,
                recipients=self.partner_codes if purpose == TRANSFER else (),
                cross_border=self.terms.cross_border,
                public_sources=self.terms.public_sources,
                full_name=name,
                fields=consent_fields(self.catalogue, purpose),
            ),
        )

    def _collect(
        self, conn: Connection, actor: Actor, values: Mapping[str, str], at: datetime
    ) -> str:
        """A new subject for a confirmed submission. Live subjects with the same IIN (any
        status but destroyed) stay exactly as they are: a code proves a contact, not an
        identity (policy 4.1: no merging without proof); the new subject is flagged as
        their possible duplicate."""
        same_iin = self.gate.find_subjects(conn, actor, "iin", values["iin"], LEAD_PURPOSE)
        item = self.gate.prepare(LEAD_CATEGORY, LEAD_PURPOSE, values, LEAD_SOURCE)
        sid = self.gate.collect(conn, actor, item)
        duplicates.flag(conn, self.audit, actor, sid, same_iin, at)
        return sid

    def _drop_payload(self, conn: Connection, challenge_id: str) -> None:
        store.drop_payload(conn, challenge_id)

    def _link_user_data(
        self, conn: Connection, actor: Actor, sid: str, user_data: Mapping[str, str]
    ) -> None:
        """Collect the web user data under ``statistics`` (policy 5.1, 2.1 P4); a value the
        catalogue refuses (an odd header) is left out rather than failing the request."""
        clean: dict[str, str] = {}
        for f, raw in user_data.items():
            try:
                clean[f] = self.catalogue.normalise(f, raw)
            except (InvalidValue, SpecialCategoryFound):
                continue
        if clean:
            self.gate.clarify(conn, actor, sid, "statistics", clean, LEAD_SOURCE)

    # -- possible duplicates (staff) ----------------------------------------------------

    def _require_dpo(self, actor: Actor) -> None:
        # Deciding who is who is the data protection officer's (and admin's) work.
        if not self.gate.access.may(actor.role, Capability.RESOLVE_DUPLICATES):
            raise OperationNotPermitted(actor.role, "resolve possible duplicates")

    def open_duplicates(self, conn: Connection, actor: Actor) -> list[DuplicateFlag]:
        """Subjects flagged as possible duplicates and not yet resolved, oldest first."""
        self._require_dpo(actor)
        return duplicates.open_flags(conn)

    def resolve_duplicate(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        of: str,
        resolution: str,
        note: str | None = None,
    ) -> DuplicateFlag:
        """Record staff's decision on one flag (audited); the subjects are not changed."""
        self._require_dpo(actor)
        return duplicates.resolve(conn, self.audit, actor, subject_id, of, resolution, note)

    # -- retention ------------------------------------------------------------------------

    def purge_challenges(self, conn: Connection, now: datetime | None = None) -> int:
        """Delete unconfirmed challenges at their expiry (with their sealed submission, the
        wrapped data key and all), used ones a day past it, and code counts older than a day
        (policy 4.1: nothing kept past its use). Returns the rows deleted."""
        at = (now or datetime.now(UTC)).astimezone(UTC)
        return store.purge_challenges(conn, at, kept_seconds=SEPARATE_SECONDS) + limits.purge(
            conn, at
        )
