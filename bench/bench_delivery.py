"""Webhook delivery on SQLite by one worker (one Dispatcher): 10,000 leads, each consented to
3 of 20 partners, routed into the outbox (collect_many, consents, route_lead in batches),
then delivered: claimed and leased, opened by the gate (audited), signed (HMAC-SHA256,
timestamp, Idempotency-Key), posted to a loopback receiver that verifies every signature,
and recorded (payload cleared, transfer delivered, one audit event each).

Target: >= 2,000 deliveries/s for the dispatch phase. Baseline, same run: the receiver's bare
capacity with the same client and concurrency (pre-signed static body, no database).
"""

from __future__ import annotations

import asyncio
import base64
import cProfile
import json
import os
import pstats
import random
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench_http_read import free_port
from bench_intake_http import wait
from common import DPO, emit, fresh
from qorgau.consent.model import TRANSFER, Channel, ConsentRequest, Evidence
from qorgau.demo.people import generate_people
from qorgau.transfers.delivery import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_header,
)
from qorgau.transfers.model import Agreement, DeliveryMode, Kind, Recipient
from qorgau.transfers.store import outbox
from qorgau.transfers.webhook_client import WebhookClient
from qorgau.worker import dispatcher

LEADS = int(os.environ.get("BENCH_LEADS", 10_000))
PARTNERS = 20
PER_LEAD = 3
BATCH = int(os.environ.get("BENCH_BATCH", 1000))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 64))
CHUNK = 500


def partner(code: str, n: int, endpoint: str) -> Recipient:
    start = datetime.now(UTC).date()
    return Recipient(
        code=code,
        kind=Kind.THIRD_PARTY,
        legal_name=f"Bench Microfinance {n} LLP",
        bin=f"{n:012d}",
        country="KZ",
        contacts={"email": f"dpo@{code}.example"},
        delivery=DeliveryMode.WEBHOOK,
        endpoint=endpoint,
        agreement=Agreement(
            reference=f"Bench agreement {n}",
            operations=frozenset({"transfer", "storage", "use"}),
            purposes=frozenset({"contract"}),
            confidentiality="Confidential.",
            security="Encrypted in transit and at rest.",
            protection="LAW.md Art. 22.",
            valid_from=start.replace(year=start.year - 1),
            valid_until=start.replace(year=start.year + 1),
        ),
    )


def stats(port: int) -> dict[str, int]:
    """The receiver's counts (received, verified, bad signatures, duplicate keys)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats") as r:
        return dict(json.loads(r.read()))


def main() -> None:
    settings, svc = fresh(dev_loopback_webhooks=True)  # the receiver is on loopback
    port = free_port()
    home = Path(settings.home)
    codes = [f"bench-mfo-{k:02d}" for k in range(PARTNERS)]
    secrets: dict[str, str] = {}
    with svc.db.unit_of_work() as conn:
        for k, code in enumerate(codes, 1):
            svc.registry.register(conn, DPO, partner(code, k, f"http://127.0.0.1:{port}/p/{code}"))
            secrets[code] = svc.registry.rotate_secret(conn, DPO, code)
    secrets_file = home / "bench-secrets.json"
    secrets_file.write_text(json.dumps(secrets))
    receiver = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "webhook_receiver:app", "--port", str(port),
         "--log-level", "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"],
        cwd=Path(__file__).parent,
        env=dict(os.environ, BENCH_SECRETS=str(secrets_file)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait(port)
        # -- intake: subjects, consents, routing ---------------------------------------------
        rng = random.Random(7)
        t0 = time.perf_counter()
        people = list(generate_people(LEADS, seed=23))
        for start in range(0, LEADS, CHUNK):
            chunk = people[start : start + CHUNK]
            items = [svc.gate.prepare("potential_borrower", "contract", p, "bench") for p in chunk]
            with svc.db.unit_of_work() as conn:
                sids = svc.gate.collect_many(conn, DPO, items)
                for n, sid in enumerate(sids, start):
                    svc.ledger.grant(
                        conn,
                        DPO,
                        ConsentRequest(
                            sid, TRANSFER, "Согласие на передачу данных партнёрам.",
                            Evidence("api"), channel=Channel.API,
                            recipients=tuple(rng.sample(codes, PER_LEAD)),
                        ),
                    )  # fmt: skip
                    svc.transfers.route_lead(conn, sid, f"L-BENCH-{n}")
        intake = time.perf_counter() - t0
        with svc.db.engine.connect() as conn:
            queued = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
        # -- dispatch ----------------------------------------------------------------------------
        with dispatcher(svc, batch_size=BATCH, concurrency=CONCURRENCY) as d:
            t1 = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):  # where the time goes, on stderr
                prof = cProfile.Profile()
                handled = prof.runcall(d.run, max_batches=10_000)
                pstats.Stats(prof, stream=sys.stderr).sort_stats("cumtime").print_stats(45)
            else:
                handled = d.run(max_batches=10_000)
            elapsed = time.perf_counter() - t1
            timings = dict(d.timings)
        with svc.db.engine.connect() as conn:
            by_status = dict(
                conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
            )
            kept = conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.payload.is_not(None))
            ).scalar_one()
        got = stats(port)
        # -- baseline: the receiver's bare capacity, same client and concurrency --------------
        body = json.dumps({"transfer_id": "0" * 32, "data": {"phone": "+77010000000"}}).encode()
        secret = base64.urlsafe_b64decode(secrets[codes[0]] + "=" * (-len(secrets[codes[0]]) % 4))
        ts = int(time.time())
        headers = [
            ("Content-Type", "application/json"),
            (TIMESTAMP_HEADER, str(ts)),
            (SIGNATURE_HEADER, signature_header([secret], ts, body)),
            (IDEMPOTENCY_HEADER, "0" * 32),
        ]
        url = f"http://127.0.0.1:{port}/p/{codes[0]}"
        client = WebhookClient(concurrency=CONCURRENCY, timeout=settings.delivery_timeout)
        loop = asyncio.new_event_loop()
        reqs = [(url, headers, body)] * BATCH
        loop.run_until_complete(client.post_all(reqs))  # warm the pool
        rounds = max(1, int(queued) // BATCH)
        t2 = time.perf_counter()
        for _ in range(rounds):
            loop.run_until_complete(client.post_all(reqs))
        bare = rounds * BATCH / (time.perf_counter() - t2)
        loop.run_until_complete(client.aclose())
        loop.close()
    finally:
        receiver.terminate()
        receiver.wait(10)
        svc.close()
    total = sum(timings.values()) or 1.0
    emit(
        "delivery_webhook_sqlite",
        handled / elapsed,
        "deliveries/s",
        bare,
        ">= 2000 deliveries/s, every delivery signed and recorded",
        leads=LEADS,
        deliveries=int(queued),
        delivered=int(by_status.get("delivered", 0)),
        pending=int(by_status.get("pending", 0)),
        dead=int(by_status.get("dead", 0)),
        payloads_left=int(kept),
        received=got["received"],
        verified=got["verified"],
        bad_signatures=got["bad"],
        duplicates=got["duplicates"],
        seconds=round(elapsed, 2),
        intake_leads_per_s=round(LEADS / intake, 1),
        batch=BATCH,
        concurrency=CONCURRENCY,
        share={k: round(v / total, 3) for k, v in timings.items()},
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
