"""Audit events: plain data and their canonical encoding (DESIGN 2, 3).

An event never carries personal data: subject ids are random, fields are named by code,
and ``detail`` holds counts, reason codes and digests only.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

#: The operations of the policy's vocabulary (appendix: processing) plus system actions.
ACTIONS = frozenset(
    {
        "collect",
        "record",
        "clarify",
        "retrieve",
        "search",
        "use",
        "transfer",
        "depersonalise",
        "block",
        "unblock",
        "delete",
        "destroy",
        "refuse",
        "export",
        "import",
        "login",
        "logout",
        "staff.create",
        "staff.disable",
        "key.create",
        "key.revoke",
        "key.rotate",
        "key.legacy-tag",
        "vault.reseal",
        "audit.verify",
        "audit.checkpoint",
        "init",
        "rows.baseline",
        "consent.grant",
        "consent.withdraw",
        "consent.expire",
        "consent.refuse",
        "basis.record",
        "basis.end",
        "policy.publish",
        "request.received",
        "request.verified",
        "request.started",
        "request.answered",
        "request.refused",
        "request.closed",
        "request.restricted",
        "restriction.set",
        "restriction.lift",
        "request.due_soon",
        "request.overdue",
        "request.extended",
        "request.extension_notice",
        "recategorise",
        "duplicate.flag",
        "duplicate.resolve",
        "recipient.register",
        "recipient.update",
        "recipient.secret",
        "transfer.delivered",
        "transfer.failed",
        "transfer.dead",
        "transfer.retry",
        "transfer.fetched",
        "transfer.acknowledged",
        "transfer.outcome",
        "transfer.notice",
        "state_request",
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    actor: str
    subject_id: str | None = None
    purpose: str | None = None
    fields: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)
    #: Digest of the subject's stored state after the change (vault reconciliation).
    state: bytes | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown audit action {self.action!r}")

    def body(self) -> bytes:
        doc: dict[str, Any] = {"a": self.action, "at": self.at.isoformat(), "by": self.actor}
        if self.subject_id is not None:
            doc["s"] = self.subject_id
        if self.purpose is not None:
            doc["p"] = self.purpose
        if self.fields:
            doc["f"] = list(self.fields)
        if self.detail:
            doc["d"] = self.detail
        if self.state is not None:
            doc["st"] = self.state.hex()
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def partition_of(subject_id: str | None, actor: str, partitions: int) -> int:
    """Events of one subject share a chain; others spread by actor."""
    if subject_id is not None:
        return zlib.crc32(subject_id.encode()) % partitions
    return zlib.crc32(actor.encode()) % partitions
