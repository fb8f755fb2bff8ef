"""Gate reads by blind index, in-process on SQLite: search, unwrap, decrypt, mask, audit.

Target: >= 20,000 reads/s. Measured twice: 100 reads per unit of work (the gate's own cost)
and one read per unit of work (each with its own commit, as an HTTP request has). Baseline,
same run and same transaction shape: the same lookup (blind-index digest -> subject row)
without the gate's checks, decryption, masking or audit.
"""

from __future__ import annotations

import os
import random
import time

from common import emit, fresh
from qorgau.demo.people import generate_people
from qorgau.security.actors import Actor

SUBJECTS = 10_000
READS = int(os.environ.get("BENCH_READS", 30_000))
FIELDS = ["first_name", "last_name", "phone", "iin", "email", "income"]


def main() -> None:
    _, svc = fresh()
    people = list(generate_people(SUBJECTS, seed=11))
    items = [svc.gate.prepare("potential_borrower", "contract", p, "bench") for p in people]
    with svc.db.unit_of_work() as conn:
        svc.gate.collect_many(conn, Actor("dpo", "bench:dpo"), items)
    operator = Actor("operator", "bench:operator")
    rnd = random.Random(3)
    phones = [rnd.choice(people)["phone"] for _ in range(READS)]
    gate, db = svc.gate, svc.db

    # Each read its own transaction (what an HTTP request does).
    t0 = time.perf_counter()
    for phone in phones:
        with db.unit_of_work() as conn:
            hits = gate.search(conn, operator, "phone", phone, "contract", FIELDS)
            assert hits
            assert "iin" in hits[0].masked
    took_each = time.perf_counter() - t0

    # The gate itself: 100 reads per transaction (a worker, an export, a batch lookup).
    t0 = time.perf_counter()
    for i in range(0, READS, 100):
        with db.unit_of_work() as conn:
            for phone in phones[i : i + 100]:
                hits = gate.search(conn, operator, "phone", phone, "contract", FIELDS)
                assert hits
    took = time.perf_counter() - t0

    digests = [gate.indexer.digest("phone", gate.catalogue.normalise("phone", p)) for p in phones]
    sql = (
        "SELECT s.id, s.category, s.status, s.kek_id, s.wrapped_key, s.sealed FROM blind_index b "
        "JOIN subject s ON s.id = b.subject_id WHERE b.kind = ? AND b.digest = ?"
    )
    t1 = time.perf_counter()
    for d in digests:
        with db.unit_of_work() as conn:
            cur = conn.connection.cursor()
            cur.execute(sql, ("phone", d))
            assert cur.fetchone()
    base_each = time.perf_counter() - t1
    t1 = time.perf_counter()
    for i in range(0, READS, 100):
        with db.unit_of_work() as conn:
            cur = conn.connection.cursor()
            for d in digests[i : i + 100]:
                cur.execute(sql, ("phone", d))
                assert cur.fetchone()
    base = time.perf_counter() - t1
    svc.close()
    emit(
        "gate_read_inprocess_sqlite",
        READS / took,
        "reads/s",
        READS / base,
        ">= 20000 reads/s",
        reads=READS,
        fields=len(FIELDS),
        role="operator (IIN masked)",
        reads_per_transaction=100,
    )
    emit(
        "gate_read_inprocess_sqlite_txn_each",
        READS / took_each,
        "reads/s",
        READS / base_each,
        ">= 20000 reads/s",
        reads=READS,
        fields=len(FIELDS),
        reads_per_transaction=1,
    )


if __name__ == "__main__":
    main()
