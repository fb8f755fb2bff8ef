"""Audit verify throughput on SQLite: chains and checkpoints re-walked (target >= 300,000/s).

Baseline, same run: reading the same rows, the same way, without hashing or checking.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select

from common import emit, fresh
from qorgau.audit.model import Event
from qorgau.audit.store import audit_event
from qorgau.audit.verify import verify

N = 500_000


def main() -> None:
    _, svc = fresh()
    with svc.db.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(audit_event)).scalar_one()
    batch = 50_000
    for i in range(0, N, batch):
        events = [
            Event(
                "retrieve",
                "bench:dpo",
                subject_id=f"{(i + j) % 20011:032x}",
                purpose="contract",
                fields=("phone", "iin"),
                detail={"role": "dpo"},
            )
            for j in range(batch)
        ]
        with svc.db.unit_of_work() as conn:
            svc.audit.append_many(conn, events)
    svc.checkpoint()
    with svc.db.engine.connect() as conn:
        t0 = time.perf_counter()
        report = verify(conn, svc.signer.public_raw)
        took = time.perf_counter() - t0
        assert report.ok, report.first
        assert report.events == N + before  # + init's own events
        t1 = time.perf_counter()
        q = select(
            audit_event.c.id,
            audit_event.c.part,
            audit_event.c.seq,
            audit_event.c.action,
            audit_event.c.subject_id,
            audit_event.c.body,
            audit_event.c.hash,
        ).order_by(audit_event.c.part, audit_event.c.seq)
        cur = conn.connection.cursor()
        cur.execute(str(q.compile(dialect=conn.dialect)))
        n = 0
        while rows := cur.fetchmany(10_000):
            n += len(rows)
        base = time.perf_counter() - t1
    svc.close()
    emit("audit_verify_sqlite", N / took, "events/s", n / base, ">= 300000 events/s", events=N)


if __name__ == "__main__":
    main()
