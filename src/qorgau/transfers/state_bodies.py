"""State bodies' requests (policy 6.3): the request recorded with its reference and legal
ground, and the disclosure made under it, one transfer per subject with the law as basis."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.errors import DomainError
from qorgau.security.access import AccessPolicy
from qorgau.security.actors import Actor
from qorgau.transfers.model import Kind, TransferView
from qorgau.transfers.registry import Registry, require_manager
from qorgau.transfers.service import LEAD_PURPOSE, Transfers
from qorgau.transfers.store import transfers as transfer_store
from qorgau.vault.gate import Gate


class InvalidStateRequest(DomainError):
    code = "invalid-state-request"


class StateBodies:
    def __init__(
        self,
        *,
        transfers: Transfers,
        registry: Registry,
        gate: Gate,
        access: AccessPolicy,
        audit: AuditLog,
    ) -> None:
        self.transfers = transfers
        self.registry = registry
        self.gate = gate
        self.access = access
        self.audit = audit

    def request(
        self,
        conn: Connection,
        actor: Actor,
        *,
        body: str,
        reference: str,
        legal_ground: str,
        received_on: date,
        subjects: Sequence[str],
        fields: Sequence[str],
        purpose: str = LEAD_PURPOSE,
    ) -> tuple[str, list[TransferView]]:
        """Record a state body's request (its reference and legal ground) and the disclosure
        made under it: one transfer per subject, with the law as basis."""
        require_manager(conn, self.access, self.audit, actor, "state_request")
        to = self.registry.recipient(conn, body)
        problems = []
        if to.kind is not Kind.STATE_BODY:
            problems.append(f"recipient '{body}' is not a state body")
        if not reference.strip() or len(reference) > 200:
            problems.append("reference: the request's number and date, 1-200 characters")
        if not legal_ground.strip() or len(legal_ground) > 500:
            problems.append("legal_ground: the law and article, 1-500 characters")
        if not subjects:
            problems.append("subjects: at least one")
        if not fields:
            problems.append("fields: at least one")
        if problems:
            raise InvalidStateRequest("; ".join(problems))
        now = datetime.now(UTC)
        ground = f"{legal_ground.strip()} ({reference.strip()})"[:300]
        wanted = tuple(fields)
        # Every subject first: one refusal leaves nothing recorded but its audit event.
        for sid in dict.fromkeys(subjects):
            self.gate.may_disclose(conn, actor, sid, to.code, purpose, wanted, legal_ground=ground)
        rid = secrets.token_hex(16)
        transfer_store.insert_state_request(
            conn, rid, body=body, reference=reference.strip(),
            legal_ground=legal_ground.strip(), received_on=received_on, at=now, actor=actor.id,
        )  # fmt: skip
        self.audit.append(
            conn,
            Event("state_request", actor.id, detail={"role": actor.role, "request": rid,
                                                     "recipient": body,
                                                     "subjects": len(subjects)}, at=now),
        )  # fmt: skip
        views = [
            self.transfers.disclose(
                conn, actor, sid, to, purpose, wanted, legal_ground=ground, now=now,
                state_request_id=rid,
            )
            for sid in dict.fromkeys(subjects)
        ]  # fmt: skip
        return rid, views
