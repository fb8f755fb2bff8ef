"""Notices of transfers to the people whose data was passed (LAW.md Art. 19: where the
consent provides for it, within 10 working days under the KZ profile).

A notice names the organisation, the date, the purpose and the kinds of data (labels, never
values), in the language of the person's transfer consent. It goes through a
:class:`Notifier`; the development notifier appends to the same private outbox file as the
one-time codes, with the contact masked.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue
from qorgau.consent.ledger import Ledger
from qorgau.errors import DomainError
from qorgau.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_date, t
from qorgau.intake.otp import OtpUndeliverable, mask
from qorgau.security import actors
from qorgau.transfers.service import Transfers
from qorgau.transfers.store import transfers as transfer_store
from qorgau.vault.gate import Gate

#: Contacts tried in this order; the first the subject has is used.
CHANNELS: tuple[str, ...] = ("phone", "email")


class Notifier(Protocol):
    """Delivers a notice to a person. ``channel`` is ``phone`` or ``email``; ``address``
    the normalised contact; ``kind`` what the notice is (``transfer_notice``, or a
    request's ``request_extension``). Raises :class:`OtpUndeliverable` for a channel it
    lacks."""

    def notify(
        self,
        channel: str,
        address: str,
        text: str,
        language: str,
        *,
        reference: str,
        kind: str = "transfer_notice",
    ) -> None: ...


class DevNotifier:
    """Appends notices to the development outbox (mode 0600), the contact masked."""

    def __init__(self, path: Path, *, echo: bool = False) -> None:
        self.path = path
        self.echo = echo
        self._lock = threading.Lock()

    def notify(
        self,
        channel: str,
        address: str,
        text: str,
        language: str,
        *,
        reference: str,
        kind: str = "transfer_notice",
    ) -> None:
        line = json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "kind": kind,
                "channel": channel,
                "to_masked": mask(channel, address),
                "text": text,
                "reference": reference,
                "language": language,
            },
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with open(fd, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        if self.echo:
            what = kind.replace("_", " ")
            print(f"qorgau outbox: {what} {reference}", file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class NoticeRun:
    sent: int
    #: Subjects with no contact on file, or destroyed/blocked since: closed, not sent.
    unreachable: int


def notice_text(
    catalogue: Catalogue,
    language: str,
    *,
    operator: str,
    site: str,
    recipient: str,
    purpose: str,
    fields: tuple[str, ...],
    at: datetime,
) -> str:
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    labels = ", ".join(
        catalogue.field(f).labels.get(lang, f) for f in fields if f in catalogue.fields
    )
    return t(
        lang,
        "transfers.notice",
        operator=operator,
        date=format_date(at.date(), lang, "yyyy-MM-dd"),
        fields=labels,
        recipient=recipient,
        purpose=catalogue.purpose(purpose).labels.get(lang, purpose),
        site=site,
    )


class NoticeLog:
    """Which notices are due, and each one sent (or found unreachable), audited."""

    def __init__(self, *, ledger: Ledger, audit: AuditLog) -> None:
        self.ledger = ledger
        self.audit = audit

    def due(self, conn: Connection, limit: int = 500) -> list[transfer_store.NoticeDue]:
        """(transfer id, subject id) of notices not sent yet, earliest deadline first."""
        return transfer_store.notices_due(conn, limit)

    def consent_language(self, conn: Connection, consent_id: str) -> str:
        return self.ledger.language_of(conn, consent_id)

    def mark_sent(
        self, conn: Connection, transfer_id: str, subject_id: str, channel: str | None
    ) -> None:
        now = datetime.now(UTC)
        transfer_store.mark_notice_sent(conn, transfer_id, now, channel)
        self.audit.append(
            conn,
            Event("transfer.notice", actors.WORKER.id, subject_id=subject_id,
                  detail={"transfer": transfer_id, "channel": channel or "none"}, at=now),
        )  # fmt: skip


def send_due(
    conn: Connection,
    notices: NoticeLog,
    transfers: Transfers,
    gate: Gate,
    notifier: Notifier,
    *,
    operator: str,
    site: str,
    limit: int = 500,
) -> NoticeRun:
    """Send the notices not sent yet, earliest deadline first; each is marked and audited."""
    sent = unreachable = 0
    for transfer_id, subject_id in notices.due(conn, limit):
        view = transfers.get(conn, transfer_id)
        language = notices.consent_language(conn, view.basis_reference)
        channel: str | None = None
        try:
            contacts = gate.read(conn, actors.WORKER, subject_id, "contract", list(CHANNELS)).values
        except DomainError:
            contacts = {}
        text = notice_text(
            transfers.catalogue, language, operator=operator, site=site,
            recipient=view.recipient_name, purpose=view.purpose, fields=view.fields, at=view.at,
        )  # fmt: skip
        for candidate in CHANNELS:
            if candidate not in contacts:
                continue
            try:
                notifier.notify(
                    candidate, contacts[candidate], text, language, reference=transfer_id
                )
            except OtpUndeliverable:
                continue
            channel = candidate
            break
        notices.mark_sent(conn, transfer_id, subject_id, channel)
        if channel is None:
            unreachable += 1
        else:
            sent += 1
    return NoticeRun(sent, unreachable)
