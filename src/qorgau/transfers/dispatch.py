"""Webhook delivery of the outbox (policy 6.2, 6.4; DESIGN: scale-out).

The transfer service writes an outbox row in the transaction that records a transfer. The
:class:`Dispatcher` delivers the rows of webhook partners, one batch at a time:

1. **claim** (one transaction): due pending rows, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so
   several workers share the queue (SQLite has one writer anyway); each row is leased
   (``next_at`` moves a lease ahead, ``attempts`` + 1), so a crashed worker's rows come back
   by themselves. The payloads are opened by the gate (audited ``retrieve``), after checking
   that the subject is still active and its transfer consent still names the partner.
2. **post**: each body signed (timestamp, HMAC-SHA256 per live secret, ``Idempotency-Key`` =
   transfer id, so a partner drops the duplicate a lease expiry may cause), posted
   concurrently over keep-alive connections with the configured timeout.
3. **record** (one short transaction): delivered rows lose their payload (data
   minimisation) and their transfer becomes ``delivered``; failures are retried with
   exponential backoff and full jitter, and dead-lettered after ``delivery_max_attempts``.
   One audit event per row, appended in bulk; details hold ids, attempt and an error code
   (``http 503``, ``timeout``, ``connect``, ``io``), never a value or a response body.

The HTTP client is :class:`~qorgau.transfers.webhook_client.WebhookClient`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.consent.ledger import Ledger
from qorgau.db import Database
from qorgau.errors import DomainError
from qorgau.security import actors
from qorgau.security.actors import Actor
from qorgau.transfers.delivery import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    backoff,
    payload_matches,
    signature_header,
    withheld,
)
from qorgau.transfers.model import endpoint_problem, refusal_code
from qorgau.transfers.registry import Registry
from qorgau.transfers.rule import TransferRule
from qorgau.transfers.store import OUTBOX_ROWS, outbox
from qorgau.transfers.store import deliveries as delivery_store
from qorgau.transfers.webhook_client import Posted, WebhookClient
from qorgau.vault.gate import Gate, SealedExtra

log = logging.getLogger("qorgau.dispatch")
T = TypeVar("T")

#: The actor deliveries are opened and recorded as: each one a disclosure to its partner.
DISPATCHER = actors.DISPATCHER
#: How long a claimed row stays invisible to other workers.
LEASE = timedelta(seconds=60)


# -- the dispatcher -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Item:
    oid: int
    transfer_id: str
    subject_id: str
    recipient: str
    key: str
    attempt: int  # this attempt, 1-based (after the claim's increment)
    endpoint: str
    payload: bytes | None
    purpose: str = ""
    fields: tuple[str, ...] = ()
    body: bytes | None = None
    #: Set when the row may not be delivered at all (a code, e.g. "subject-destroyed").
    refused: str | None = None
    #: A failure before posting that is worth retrying (e.g. "no-secret").
    error: str | None = None
    secrets: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class BatchResult:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    #: Seconds spent in each phase (claim+open, sign, post, record).
    timings: dict[str, float] = field(default_factory=dict)


class Dispatcher:
    """Delivers due webhook outbox rows; use as a context manager (it owns an event loop
    and a keep-alive connection pool)."""

    def __init__(
        self,
        *,
        db: Database,
        gate: Gate,
        registry: Registry,
        rule: TransferRule,
        ledger: Ledger,
        audit: AuditLog,
        max_attempts: int = 8,
        timeout: float = 10.0,
        batch_size: int = 500,
        concurrency: int = 64,
        lease: timedelta = LEASE,
        actor: Actor = DISPATCHER,
        rand: Callable[[], float] = random.random,
        ssl_context: Any = None,
    ) -> None:
        self.db = db
        self.gate = gate
        self.registry = registry
        self.rule = rule
        self.ledger = ledger
        self.audit = audit
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.lease = lease
        self.actor = actor
        self.rand = rand
        self.client = WebhookClient(
            concurrency=concurrency, timeout=timeout, ssl_context=ssl_context
        )
        # The loop runs in its own thread: the dispatcher works the same whether its caller
        # is plain code, a worker, or a thread that already runs a loop of its own.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="qorgau-dispatch", daemon=True
        )
        self._thread.start()
        self.timings: dict[str, float] = defaultdict(float)

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _await(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._await(self.client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    # -- the loop ---------------------------------------------------------------------------

    def run(self, *, max_batches: int = 20, now: datetime | None = None) -> int:
        """Deliver batches until no row is due (or ``max_batches``); rows handled (delivered,
        failed or dead)."""
        total = 0
        for _ in range(max_batches):
            result = self.run_once(now=now)
            total += result.claimed
            if result.claimed < self.batch_size:
                break
        return total

    def run_once(self, *, now: datetime | None = None) -> BatchResult:
        """One batch: claim and open, sign, post, record. ``now`` decides what is due and
        when retries fall due (tests pass a later time instead of waiting)."""
        at = now or datetime.now(UTC)
        result = BatchResult()
        t0 = time.perf_counter()
        with self.db.unit_of_work() as conn:
            items = self._claim(conn, at)
            if items:
                self._open(conn, items, at)
        result.claimed = len(items)
        if not items:
            return result
        t1 = time.perf_counter()
        requests, posting = self._sign(items)
        t2 = time.perf_counter()
        posted = self._await(self.client.post_all(requests)) if requests else []
        t3 = time.perf_counter()
        outcomes: dict[int, Posted] = dict(zip(posting, posted, strict=True))
        with self.db.unit_of_work() as conn:
            self._record(conn, items, outcomes, now or datetime.now(UTC), result)
        t4 = time.perf_counter()
        result.timings = {"open": t1 - t0, "sign": t2 - t1, "post": t3 - t2, "record": t4 - t3}
        for k, v in result.timings.items():
            self.timings[k] += v
        log.debug(
            "delivery batch: %d claimed, %d delivered, %d failed, %d dead",
            result.claimed, result.delivered, result.failed, result.dead,
        )  # fmt: skip
        return result

    # -- claim ------------------------------------------------------------------------------

    def _claim(self, conn: Connection, at: datetime) -> list[_Item]:
        rows = delivery_store.due_webhook_rows(conn, at, self.batch_size)
        if not rows:
            return []
        delivery_store.lease(conn, [r.oid for r in rows], at + self.lease)
        items = []
        for oid, tid, sid, code, key, attempts, payload, endpoint, purpose, fields in rows:
            item = _Item(
                int(oid), tid, sid, code, key, int(attempts) + 1, endpoint or "",
                bytes(payload) if payload is not None else None,
                purpose, tuple(orjson.loads(fields)),
            )  # fmt: skip
            if payload is None:
                item.refused = "no-payload"
            elif endpoint_problem(
                item.endpoint, allow_loopback=self.registry.allow_loopback_webhooks
            ):
                # Registered before https was required, or aimed at a private address:
                # nothing is posted there; kept for staff once the endpoint is fixed.
                item.refused = "endpoint-not-allowed"
            items.append(item)
        return items

    def _open(self, conn: Connection, items: list[_Item], at: datetime) -> None:
        """Open each lead through the gate as a disclosure to its partner: the whole
        decision and the transfer rule at this moment (policy 6.2, 6.5-6.7). What the rule
        refuses is withheld, never posted."""
        live = [i for i in items if not (i.refused or i.error)]
        with self.rule.prefetched(
            conn, [i.subject_id for i in live], [i.recipient for i in live], at
        ):
            self._open_each(conn, live, at)

    def _open_each(self, conn: Connection, items: list[_Item], at: datetime) -> None:
        opened = self.gate.open_extras(
            conn,
            self.actor,
            [
                SealedExtra(i.subject_id, f"outbox:{i.transfer_id}", i.payload or b"",
                            i.purpose, i.fields, i.recipient)
                for i in items
            ],
        )  # fmt: skip
        secrets: dict[str, list[bytes]] = {}
        for item, got in zip(items, opened, strict=True):
            if isinstance(got, DomainError):
                item.refused = refusal_code(got)  # subject-destroyed, no-consent, ...
                continue
            doc = orjson.loads(got)
            if not payload_matches(doc, transfer_id=item.transfer_id, recipient=item.recipient,
                                   purpose=item.purpose, fields=item.fields):  # fmt: skip
                item.refused = "payload-mismatch"
                continue
            item.body = got
            if item.recipient not in secrets:
                secrets[item.recipient] = self.registry.signing_secrets(conn, item.recipient, at)
            item.secrets = secrets[item.recipient]
            if not item.secrets:
                item.error = "no-secret"
                item.body = None

    # -- sign -------------------------------------------------------------------------------

    def _sign(
        self, items: list[_Item]
    ) -> tuple[list[tuple[str, list[tuple[str, str]], bytes]], list[int]]:
        ts = int(time.time())
        stamp = str(ts)
        requests: list[tuple[str, list[tuple[str, str]], bytes]] = []
        posting: list[int] = []
        for item in items:
            if item.body is None:
                continue
            headers = [
                ("Content-Type", "application/json"),
                (TIMESTAMP_HEADER, stamp),
                (SIGNATURE_HEADER, signature_header(item.secrets, ts, item.body)),
                (IDEMPOTENCY_HEADER, item.key),
            ]
            requests.append((item.endpoint, headers, item.body))
            posting.append(item.oid)
        return requests, posting

    # -- record -----------------------------------------------------------------------------

    def _record(
        self,
        conn: Connection,
        items: list[_Item],
        outcomes: dict[int, Posted],
        at: datetime,
        result: BatchResult,
    ) -> None:
        # The rows as they are now, held until commit: each event carries its row's change.
        which = outbox.c.id.in_([item.oid for item in items])
        before = OUTBOX_ROWS.digests(conn, which, lock=True)
        delivered: list[int] = []
        delivered_t: list[str] = []
        retry: list[delivery_store.Retry] = []
        dead: list[tuple[int, str, bool]] = []  # (outbox id, error code, clear the payload)
        dead_t: list[tuple[str, str]] = []  # (transfer id, its status)
        events: list[Event] = []
        for item in items:
            got = outcomes.get(item.oid)
            detail: dict[str, Any] = {
                "transfer": item.transfer_id,
                "recipient": item.recipient,
                "attempt": item.attempt,
            }
            if got is not None and got.ok:
                delivered.append(item.oid)
                delivered_t.append(item.transfer_id)
                detail["status"] = got.status
                events.append(self._event("transfer.delivered", item, detail, at))
                result.delivered += 1
                continue
            if item.refused is not None:
                code = item.refused
                # A block may be lifted, an agreement renewed: then staff retry it.
                keep, _status = withheld(code)
            else:
                code = got.code if got is not None else (item.error or "not-sent")
                keep = True
            if got is not None and got.status is not None:
                detail["status"] = got.status
            detail["error"] = code
            if item.refused is None and item.attempt < self.max_attempts:
                delay = backoff(item.attempt, self.rand())
                retry.append(delivery_store.Retry(item.oid, item.attempt, at + delay, code))
                events.append(self._event("transfer.failed", item, detail, at))
                result.failed += 1
                continue
            dead.append((item.oid, code, not keep))
            # A lead the rule stopped before it left (destroyed, no consent) never reached the
            # partner: its transfer reads "withheld", not "dead", in the subject's log.
            gone = item.refused is not None and not keep
            dead_t.append((item.transfer_id, "withheld" if gone else "dead"))
            events.append(self._event("transfer.dead", item, detail, at))
            result.dead += 1
        if delivered:
            delivery_store.mark_delivered(conn, delivered, delivered_t, at)
        if retry:
            delivery_store.reschedule(conn, retry)
        if dead:
            cleared = [(oid, err) for oid, err, clear in dead if clear]
            kept = [(oid, err) for oid, err, clear in dead if not clear]
            for rows, clear in ((cleared, True), (kept, False)):
                if rows:
                    delivery_store.mark_dead(conn, rows, clear_payload=clear)
            delivery_store.set_queued_status(conn, dead_t)
        changed = OUTBOX_ROWS.changes(conn, before, which)
        keys = [OUTBOX_ROWS.key({"transfer_id": ev.detail["transfer"]}) for ev in events]
        events = [
            replace(ev, detail={**ev.detail, "rows": {k: changed[k]}}) if k in changed else ev
            for ev, k in zip(events, keys, strict=True)
        ]
        self.audit.append_many(conn, events)

    def _event(self, action: str, item: _Item, detail: dict[str, Any], at: datetime) -> Event:
        return Event(
            action,
            self.actor.id,
            subject_id=item.subject_id,
            detail={"role": self.actor.role, **detail},
            at=at,
        )
