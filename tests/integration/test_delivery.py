"""Webhook delivery of the outbox on SQLite and PostgreSQL, against a real HTTP receiver on
loopback that verifies every signature (policy 6.2, 6.4): signed delivery end to end, retries
with backoff, dead letters and staff retry, secret rotation, idempotent duplicates after a
crashed worker, a destroyed subject's lead never leaves, and the worker job."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from sqlalchemy import select

import leakguard
from qorgau.audit.store import audit_event
from qorgau.config import Settings
from qorgau.container import Container
from qorgau.transfers.delivery import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)
from qorgau.transfers.dispatch import Dispatcher
from qorgau.transfers.store import outbox, transfer
from qorgau.worker import dispatcher, run_once
from transferkit import DPO, consent_to, partner, person


@dataclass
class Received:
    key: str
    timestamp: str
    signature: str
    body: bytes
    #: Which of the receiver's secrets verify this request's signature.
    verified: list[bool]


@dataclass
class Receiver:
    """A partner's endpoint: verifies signatures, answers from a script of statuses
    (an int, or "sleep" to outlast the dispatcher's timeout), then 200."""

    port: int = 0
    secrets: list[bytes] = field(default_factory=list)
    script: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/leads") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, headers: Any, body: bytes) -> int | str:
        now = int(time.time())
        got = Received(
            key=headers.get(IDEMPOTENCY_HEADER, ""),
            timestamp=headers.get(TIMESTAMP_HEADER, ""),
            signature=headers.get(SIGNATURE_HEADER, ""),
            body=body,
            verified=[
                verify_signature(
                    s,
                    headers.get(SIGNATURE_HEADER, ""),
                    headers.get(TIMESTAMP_HEADER, ""),
                    body,
                    now,
                )
                for s in self.secrets
            ],
        )
        with self.lock:
            self.received.append(got)
            return self.script.pop(0) if self.script else 200


def _secret(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The receiver listens on loopback: allowed only behind the development setting."""
    return settings.model_copy(update={"dev_loopback_webhooks": True})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            what = state.answer(self.headers, body)
            if what == "sleep":
                time.sleep(1.0)
                what = 200
            assert isinstance(what, int)
            self.send_response(what)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a partner's access log is not ours to keep

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def events(services: Container, action: str) -> list[dict[str, Any]]:
    with services.db.engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.body)
            .where(audit_event.c.action == action)
            .order_by(audit_event.c.at, audit_event.c.seq)
        )
        return [orjson.loads(r[0]) for r in rows]


def row_of(services: Container, tid: str) -> dict[str, Any]:
    with services.db.engine.connect() as conn:
        doc = dict(conn.execute(select(outbox).where(outbox.c.transfer_id == tid)).mappings().one())
        doc["transfer_status"], doc["delivered_at"] = conn.execute(
            select(transfer.c.status, transfer.c.delivered_at).where(transfer.c.id == tid)
        ).one()
    return doc


def setup_lead(
    services: Container, receiver: Receiver, n: int = 1, codes: tuple[str, ...] = ("mfo-a",)
) -> tuple[str, list[str]]:
    """Register webhook partners at the receiver (each with a secret), a consenting person,
    and route their lead; returns (subject id, transfer ids)."""
    with services.db.unit_of_work() as conn:
        for k, code in enumerate(codes, 1):
            services.registry.register(
                conn, DPO, partner(code, n=k, endpoint=receiver.url(f"/{code}"))
            )
            receiver.secrets.append(_secret(services.registry.rotate_secret(conn, DPO, code)))
    sid = person(services, n)
    leakguard.register(f"+7701555{n:04d}", f"transfer.{n}@example.org", "Трансферова")
    consent_to(services, sid, codes)
    with services.db.unit_of_work() as conn:
        routed = services.transfers.route_lead(conn, sid, f"L-DLV-{n}")
    return sid, list(routed.transfers)


def later(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def test_signed_delivery_end_to_end(services: Container, receiver: Receiver) -> None:
    sid, (tid,) = setup_lead(services, receiver)
    with dispatcher(services) as d:
        result = d.run_once()
        assert (result.claimed, result.delivered, result.failed, result.dead) == (1, 1, 0, 0)
        assert d.run_once().claimed == 0  # nothing left
    (got,) = receiver.received
    assert got.verified == [True]
    assert got.key == tid
    doc = orjson.loads(got.body)
    assert doc["transfer_id"] == tid
    assert doc["lead"] == "L-DLV-1"
    assert doc["recipient"] == "mfo-a"
    assert doc["data"]["phone"] == "+77015550001"
    # A tampered body or a stale timestamp does not verify.
    assert not verify_signature(
        receiver.secrets[0], got.signature, got.timestamp, got.body + b" ", int(time.time())
    )
    assert not verify_signature(
        receiver.secrets[0], got.signature, got.timestamp, got.body, int(time.time()) + 3600
    )
    row = row_of(services, tid)
    assert (row["status"], row["attempts"], row["payload"]) == ("delivered", 1, None)
    assert row["done_at"] is not None
    assert row["transfer_status"] == "delivered"
    assert row["delivered_at"] is not None
    with services.db.engine.connect() as conn:
        assert services.transfers.get(conn, tid).status == "delivered"
    (event,) = events(services, "transfer.delivered")
    assert event["s"] == sid
    rows = event["d"].pop("rows")  # the outbox row's digests (issue 13), ids only
    assert list(rows) == [f"outbox:{tid}"]
    assert event["d"] == {
        "role": "dispatcher", "transfer": tid, "recipient": "mfo-a", "attempt": 1, "status": 200,
    }  # fmt: skip
    opened = [e for e in events(services, "retrieve") if e["d"].get("sealed") == "outbox"]
    assert len(opened) == 1
    assert services.verify_audit().ok


def test_failures_back_off_then_deliver(services: Container, receiver: Receiver) -> None:
    _sid, (tid,) = setup_lead(services, receiver, 2)
    receiver.script = [500, 503]
    with dispatcher(services) as d:
        before = datetime.now(UTC)
        assert d.run_once().failed == 1
        row = row_of(services, tid)
        assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "http 500")
        assert row["payload"] is not None
        next_at = row["next_at"] if row["next_at"].tzinfo else row["next_at"].replace(tzinfo=UTC)
        # Attempt 1: full jitter within [1 s, 4 s].
        assert (
            before + timedelta(seconds=0.9) <= next_at <= datetime.now(UTC) + timedelta(seconds=4.1)
        )
        assert d.run_once().claimed == 0  # not due yet
        assert d.run_once(now=later(1)).failed == 1
        assert row_of(services, tid)["last_error"] == "http 503"
        assert d.run_once(now=later(2)).delivered == 1
    assert len(receiver.received) == 3
    assert {r.key for r in receiver.received} == {tid}
    assert all(r.verified == [True] for r in receiver.received)
    failed = events(services, "transfer.failed")
    assert [(e["d"]["attempt"], e["d"]["error"], e["d"]["status"]) for e in failed] == [
        (1, "http 500", 500),
        (2, "http 503", 503),
    ]
    assert events(services, "transfer.delivered")[0]["d"]["attempt"] == 3
    row = row_of(services, tid)
    assert (row["status"], row["attempts"], row["payload"]) == ("delivered", 3, None)
    assert services.verify_audit().ok  # retries are bookkeeping; the delivery is audited


def test_timeouts_and_refused_connections_are_failures(
    services: Container, receiver: Receiver
) -> None:
    _sid, (tid,) = setup_lead(services, receiver, 3)
    receiver.script = ["sleep"]
    with dispatcher(services, timeout=0.3) as d:
        started = time.perf_counter()
        assert d.run_once().failed == 1
        assert time.perf_counter() - started < 0.9
        assert row_of(services, tid)["last_error"] == "timeout"
        # The partner moves to a port nobody listens on.
        with services.db.unit_of_work() as conn:
            entry = services.registry.recipient(conn, "mfo-a")
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                closed = s.getsockname()[1]
            services.registry.register(
                conn, DPO, replace(entry, endpoint=f"http://127.0.0.1:{closed}/leads")
            )
        assert d.run_once(now=later(1)).failed == 1
    row = row_of(services, tid)
    assert (row["last_error"], row["attempts"], row["status"]) == ("connect", 2, "pending")
    assert [e["d"]["error"] for e in events(services, "transfer.failed")] == [
        "timeout",
        "connect",
    ]


def test_dead_letter_after_max_attempts_then_staff_retry(
    services: Container, receiver: Receiver
) -> None:
    _sid, (tid,) = setup_lead(services, receiver, 4)
    receiver.script = [500] * 3
    with dispatcher(services, max_attempts=3) as d:
        results = [d.run_once(now=later(2 * k)) for k in range(4)]
        assert [(r.failed, r.dead) for r in results] == [(1, 0), (1, 0), (0, 1), (0, 0)]
        row = row_of(services, tid)
        assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 3, "http 500")
        assert row["transfer_status"] == "dead"
        assert row["payload"] is not None  # kept for the retry
        with services.db.engine.connect() as conn:
            queue = services.queue.deliveries(conn)
        assert queue[0]["transfer_id"] == tid
        assert queue[0]["status"] == "dead"
        assert (queue[0]["transfer_status"], queue[0]["last_error"]) == ("dead", "http 500")
        (dead,) = events(services, "transfer.dead")
        assert dead["d"]["attempt"] == 3
        with services.db.unit_of_work() as conn:
            services.queue.retry(conn, DPO, tid)
        assert d.run_once(now=later(10)).delivered == 1
    row = row_of(services, tid)
    assert (row["status"], row["transfer_status"], row["attempts"]) == (
        "delivered",
        "delivered",
        1,
    )
    assert len(receiver.received) == 4
    assert all(r.verified == [True] for r in receiver.received)


def test_rotation_signs_with_both_secrets_during_the_overlap(
    services: Container, receiver: Receiver
) -> None:
    _sid, (tid,) = setup_lead(services, receiver, 5)
    with services.db.unit_of_work() as conn:
        newer = services.registry.rotate_secret(conn, DPO, "mfo-a", overlap=timedelta(hours=1))
    receiver.secrets.append(_secret(newer))
    with dispatcher(services) as d:
        assert d.run_once().delivered == 1
    (got,) = receiver.received
    assert got.verified == [True, True]  # the old secret and the new one
    assert got.signature.count("v1=") == 2
    # After the overlap only the new secret signs.
    sid6 = person(services, 6)
    leakguard.register("+77015550006", "transfer.6@example.org")
    consent_to(services, sid6, ("mfo-a",))
    with services.db.unit_of_work() as conn:
        services.transfers.route_lead(conn, sid6, "L-DLV-6")
    with dispatcher(services) as d:
        assert d.run_once(now=later(2)).delivered == 1
    assert receiver.received[1].signature.count("v1=") == 1
    assert receiver.received[1].verified == [False, True]
    assert row_of(services, tid)["status"] == "delivered"


def test_a_crashed_worker_redelivers_with_the_same_idempotency_key(
    services: Container, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sid, (tid,) = setup_lead(services, receiver, 7)

    def crash(*_a: object, **_k: object) -> None:
        raise RuntimeError("worker killed after posting")

    with dispatcher(services) as d:
        monkeypatch.setattr(d, "_record", crash)
        with pytest.raises(RuntimeError):
            d.run_once()
    row = row_of(services, tid)
    assert (row["status"], row["attempts"]) == ("pending", 1)  # leased, not recorded
    with dispatcher(services) as d:
        assert d.run_once().claimed == 0  # the lease hides it from other workers
        assert d.run_once(now=later(0.02)).delivered == 1  # lease over: redelivered
    first, second = receiver.received
    assert first.key == second.key == tid
    assert orjson.loads(first.body) == orjson.loads(second.body)
    assert first.verified == second.verified == [True]
    assert row_of(services, tid)["status"] == "delivered"
    assert services.verify_audit().ok


def test_a_destroyed_subject_is_not_delivered(services: Container, receiver: Receiver) -> None:
    sid, (tid,) = setup_lead(services, receiver, 8)
    with services.db.unit_of_work() as conn:
        services.gate.destroy(conn, DPO, sid, "request of the subject")
    with dispatcher(services) as d:
        result = d.run_once()
    assert (result.claimed, result.delivered, result.dead) == (1, 0, 1)
    assert receiver.received == []
    row = row_of(services, tid)
    assert (row["status"], row["last_error"], row["payload"]) == (
        "dead",
        "subject-destroyed",
        None,
    )
    assert row["transfer_status"] == "withheld"  # it never left
    (dead,) = events(services, "transfer.dead")
    assert dead["d"]["error"] == "subject-destroyed"
    assert set(dead["d"]) == {"role", "transfer", "recipient", "attempt", "error", "rows"}
    assert list(dead["d"]["rows"]) == [f"outbox:{tid}"]
    assert services.verify_audit().ok


def test_a_withdrawn_transfer_consent_stops_the_delivery(
    services: Container, receiver: Receiver
) -> None:
    sid, (tid,) = setup_lead(services, receiver, 9)
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, DPO, sid, "transfer", "changed my mind")
    with dispatcher(services) as d:
        assert d.run_once().dead == 1
    assert receiver.received == []
    assert row_of(services, tid)["last_error"] == "no-consent"
    assert row_of(services, tid)["transfer_status"] == "withheld"


def test_the_worker_job_delivers_due_leads(services: Container, receiver: Receiver) -> None:
    _sid, tids = setup_lead(services, receiver, 10, codes=("mfo-a", "mfo-b", "mfo-c"))
    done = run_once(services)
    assert done["transfers.deliver"] == 3
    assert sorted(r.key for r in receiver.received) == sorted(tids)
    assert all(any(r.verified) for r in receiver.received)
    assert {row_of(services, t)["status"] for t in tids} == {"delivered"}
    assert run_once(services)["transfers.deliver"] == 0


def test_delivers_when_the_calling_thread_already_runs_an_event_loop(
    services: Container, receiver: Receiver
) -> None:
    """E.g. a job called from async code, or beside Playwright's sync API in one process."""
    _sid, tids = setup_lead(services, receiver, 31, codes=("mfo-a",))

    async def from_async_code() -> int:
        return run_once(services)["transfers.deliver"]

    # A thread of its own: the test's main thread may run a loop already (Playwright's).
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, from_async_code()).result(timeout=60) == 1
    assert row_of(services, tids[0])["status"] == "delivered"


def test_many_leads_in_batches(services: Container, receiver: Receiver) -> None:
    _sid, _t = setup_lead(services, receiver, 11, codes=("mfo-a", "mfo-b"))
    for n in range(12, 30):
        sid = person(services, n)
        consent_to(services, sid, ("mfo-a", "mfo-b"))
        with services.db.unit_of_work() as conn:
            services.transfers.route_lead(conn, sid, f"L-DLV-{n}")
    with dispatcher(services, batch_size=8, concurrency=4) as d:
        assert isinstance(d, Dispatcher)
        assert d.run(max_batches=3) == 24  # bounded per call
        assert d.run() == 14
    assert len({r.key for r in receiver.received}) == 38
    assert all(any(r.verified) for r in receiver.received)


@pytest.mark.pg
@pytest.mark.parametrize("database_url", ["pg"], indirect=True)
def test_workers_share_the_queue_with_skip_locked(services: Container, receiver: Receiver) -> None:
    assert services.db.dialect == "postgresql"
    _sid, tids = setup_lead(services, receiver, 31, codes=("mfo-a", "mfo-b", "mfo-c"))
    with dispatcher(services, batch_size=2) as first, dispatcher(services) as second:
        with services.db.unit_of_work() as conn:
            held = first._claim(conn, datetime.now(UTC))  # a worker mid-claim holds 2 rows
            assert len(held) == 2
            result = second.run_once()  # meanwhile another worker takes what is left
            assert (result.claimed, result.delivered) == (1, 1)
        # The first worker died after claiming: its rows wait out the lease, then go.
        assert second.run_once().claimed == 0
        assert second.run_once(now=later(0.02)).delivered == 2
    assert sorted(r.key for r in receiver.received) == sorted(tids)
    assert {row_of(services, t)["status"] for t in tids} == {"delivered"}


def test_a_blocked_subject_waits_for_unblock_and_a_staff_retry(
    services: Container, receiver: Receiver
) -> None:
    sid, (tid,) = setup_lead(services, receiver, 32)
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, DPO, sid, "accuracy disputed")
    with dispatcher(services) as d:
        assert d.run_once().dead == 1
        row = row_of(services, tid)
        assert (row["status"], row["last_error"]) == ("dead", "subject-blocked")
        assert row["payload"] is not None  # kept: blocking is not destruction
        with services.db.unit_of_work() as conn:
            services.gate.unblock(conn, DPO, sid, "accuracy confirmed")
            services.queue.retry(conn, DPO, tid)
        assert d.run_once().delivered == 1
    (got,) = receiver.received
    assert (got.key, got.verified) == (tid, [True])
    assert row_of(services, tid)["status"] == "delivered"


