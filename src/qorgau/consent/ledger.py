"""The consent ledger service (policy 6.1, 6.5, 6.6; LAW.md Art. 8).

Grants, withdrawals and expiries are appended as events (and as audit events, in the same
unit of work); the current state of every basis is kept in ``basis_state`` beside them. The
vault's gate asks ``has_live_basis`` before every read, so a withdrawal takes effect on the
next read, search or export.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.audit.rows import RowChanges, inserted
from qorgau.catalog import Catalogue, LegalBasis
from qorgau.config import OperatorProfile
from qorgau.consent import basis_store, store
from qorgau.consent.model import (
    NAME_LABEL,
    TRANSFER,
    BasisKind,
    ConsentNotFound,
    ConsentRequest,
    State,
    WithdrawalRefused,
    effective_state,
)
from qorgau.consent.store import BASIS_STATE_ROWS, ConsentRow
from qorgau.consent.views import LedgerViews
from qorgau.law.profiles import LawProfile
from qorgau.security.access import AccessPolicy
from qorgau.security.actors import Actor
from qorgau.vault.model import FieldNotInPurpose, PurposeNotPermitted

#: Seals evidence under the subject's key (the vault's gate does it: it alone holds keys).
Sealer = Callable[[Connection, str, str, bytes], bytes]
#: The current published policy: (version id, hash of its text in a language), if any.
PolicyVersionLookup = Callable[[Connection, str], tuple[str, str] | None]

#: The purpose a transfer consent's leads are passed on under (a loan contract, P1).
TRANSFER_PURPOSE = "contract"


class Ledger(LedgerViews):
    """Records consents and other bases, and answers the gate (reads: ``LedgerViews``)."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        operator: OperatorProfile,
        law: LawProfile,
        audit: AuditLog,
        sealer: Sealer,
        policy_version: PolicyVersionLookup,
        access: AccessPolicy | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.operator = operator
        self.law = law
        self.audit = audit
        self._seal = sealer
        self._policy_version = policy_version
        #: The access matrix: a consent is recorded only for a purpose the role may use.
        self.access = access

    # -- the gate's question ------------------------------------------------------------

    def has_live_basis(
        self,
        conn: Connection,
        subject_id: str,
        purpose: str,
        at: datetime,
        collected_under: frozenset[str],
    ) -> bool:
        """Consent present and neither withdrawn nor expired, or a contract or legal basis.

        Data collected under a contract or law purpose carries that basis from collection
        (a loan request is a contract concluded on the subject's initiative, policy 6.1)
        until the basis is recorded as ended."""
        kinds: dict[str, State] = {}
        for kind, st, until in basis_store.basis_lines(conn, subject_id, purpose):
            state = effective_state(st, until, at)
            if state is State.LIVE:
                return True
            kinds[kind] = state
        declared = self.catalogue.purpose(purpose).legal_basis
        if declared is LegalBasis.CONSENT:
            return False
        # Contract or law: implied by collection unless recorded as ended.
        return purpose in collected_under and declared.value not in kinds

    # -- consents -----------------------------------------------------------------------

    def _check_grant(self, conn: Connection, actor: Actor, req: ConsentRequest) -> None:
        if req.purpose != TRANSFER:
            self.catalogue.purpose(req.purpose)  # UnknownPurpose
        # The transfer consent passes leads on under the contract purpose (P1).
        used = TRANSFER_PURPOSE if req.purpose == TRANSFER else req.purpose
        if self.access is not None and not self.access.may_use(actor.role, used):
            exc = PurposeNotPermitted(actor.role, used)
            self.audit.append(
                conn,
                Event("refuse", actor.id, subject_id=req.subject_id, purpose=req.purpose,
                      detail={"role": actor.role, "op": "consent.grant", "code": exc.code}),
            )  # fmt: skip
            raise exc

    def grant(self, conn: Connection, actor: Actor, req: ConsentRequest) -> str:
        """Record a consent: the terms Art. 8 p.4 requires (the full name sealed under the
        subject's key, the exact list of data), the exact text (stored once, by hash), the
        policy version, language, channel, time and evidence.

        Only for a catalogued purpose (or the transfer consent) that the actor's role may
        use (policy 2.1), and for data that purpose may use; a refusal is audited. (Staff
        channels check the recipients against the registry first: ``consent/api.py``.)"""
        now = datetime.now(UTC)
        self._check_grant(conn, actor, req)
        fields = self._fields(conn, actor, req)
        if req.purpose == TRANSFER:
            term = req.term_days or max(p.retention_days for p in self.catalogue.purposes.values())
        else:
            term = req.term_days or self.catalogue.purpose(req.purpose).retention_days
        text_hash = self._store_text(conn, req.text, req.language, now)
        cid = secrets.token_hex(16)
        expires = now + timedelta(days=term)
        evidence = orjson.dumps({"ip": req.evidence.ip, "ua": req.evidence.user_agent})
        current, current_hash = self._policy_version(conn, req.language) or (None, None)
        version = req.policy_version or current
        policy_hash = current_hash if current == version else None
        sealed = None
        if req.evidence.ip or req.evidence.user_agent:
            sealed = self._seal(conn, req.subject_id, f"consent:{cid}", evidence)
        name = None
        if req.full_name is not None:
            plain = orjson.dumps(req.full_name.as_dict())
            name = self._seal(conn, req.subject_id, f"{NAME_LABEL}:{cid}", plain)
        record = req.evidence.record()
        row = ConsentRow(
            id=cid,
            subject_id=req.subject_id,
            purpose=req.purpose,
            fields=fields,
            recipients=tuple(req.recipients),
            third_party_transfer=bool(req.recipients),
            cross_border=req.cross_border,
            public_sources=req.public_sources,
            operator_name=self.operator.name,
            operator_bin=self.operator.bin,
            term_days=term,
            granted_at=now,
            expires_at=expires,
            text_hash=text_hash,
            policy_version=version,
            policy_hash=policy_hash,
            language=req.language,
            channel=req.channel.value,
            evidence_method=req.evidence.method,
            evidence_record=None if record is None else orjson.dumps(record).decode(),
            has_name=name is not None,
        )
        which = basis_store.where_basis(req.subject_id, req.purpose, BasisKind.CONSENT)
        before = BASIS_STATE_ROWS.digests(conn, which, lock=True)
        entry = store.insert_consent(conn, row, sealed, name)
        basis_store.put_basis(
            conn, req.subject_id, req.purpose, BasisKind.CONSENT, State.LIVE, now, expires, cid
        )
        rows = {**inserted(entry), **BASIS_STATE_ROWS.changes(conn, before, which)}
        self._append(
            conn,
            actor,
            "consent.grant",
            req.subject_id,
            req.purpose,
            cid,
            None,
            now,
            {
                "channel": req.channel.value,
                "evidence": req.evidence.method,
                "text": text_hash[:16],
                "recipients": list(req.recipients),
                "fields": list(fields),
                "name": name is not None,
            },
            rows,
        )
        return cid

    def withdraw(
        self, conn: Connection, actor: Actor, subject_id: str, purpose: str, reason: str
    ) -> None:
        """Withdraw a consent; refused (and the refusal recorded) where the law profile does
        not allow it while an obligation to the operator is unfulfilled (Art. 8 p.2)."""
        now = datetime.now(UTC)
        basis = basis_store.consent_basis(conn, subject_id, purpose)
        if basis is None or effective_state(basis.state, basis.until, now) is not State.LIVE:
            raise ConsentNotFound(subject_id, purpose)
        blocker = self._obligation(conn, subject_id, now) if self._may_block(purpose) else None
        if blocker is not None:
            source = f"{self.law.code} {self.law.withdrawal_source}"
            why = f"an unfulfilled obligation to the operator ({blocker}); {source}"
            self._append(
                conn,
                actor,
                "consent.refuse",
                subject_id,
                purpose,
                basis.consent_id,
                why,
                now,
                {"reason": "obligation"},
            )
            raise WithdrawalRefused(subject_id, purpose, why, ground="obligation", source=source)
        which = basis_store.where_basis(subject_id, purpose, BasisKind.CONSENT)
        before = BASIS_STATE_ROWS.digests(conn, which, lock=True)
        basis_store.set_consent_state(conn, subject_id, purpose, State.WITHDRAWN, now)
        rows = BASIS_STATE_ROWS.changes(conn, before, which)
        self._append(
            conn, actor, "consent.withdraw", subject_id, purpose, basis.consent_id, reason, now,
            {}, rows,
        )  # fmt: skip

    def expire_due(self, conn: Connection, actor: Actor, at: datetime | None = None) -> int:
        """Record the expiry of every live consent past its term (idempotent)."""
        now = at or datetime.now(UTC)
        due = basis_store.live_consents_due(conn, now)
        for sid, purpose, cid in due:
            which = basis_store.where_basis(sid, purpose, BasisKind.CONSENT)
            before = BASIS_STATE_ROWS.digests(conn, which, lock=True)
            basis_store.set_consent_state(conn, sid, purpose, State.EXPIRED, now)
            rows = BASIS_STATE_ROWS.changes(conn, before, which)
            self._append(
                conn, actor, "consent.expire", sid, purpose, cid, "term ended", now, {}, rows
            )
        return len(due)

    # -- other bases --------------------------------------------------------------------

    def record_basis(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        purpose: str,
        kind: BasisKind,
        reference: str,
        *,
        until: datetime | None = None,
        obligation: bool = False,
    ) -> None:
        """A contract (e.g. a loan agreement, an obligation to the operator) or a legal
        ground recorded for a purpose (policy 6.1)."""
        now = datetime.now(UTC)
        which = basis_store.where_basis(subject_id, purpose, kind)
        before = BASIS_STATE_ROWS.digests(conn, which, lock=True)
        basis_store.put_basis(
            conn,
            subject_id,
            purpose,
            kind,
            State.LIVE,
            now,
            until,
            None,
            reference=reference,
            obligation=obligation,
        )
        self._append(
            conn,
            actor,
            "basis.record",
            subject_id,
            purpose,
            None,
            reference,
            now,
            {"kind": kind.value, "obligation": obligation},
            BASIS_STATE_ROWS.changes(conn, before, which),
        )

    def end_basis(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        purpose: str,
        kind: BasisKind,
        reason: str,
    ) -> None:
        now = datetime.now(UTC)
        which = basis_store.where_basis(subject_id, purpose, kind)
        before = BASIS_STATE_ROWS.digests(conn, which, lock=True)
        basis_store.put_basis(conn, subject_id, purpose, kind, State.ENDED, now, None, None)
        rows = BASIS_STATE_ROWS.changes(conn, before, which)
        self._append(
            conn, actor, "basis.end", subject_id, purpose, None, reason, now,
            {"kind": kind.value}, rows,
        )  # fmt: skip

    # -- internals ----------------------------------------------------------------------

    def _fields(self, conn: Connection, actor: Actor, req: ConsentRequest) -> tuple[str, ...]:
        """The exact data the consent covers (Art. 8 p.4): what the request names, within
        what its purpose may use (the transfer consent: the purpose its transfers are made
        under), else all of that; a field beyond it is refused, audited."""
        used = TRANSFER_PURPOSE if req.purpose == TRANSFER else req.purpose
        allowed = self.catalogue.purpose(used).fields
        if req.fields is None:
            return tuple(sorted(allowed))
        outside = sorted(set(req.fields) - allowed)
        if outside:
            exc = FieldNotInPurpose(outside, used)
            self.audit.append(
                conn,
                Event("refuse", actor.id, subject_id=req.subject_id, purpose=req.purpose,
                      detail={"role": actor.role, "op": "consent.grant", "code": exc.code}),
            )  # fmt: skip
            raise exc
        return tuple(sorted(set(req.fields)))

    def _may_block(self, purpose: str) -> bool:
        if not self.law.withdrawal_blocked_by_obligation or purpose == TRANSFER:
            return False
        p = self.catalogue.purpose(purpose)
        return p.legal_basis is LegalBasis.CONTRACT and not p.marketing

    def _obligation(self, conn: Connection, subject_id: str, at: datetime) -> str | None:
        for ref, st, until in basis_store.obligations_of(conn, subject_id):
            if effective_state(st, until, at) is State.LIVE:
                return str(ref or "contract")
        return None

    def _store_text(self, conn: Connection, text: str, language: str, now: datetime) -> str:
        digest = hashlib.sha256(text.encode()).hexdigest()
        store.ensure_text(conn, digest, language, text, now)
        return digest

    def _append(
        self,
        conn: Connection,
        actor: Actor,
        kind: str,
        subject_id: str,
        purpose: str,
        consent_id: str | None,
        reason: str | None,
        at: datetime,
        detail: dict[str, object],
        rows: RowChanges | None = None,
    ) -> None:
        """The ledger's event and the audit event; ``rows``: the security rows it changed
        (``audit/rows.py``)."""
        if rows:
            detail = {**detail, "rows": rows}
        store.append_event(
            conn,
            consent_id=consent_id,
            subject_id=subject_id,
            purpose=purpose,
            kind=kind.partition(".")[2],
            at=at,
            actor=actor.id,
            reason=reason,
        )
        self.audit.append(
            conn,
            Event(
                kind,
                actor.id,
                subject_id=subject_id,
                purpose=purpose,
                detail={"role": actor.role, "consent": consent_id, **detail},
                at=at,
            ),
        )
