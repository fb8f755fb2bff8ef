"""Data-subject request domain: kinds, states and the transitions between them. Pure.

A request is received (the deadline clock starts), its requester's identity is verified
(a one-time code to a contact the operator already holds), staff act on it, and it is
answered or refused with a reason, then closed (policy 4.2.1; LAW.md Art. 25).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from qorgau.errors import DomainError


class Kind(StrEnum):
    ACCESS = "access"
    RECTIFY = "rectify"
    BLOCK = "block"
    UNBLOCK = "unblock"
    DESTROY = "destroy"
    WITHDRAW_CONSENT = "withdraw_consent"


class Status(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    REFUSED = "refused"
    CLOSED = "closed"


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    PHONE = "phone"
    PAPER = "paper"
    EMAIL = "email"


#: Which deadline of the law profile runs for each kind of request (LAW.md).
DEADLINE_ACTION: dict[Kind, str] = {
    Kind.ACCESS: "access",
    Kind.RECTIFY: "rectify",
    Kind.BLOCK: "block",
    Kind.UNBLOCK: "unblock",
    Kind.DESTROY: "destroy",
    # Withdrawal is answered like an access request: the subject is told what continues.
    Kind.WITHDRAW_CONSENT: "access",
}

#: The kinds whose term the law may let the operator extend, where the profile's term has an
#: extension: the answer with the information asked for (RF 152-FZ Art. 20 p.1), not a
#: withdrawal, which takes effect at once (policy 6.5).
EXTENDABLE: frozenset[Kind] = frozenset({Kind.ACCESS})

_NEXT: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.VERIFIED, Status.REFUSED}),
    Status.VERIFIED: frozenset({Status.IN_PROGRESS, Status.ANSWERED, Status.REFUSED}),
    Status.IN_PROGRESS: frozenset({Status.ANSWERED, Status.REFUSED}),
    Status.ANSWERED: frozenset({Status.CLOSED}),
    Status.REFUSED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class InvalidRequestTransition(DomainError):
    code = "invalid-request-transition"
    kind = "conflict"
    title = "Conflict"

    def __init__(self, request_id: str, current: Status, target: Status) -> None:
        super().__init__(f"request {request_id} is {current.value}: cannot become {target.value}")


def check_transition(request_id: str, current: Status, target: Status) -> None:
    if target not in _NEXT[current]:
        raise InvalidRequestTransition(request_id, current, target)


def is_open(status: Status) -> bool:
    return status not in {Status.ANSWERED, Status.REFUSED, Status.CLOSED}


class RequestNotFound(DomainError):
    code = "request-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, request_id: str) -> None:
        super().__init__(f"no data-subject request '{request_id}'")


class RequestNotVerified(DomainError):
    code = "request-not-verified"
    kind = "conflict"
    title = "Conflict"

    def __init__(self, request_id: str) -> None:
        super().__init__(f"request {request_id}: the requester's identity is not verified yet")


class ExtensionRefused(DomainError):
    """The answer's term cannot be extended (the law profile allows no extension for it, it
    was extended already, it has run out, or the person cannot be told): nothing changes."""

    code = "request-extension-refused"
    kind = "conflict"
    title = "Conflict"

    def __init__(self, request_id: str, why: str) -> None:
        super().__init__(f"request {request_id}: the term cannot be extended: {why}")


class PayloadRequired(DomainError):
    code = "request-payload-required"

    def __init__(self, request_id: str, what: str) -> None:
        super().__init__(f"request {request_id} needs {what} before it can be answered")


def destruction_act(
    actor_id: str, role: str, subject_id: str, fields: list[str], ground: str, at: datetime
) -> dict[str, Any]:
    """Who destroyed what categories of whose data, when, on what ground and how; it names no
    destroyed value (policy 4.1, appendix: destruction)."""
    return {
        "act": "destruction",
        "at": at.isoformat(),
        "by": actor_id,
        "role": role,
        "subject": subject_id,
        "categories": sorted(fields),
        "ground": ground,
        "method": "crypto-shredding: data key, values, history and blind indexes deleted",
        "digest": hashlib.sha256(
            f"{subject_id}|{','.join(sorted(fields))}|{at.isoformat()}".encode()
        ).hexdigest(),
    }
