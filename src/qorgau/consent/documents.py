"""Produce a consent's document (``consent.document``) for a reader: the ledger's record,
its text and history, and the full name opened through the gate under the purpose the
reader names (DESIGN 1: opening a sealed box is a disclosure, audited; a refusal is
audited too and leaves the name out, saying so)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.consent.document import (
    NAME_NOT_RECORDED,
    NAME_SHOWN,
    NAME_WITHHELD,
    consent_document,
)
from qorgau.consent.ledger import Ledger
from qorgau.consent.model import NAME_FIELDS, NAME_LABEL, FullName
from qorgau.errors import Refusal
from qorgau.security.actors import Actor
from qorgau.vault.gate import Gate


def produce(
    conn: Connection,
    actor: Actor,
    *,
    ledger: Ledger,
    gate: Gate,
    subject_id: str,
    consent_id: str,
    purpose: str,
    recipient_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The document of the subject's consent ``consent_id`` (``ConsentNotFound`` if the
    subject has no such consent), its full name opened as ``actor`` under ``purpose``."""
    view = ledger.consent(conn, subject_id, consent_id)
    name: FullName | None = None
    state = NAME_NOT_RECORDED
    blob = ledger.sealed_name(conn, subject_id, consent_id)
    if blob is not None:
        try:
            plain = gate.open_extra(
                conn, actor, subject_id, f"{NAME_LABEL}:{consent_id}", blob,
                purpose=purpose, fields=NAME_FIELDS,
            )  # fmt: skip
        except Refusal:
            # Refused for this reader (audited by the gate), or the subject is destroyed or
            # blocked; a tampered box is an IntegrityFailure and is raised.
            state = NAME_WITHHELD
        else:
            name = FullName.of(orjson.loads(plain))
            state = NAME_SHOWN if name is not None else NAME_WITHHELD
    return consent_document(
        view,
        text=ledger.text(conn, view.text_hash),
        name=name,
        name_state=state,
        history=ledger.history(conn, subject_id),
        catalogue=ledger.catalogue,
        recipient_names=recipient_names or {},
        law=ledger.law,
        generated_at=datetime.now(UTC),
    )
