"""The transfer rule at the moment of each disclosure to a recipient (policy 6.2, 6.3, 6.5):
the gate's last step (``vault.model.TransferRule``), on the registry entry and the
subject's transfer consent as they are then (``transfers.model.check_transfer``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from qorgau.catalog import Catalogue
from qorgau.consent.ledger import Ledger
from qorgau.law.calendar import WorkingCalendar
from qorgau.transfers.model import (
    Reason,
    Recipient,
    RecipientNotFound,
    TransferConsent,
    TransferRefused,
    check_transfer,
)
from qorgau.transfers.registry import Registry
from qorgau.transfers.store import recipients as recipient_store

_PREFETCH = "qorgau.transfer-rule.prefetch"


@dataclass(frozen=True, slots=True)
class _Prefetched:
    recipients: dict[str, Recipient]
    subjects: frozenset[str]
    consents: dict[str, TransferConsent]


class TransferRule:
    def __init__(
        self,
        *,
        registry: Registry,
        ledger: Ledger,
        catalogue: Catalogue,
        calendar: WorkingCalendar,
        home_country: str,
    ) -> None:
        self.registry = registry
        self.ledger = ledger
        self.catalogue = catalogue
        self.calendar = calendar
        self.home_country = home_country

    def consent(self, conn: Connection, subject_id: str, at: datetime) -> TransferConsent | None:
        batch: _Prefetched | None = conn.info.get(_PREFETCH)
        if batch is not None and subject_id in batch.subjects:
            return batch.consents.get(subject_id)
        got = self.ledger.transfer_consent(conn, subject_id, at)
        return None if got is None else TransferConsent(*got)

    def _entry(self, conn: Connection, code: str) -> Recipient:
        batch: _Prefetched | None = conn.info.get(_PREFETCH)
        if batch is not None and code in batch.recipients:
            return batch.recipients[code]
        return self.registry.recipient(conn, code)

    @contextmanager
    def prefetched(
        self, conn: Connection, subject_ids: Sequence[str], codes: Sequence[str], at: datetime
    ) -> Iterator[None]:
        """For a batch that opens many leads in one transaction (the dispatcher, a partner's
        pull, a lead routed to several partners): the registry entries and the transfer
        consents the rule needs are read once, in this transaction, and :meth:`check` uses
        them for each lead. Outside the block nothing is kept."""
        entries = recipient_store.recipients_by_codes(conn, sorted(set(codes)))
        consents = self.ledger.transfer_consents(conn, subject_ids, at)
        conn.info[_PREFETCH] = _Prefetched(
            recipients={r.code: r for r in entries},
            subjects=frozenset(subject_ids),
            consents={sid: TransferConsent(*got) for sid, got in consents.items()},
        )
        try:
            yield
        finally:
            conn.info.pop(_PREFETCH, None)

    def check(
        self,
        conn: Connection,
        subject_id: str,
        recipient: str,
        purpose: str,
        fields: tuple[str, ...],
        at: datetime,
        *,
        subject_active: bool,
        legal_ground: str | None,
    ) -> tuple[str, str]:
        """The gate's last step for every disclosure to a recipient (``vault.TransferRule``):
        the rule of :func:`~qorgau.transfers.model.check_transfer` on the registry entry and
        the subject's transfer consent as they are at ``at``."""
        try:
            to = self._entry(conn, recipient)
        except RecipientNotFound:
            # Consented to, but not (or no longer) in the registry: no agreement to pass under.
            raise TransferRefused(Reason.NO_AGREEMENT, recipient) from None
        consent = None if legal_ground else self.consent(conn, subject_id, at)
        basis = check_transfer(
            to,
            purpose=purpose,
            fields=fields,
            purpose_fields=self.catalogue.purpose(purpose).fields,
            subject_active=subject_active,
            consent=consent,
            legal_ground=legal_ground,
            home_country=self.home_country,
            on=self.calendar.local(at).date(),
        )
        return basis.kind, basis.reference
