"""PostgreSQL: 16 concurrent writers of single audited changes, audit chain on vs off.

Target: with the chain, at least 80% of the throughput of the same workload with chaining
turned off (events still written, no head row taken). Each change is a clarification of one
value (history row, re-sealed record, state digest, audit event) in its own transaction.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import emit, fresh, pg_url
from qorgau.container import build_container
from qorgau.demo.people import generate_people
from qorgau.security.actors import Actor

WRITERS = 16
CHANGES = int(os.environ.get("BENCH_CHANGES", 150))  # per writer
DPO = Actor("dpo", "bench:dpo")


def run(svc, ids: list[list[str]]) -> float:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def writer(mine: list[str]) -> None:
        try:
            for i in range(CHANGES):
                sid = mine[i % len(mine)]
                with svc.db.unit_of_work() as conn:
                    svc.gate.clarify(
                        conn, DPO, sid, "contract", {"income": str(100_000 + i)}, "bench"
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(ids[w],)) for w in range(WRITERS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return WRITERS * CHANGES / took


def main() -> None:
    base = make_url(pg_url()).set(drivername="postgresql+psycopg")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"qorgau_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        settings, svc = fresh(url)
        people = list(generate_people(WRITERS * 20, seed=5))
        items = [svc.gate.prepare("potential_borrower", "contract", p, "bench") for p in people]
        with svc.db.unit_of_work() as conn:
            all_ids = svc.gate.collect_many(conn, DPO, items)
        svc.close()
        ids = [all_ids[w * 20 : (w + 1) * 20] for w in range(WRITERS)]
        results = {}
        for chained in (False, True, False, True):
            s = build_container(settings, chained=chained, pool_size=WRITERS)
            results.setdefault(chained, []).append(run(s, ids))
            s.close()
        on, off = max(results[True]), max(results[False])
        emit(
            "pg_16_writers_chain_ratio",
            on / off,
            "ratio",
            1.0,
            ">= 0.80",
            chained_per_s=round(on, 1),
            unchained_per_s=round(off, 1),
            writers=WRITERS,
            changes=WRITERS * CHANGES,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
