"""Data-subject request domain: kinds, states and the transitions between them. Pure.

A request is received (the deadline clock starts), its requester's identity is verified
(a one-time code to a contact the operator already holds), staff act on it, and it is
answered or refused with a reason, then closed (policy 4.2.1; LAW.md Art. 25).
"""

from __future__ import annotations

from enum import StrEnum

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


class PayloadRequired(DomainError):
    code = "request-payload-required"

    def __init__(self, request_id: str, what: str) -> None:
        super().__init__(f"request {request_id} needs {what} before it can be answered")
