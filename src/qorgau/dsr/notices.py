"""Notices to the person about their request: the motivated notice of an extended term
(RF 152-FZ Art. 20: the answer may take 5 more working days, the reasons given).

The notice goes through the same :class:`Notifier` as the transfer notices (the container
passes the one it built: the development outbox by default), to the first contact the
person has, read through the gate under the subject-request purpose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from qorgau.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_date, t
from qorgau.intake.otp import OtpUndeliverable
from qorgau.law.profiles import Term
from qorgau.security.actors import Actor
from qorgau.vault.gate import SUBJECT_REQUEST, Gate

#: Contacts tried in this order; the first the person has and the notifier reaches is used.
CHANNELS: tuple[str, ...] = ("phone", "email")


class Notifier(Protocol):
    """Delivers a notice (``qorgau.transfers.notices.Notifier``): ``channel`` is ``phone``
    or ``email``, ``address`` the contact; raises ``OtpUndeliverable`` for a channel it
    lacks."""

    def notify(
        self,
        channel: str,
        address: str,
        text: str,
        language: str,
        *,
        reference: str,
        kind: str = ...,
    ) -> None: ...


def extension_text(
    language: str, *, operator: str, reference: str, term: Term, due: datetime, reason: str
) -> str:
    """The motivated notice: the request, the extension and its article, the new deadline
    (its date in the operator's zone) and the reasons."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return t(
        lang,
        "requests.extension.notice",
        operator=operator,
        reference=reference,
        extension=t(lang, f"unit.{term.unit.value}", n=term.extension),
        source=term.source,
        due=format_date(due.date(), lang, "yyyy-MM-dd"),
        reason=reason,
    )


def contacts(conn: Connection, gate: Gate, actor: Actor, subject_id: str) -> dict[str, str]:
    """The person's contacts a notice may go to, read through the gate under the
    subject-request purpose (an audited read; a refusal leaves as the gate raised it)."""
    return dict(gate.read(conn, actor, subject_id, SUBJECT_REQUEST, list(CHANNELS)).values)


def deliver(
    notifier: Notifier | None,
    to: dict[str, str],
    text: str,
    language: str,
    *,
    reference: str,
    kind: str,
) -> str | None:
    """Send ``text`` to the first contact of ``to`` the notifier reaches; the channel used,
    or None when none could be reached (none on file, or none the notifier delivers to)."""
    if notifier is None:
        return None
    for channel in CHANNELS:
        if channel not in to:
            continue
        try:
            notifier.notify(channel, to[channel], text, language, reference=reference, kind=kind)
        except OtpUndeliverable:
            continue
        return channel
    return None
