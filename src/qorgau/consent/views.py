"""What the consent ledger shows (policy 6.5, 6.6): a subject's consents, bases and history,
the consent texts, and the live transfer consents the transfer rule asks for, in batches.

The read side of :class:`qorgau.consent.ledger.Ledger`, which inherits it, so every caller
keeps asking the one ledger. States are shown as they are at read time (a live consent past
its term reads as expired, ``effective_state``), recorded or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection

from qorgau.consent import basis_store, store
from qorgau.consent.model import (
    BasisView,
    ConsentNotFound,
    ConsentView,
    LedgerEvent,
    State,
    effective_state,
)


class LedgerViews:
    """The ledger's reads; they hold no state of their own."""

    def transfer_consent(
        self, conn: Connection, subject_id: str, at: datetime
    ) -> tuple[str, frozenset[str], bool] | None:
        """The subject's live consent to transfer to third parties at ``at``: its id, the
        recipients it names and whether it allows cross-border transfer; None without one.
        Withdrawal and expiry take effect at once (policy 6.5)."""
        return self.transfer_consents(conn, [subject_id], at).get(subject_id)

    def transfer_consents(
        self, conn: Connection, subject_ids: Sequence[str], at: datetime
    ) -> dict[str, tuple[str, frozenset[str], bool]]:
        """:meth:`transfer_consent` for many subjects in one query (a batch of deliveries
        opened in one transaction); subjects without a live transfer consent are absent."""
        if not subject_ids:
            return {}
        return {
            r.subject_id: (r.consent_id, r.recipients, r.cross_border)
            for r in basis_store.transfer_consent_rows(conn, subject_ids)
            if effective_state(r.state, r.until, at) is State.LIVE
        }

    def language_of(self, conn: Connection, consent_id: str) -> str:
        """The language a consent was given in (notices follow it); ``ru`` if unknown."""
        got = store.consent_language(conn, consent_id)
        return str(got) if got else "ru"

    def consents(self, conn: Connection, subject_id: str) -> list[ConsentView]:
        now = datetime.now(UTC)
        states = {
            (c.consent_id, c.purpose): (c.state, c.until)
            for c in basis_store.consent_states(conn, subject_id)
        }
        out = []
        for r in store.consents_of(conn, subject_id):
            st, until = states.get((r.id, r.purpose), (State.ENDED, None))
            out.append(
                ConsentView(
                    id=r.id,
                    subject_id=subject_id,
                    purpose=r.purpose,
                    # A consent superseded by a later grant for the same purpose has ended.
                    state=effective_state(st, until or r.expires_at, now),
                    granted_at=r.granted_at,
                    expires_at=r.expires_at,
                    fields=r.fields,
                    recipients=r.recipients,
                    third_party_transfer=r.third_party_transfer,
                    cross_border=r.cross_border,
                    public_sources=r.public_sources,
                    operator_name=r.operator_name,
                    operator_bin=r.operator_bin,
                    text_hash=r.text_hash,
                    policy_version=r.policy_version,
                    policy_hash=r.policy_hash,
                    language=r.language,
                    channel=r.channel,
                    evidence_method=r.evidence_method,
                    has_name=r.has_name,
                    evidence_record=(
                        orjson.loads(r.evidence_record) if r.evidence_record else None
                    ),
                )
            )
        return out

    def consent(self, conn: Connection, subject_id: str, consent_id: str) -> ConsentView:
        """One of the subject's consents (:meth:`consents`), or ``ConsentNotFound``."""
        for c in self.consents(conn, subject_id):
            if c.id == consent_id:
                return c
        raise ConsentNotFound(subject_id, consent_id, what="consent")

    def sealed_name(self, conn: Connection, subject_id: str, consent_id: str) -> bytes | None:
        """The consent's full name as sealed under the subject's key (opened only through
        the gate), or None: recorded without one (before revision 0017)."""
        got = store.sealed_name(conn, consent_id)
        return got[1] if got is not None and got[0] == subject_id else None

    def history(self, conn: Connection, subject_id: str) -> list[LedgerEvent]:
        return store.events_of(conn, subject_id)

    def bases(self, conn: Connection, subject_id: str) -> list[BasisView]:
        now = datetime.now(UTC)
        return [
            BasisView(
                subject_id=subject_id,
                purpose=r.purpose,
                kind=r.kind,
                state=effective_state(r.state, r.until, now),
                since=r.since or now,
                until=r.until,
                reference=r.reference,
                obligation=r.obligation,
            )
            for r in basis_store.bases_of(conn, subject_id)
        ]

    def text(self, conn: Connection, text_hash: str) -> str | None:
        return store.text_body(conn, text_hash)
