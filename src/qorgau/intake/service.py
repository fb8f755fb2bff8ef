"""Use cases of the public loan-request form: submit a lead, confirm it with a one-time code.

``submit_lead`` validates the form (every field's error at once, age >= 18 by the IIN,
special categories refused: policy 3.2), collects the lead under ``contract`` (a loan request
is a contract on the subject's initiative, policy 6.1) or, for the same person (same IIN)
submitting again, clarifies their existing subject, and opens a one-time-code challenge for
the consents ticked. ``deliver`` sends the code after the unit of work has committed.

``confirm_code`` checks the code (hashed at rest, 10 minutes, 5 attempts, single use); only
then are the ticked consents granted, each with its exact text, the policy version, the
language and the evidence ``otp:<channel>`` (policy 6.1, 8.2; LAW.md Art. 8), the web user
data linked under ``statistics`` when the visitor allowed analytics and consented to P4
(policy 5.1), and the lead recorded with its reference. Without a correct code no consent is
granted.

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

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue, InvalidValue, SpecialCategoryFound
from qorgau.consent.ledger import Ledger
from qorgau.consent.model import Channel, ConsentRequest, Evidence
from qorgau.intake.model import (
    CODE_TTL_SECONDS,
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
    consent_texts,
    mask_address,
    new_reference,
    validate_lead,
)
from qorgau.intake.otp import OtpSender, code_matches, hash_code, new_code
from qorgau.intake.store import lead, otp_challenge
from qorgau.security.access import AccessPolicy, Operation, RoleRules
from qorgau.vault.gate import Gate
from qorgau.vault.model import Actor, NoLiveBasis, Status

SITE_ROLE = "site"
SITE_ACTOR = Actor(SITE_ROLE, "site:web")


def with_site_role(access: AccessPolicy, catalogue: Catalogue) -> AccessPolicy:
    """The access matrix plus the public site's role: write-only (collect and clarify under
    ``contract`` and ``statistics``), every field denied for reading."""
    rules = RoleRules(
        purposes=frozenset({LEAD_PURPOSE, "statistics"}) & frozenset(catalogue.purposes),
        operations=frozenset({Operation.COLLECT, Operation.CLARIFY}),
        denied=frozenset(catalogue.fields),
    )
    return dataclasses.replace(access, roles={**access.roles, SITE_ROLE: rules})


@dataclass(frozen=True, slots=True)
class PendingCode:
    """A challenge opened and its code, to deliver once the unit of work has committed.
    ``address`` and ``code`` are secrets: kept out of ``repr`` (and so out of logs)."""

    challenge_id: str
    subject_id: str
    channel: str
    language: str
    masked: str
    address: str = field(repr=False)
    code: str = field(repr=False)
    created: bool = True


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


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
    ) -> None:
        self.gate = gate
        self.ledger = ledger
        self.catalogue = catalogue
        self.audit = audit
        self.terms = terms
        self.partner_codes = partner_codes
        self._code_key = code_key
        self.sender = sender
        self._texts = {lang: consent_texts(catalogue, terms, lang) for lang in ("kk", "ru", "en")}
        #: Passes a confirmed lead on to the partners the person consented to, in the same
        #: transaction (the composition root sets it to the transfer service's router).
        self.router: Callable[[Connection, str, str], object] | None = None

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
        """Validate, collect or clarify the lead, open a challenge (see module docstring).
        Raises ``LeadRejected`` (nothing stored) on invalid input."""
        values = validate_lead(self.catalogue, submission, today or date.today())
        item = self.gate.prepare(LEAD_CATEGORY, LEAD_PURPOSE, values, LEAD_SOURCE)
        sid = self._same_person(conn, actor, item.values)
        if sid is None:
            sid = self.gate.collect(conn, actor, item)
        else:
            self.gate.clarify(conn, actor, sid, LEAD_PURPOSE, item.values, LEAD_SOURCE)
        texts = self._texts[submission.language]
        ticked = [c for c in CONSENTS if c in submission.consents]
        challenge = secrets.token_hex(16)
        code = new_code()
        at = now or datetime.now(UTC)
        conn.execute(
            insert(otp_challenge).values(
                id=challenge,
                subject_id=sid,
                purposes=orjson.dumps([[c, _text_hash(texts[c])] for c in ticked]).decode(),
                transfer=TRANSFER in ticked,
                hash=hash_code(self._code_key, challenge, code),
                created_at=at,
                expires_at=at + timedelta(seconds=CODE_TTL_SECONDS),
                attempts=0,
                used_at=None,
                language=submission.language,
                channel=submission.channel,
            )
        )
        address = item.values[submission.channel]
        return PendingCode(
            challenge_id=challenge,
            subject_id=sid,
            channel=submission.channel,
            language=submission.language,
            masked=mask_address(self.catalogue, submission.channel, address),
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

    def _same_person(self, conn: Connection, actor: Actor, values: Mapping[str, str]) -> str | None:
        """The existing subject of this person, if any: found by phone, then by IIN, through
        the gate (blind indexes; nothing decrypted: the site role reads no field).

        Only a subject with the same IIN is the same person: a phone found under another
        IIN belongs to someone else (a family phone, a reassigned number), whose data must
        not be overwritten (policy 4.1: no merging)."""
        by_phone = self._search(conn, actor, "phone", values["phone"])
        by_iin = self._search(conn, actor, "iin", values["iin"])
        both = [s for s in by_phone if s in by_iin]
        found = both or by_iin
        return found[0] if found else None

    def _search(self, conn: Connection, actor: Actor, kind: str, value: str) -> list[str]:
        try:
            hits = self.gate.search(conn, actor, kind, value, LEAD_PURPOSE, fields=())
        except NoLiveBasis:
            # The contract basis of that subject has ended: a new request is a new subject.
            return []
        return [r.subject_id for r in hits if r.status in (Status.ACTIVE, Status.BLOCKED)]

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
        """Check the code; on success grant the ticked consents and record the lead.

        A wrong code counts an attempt (committed with the unit of work: the caller must
        not roll back on a ``CodeRejected``)."""
        at = now or datetime.now(UTC)
        code = "".join(code.split())
        q = select(otp_challenge).where(otp_challenge.c.id == challenge_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).mappings().one_or_none()
        if row is None:
            return CodeRejected(CodeReason.UNKNOWN)
        channel = str(row["channel"])
        left = max(0, MAX_ATTEMPTS - int(row["attempts"]))
        if row["used_at"] is not None:
            return CodeRejected(CodeReason.USED, 0, channel)
        if _aware(row["expires_at"]) <= at:
            return CodeRejected(CodeReason.EXPIRED, 0, channel)
        if left <= 0:
            return CodeRejected(CodeReason.ATTEMPTS, 0, channel)
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return CodeRejected(CodeReason.FORMAT, left, channel)
        if not code_matches(self._code_key, challenge_id, code, bytes(row["hash"])):
            conn.execute(
                update(otp_challenge)
                .where(otp_challenge.c.id == challenge_id)
                .values(attempts=otp_challenge.c.attempts + 1)
            )
            left -= 1
            reason = CodeReason.WRONG if left > 0 else CodeReason.ATTEMPTS
            return CodeRejected(reason, left, channel)
        conn.execute(
            update(otp_challenge).where(otp_challenge.c.id == challenge_id).values(used_at=at)
        )
        language = str(row["language"])
        texts = self._texts[language]
        ticked: list[list[str]] = orjson.loads(row["purposes"])
        if any(_text_hash(texts.get(c, "")) != h for c, h in ticked):
            return CodeRejected(CodeReason.CHANGED, 0, channel)
        sid = str(row["subject_id"])
        evidence = Evidence(method=f"otp:{channel}", ip=ip, user_agent=user_agent)
        granted: list[str] = []
        for purpose, _ in ticked:
            self.ledger.grant(
                conn,
                actor,
                ConsentRequest(
                    subject_id=sid,
                    purpose=purpose,
                    text=texts[purpose],
                    evidence=evidence,
                    language=language,
                    channel=Channel.WEB,
                    recipients=self.partner_codes if purpose == TRANSFER else (),
                ),
            )
            granted.append(purpose)
        if user_data and "statistics" in granted:
            self._link_user_data(conn, actor, sid, user_data)
        reference = new_reference()
        conn.execute(
            insert(lead).values(
                reference=reference,
                subject_id=sid,
                challenge_id=challenge_id,
                created_at=at,
                status="new",
            )
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
                },
                at=at,
            ),
        )
        if self.router is not None and TRANSFER in granted:
            self.router(conn, sid, reference)
        return LeadConfirmed(reference, sid, tuple(granted))

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
            self.gate.clarify(conn, actor, sid, "statistics", clean, "web")

    # -- retention ------------------------------------------------------------------------

    def purge_challenges(self, conn: Connection, now: datetime | None = None) -> int:
        """Delete challenges a day past their expiry (used or not): they hold only a hash,
        but a challenge has no use after it expired."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=1)
        done = conn.execute(delete(otp_challenge).where(otp_challenge.c.expires_at < cutoff))
        return int(done.rowcount or 0)
