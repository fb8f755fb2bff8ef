"""Domain errors. One handler maps them to problem+json (web) and exit codes (CLI).

Messages name fields, purposes, roles and reason codes; never a personal value.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    #: Stable, documented problem type (``/problems/<code>``).
    code: ClassVar[str] = "domain-error"
    #: invalid | forbidden | not_found | conflict | rate_limited | integrity
    kind: ClassVar[str] = "invalid"
    title: ClassVar[str] = "Request refused"

    def problem_reason(self) -> str | None:
        """The reason code a refusal names as a problem member (``None``: not a refusal)."""
        return None

    def problem_detail(self) -> str:
        return str(self)


class Refusal(DomainError):
    """The gate refused an operation: nothing changed but the audit event of the refusal.

    A unit of work commits when a refusal leaves it, so the refusal's audit event stays
    (DESIGN 2) while no data changes.
    """

    kind = "forbidden"
    title = "Refused by the gate"

    def problem_reason(self) -> str | None:
        return self.code
