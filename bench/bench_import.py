"""Bulk import of leads on SQLite: validated, encrypted, blind-indexed and audited.

Target: >= 10,000 subjects/s on one core. Baseline, same run: a plain executemany of the
same rows (subject and value rows, plaintext) without validation, encryption or audit.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from common import DPO, emit, fresh
from qorgau.demo.people import generate_people
from qorgau.vault.record import pack_rows

N = int(__import__("os").environ.get("BENCH_N", 50_000))
BATCH = 5_000
FIELDS = (
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "iin",
    "phone",
    "email",
    "city",
    "residential_address",
    "income",
    "employment",
    "sex",
)


def main() -> None:
    people = [{k: p[k] for k in FIELDS if k in p} for p in generate_people(N, seed=7)]
    fields_per = sum(len(p) for p in people) / N

    _, svc = fresh()
    t0 = time.perf_counter()
    for i in range(0, N, BATCH):
        items = [
            svc.gate.prepare("potential_borrower", "contract", p, "bench")
            for p in people[i : i + BATCH]
        ]
        with svc.db.unit_of_work() as conn:
            svc.gate.collect_many(conn, DPO, items)
    took = time.perf_counter() - t0
    svc.close()

    # Baseline: the same rows (a subject row with its values, plaintext, packed the same
    # way; three index rows) with a plain executemany: no validation, encryption or audit.
    _, base = fresh()
    now = datetime.now(UTC)
    at = now.isoformat()
    t1 = time.perf_counter()
    for i in range(0, N, BATCH):
        subs, idx = [], []
        for p in people[i : i + BATCH]:
            sid = uuid.uuid4().hex
            rows = [(f, 1, "contract", "bench", at, v.encode()) for f, v in p.items()]
            subs.append(
                (
                    sid,
                    "potential_borrower",
                    "active",
                    now.isoformat(" "),
                    None,
                    None,
                    pack_rows(rows),
                )
            )
            idx.extend((k, p[k].encode(), sid) for k in ("phone", "iin", "email"))
        with base.db.unit_of_work() as conn:
            cur = conn.connection.cursor()
            cur.executemany(
                "INSERT INTO subject (id, category, status, created_at, kek_id, "
                "wrapped_key, sealed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                subs,
            )
            cur.executemany(
                "INSERT INTO blind_index (kind, digest, subject_id) VALUES (?, ?, ?)", idx
            )
    base_took = time.perf_counter() - t1
    base.close()
    emit(
        "import_sqlite",
        N / took,
        "subjects/s",
        N / base_took,
        ">= 10000 subjects/s",
        subjects=N,
        fields_per_subject=round(fields_per, 1),
        ratio=round(base_took / took, 3),
    )


if __name__ == "__main__":
    main()