def test_an_agreement_ended_before_delivery_holds_the_lead_until_renewed(
    services: Container, receiver: Receiver
) -> None:
    _sid, (tid,) = setup_lead(services, receiver, 33)
    with services.db.engine.connect() as conn:
        entry = services.registry.recipient(conn, "mfo-a")
    assert entry.agreement is not None
    today = datetime.now(UTC).date()
    ended = replace(
        entry.agreement,
        valid_from=today - timedelta(days=30),
        valid_until=today - timedelta(days=2),
    )
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, replace(entry, agreement=ended))
    with dispatcher(services) as d:
        assert d.run_once().dead == 1
        row = row_of(services, tid)
        assert (row["status"], row["last_error"]) == ("dead", "agreement-not-valid")
        assert row["payload"] is not None  # kept for a renewal
        assert receiver.received == []
        renewed = replace(
            entry.agreement, valid_until=datetime.now(UTC).date() + timedelta(days=90)
        )
        with services.db.unit_of_work() as conn:
            services.registry.register(conn, DPO, replace(entry, agreement=renewed))
            services.queue.retry(conn, DPO, tid)
        assert d.run_once().delivered == 1
    assert [r.key for r in receiver.received] == [tid]


def test_an_endpoint_changed_behind_the_registry_is_never_posted(
    services: Container, receiver: Receiver
) -> None:
    """https only, at delivery too: an entry registered before the rule, or edited in the
    database, to plain http or a private address is held, not posted (issue 11)."""
    from sqlalchemy import update

    from qorgau.transfers.store import recipient

    _sid, (tid,) = setup_lead(services, receiver)
    for endpoint in ("http://mfo.example/leads", "https://10.0.0.5/leads"):
        with services.db.unit_of_work() as conn:
            conn.execute(
                update(recipient).where(recipient.c.code == "mfo-a").values(endpoint=endpoint)
            )
            conn.execute(
                update(outbox)
                .where(outbox.c.transfer_id == tid)
                .values(status="pending", next_at=datetime.now(UTC))
            )
        with dispatcher(services) as d:
            result = d.run_once()
        assert (result.claimed, result.delivered, result.dead) == (1, 0, 1)
        row = row_of(services, tid)
        assert row["last_error"] == "endpoint-not-allowed"
        assert row["payload"] is not None  # kept for staff once the endpoint is fixed
    assert receiver.received == []
