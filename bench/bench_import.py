"""Bulk import of leads on SQLite: validated, encrypted, blind-indexed and audited.

Target: >= 10,000 subjects/s on one core. Baseline, same run: a plain executemany of the
same rows (subject and value rows, plaintext) without validation, encryption or audit.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from common import DPO, emit, fresh
from sqlalchemy import insert

from qorgau.demo.people import generate_people
from qorgau.vault.store import subject, value

N = 50_000
BATCH = 5_000
FIELDS = ("last_name", "first_name", "patronymic", "birth_date", "iin", "phone", "email",
          "city", "residential_address", "income", "employment", "sex")


def main() -> None:
    people = [{k: p[k] for k in FIELDS if k in p} for p in generate_people(N, seed=7)]
    fields_per = sum(len(p) for p in people) / N

    _, svc = fresh()
    t0 = time.perf_counter()
    for i in range(0, N, BATCH):
        items = [svc.gate.prepare("potential_borrower", "contract", p, "bench")
                 for p in people[i:i + BATCH]]
        with svc.db.unit_of_work() as conn:
            svc.gate.collect_many(conn, DPO, items)
    took = time.perf_counter() - t0
    svc.close()

    _, base = fresh()
    now = datetime.now(UTC)
    t1 = time.perf_counter()
    for i in range(0, N, BATCH):
        subs, vals = [], []
        for p in people[i:i + BATCH]:
            sid = uuid.uuid4().hex
            subs.append({"id": sid, "category": "potential_borrower", "status": "active",
                         "created_at": now, "kek_id": None, "wrapped_key": None,
                         "destroyed_at": None})
            for f, v in p.items():
                vals.append({"subject_id": sid, "field": f, "version": 1, "purpose": "contract",
                             "source": "bench", "collected_at": now, "ciphertext": v.encode()})
        with base.db.unit_of_work() as conn:
            conn.execute(insert(subject), subs)
            conn.execute(insert(value), vals)
    base_took = time.perf_counter() - t1
    base.close()
    emit("import_sqlite", N / took, "subjects/s", N / base_took, ">= 10000 subjects/s",
         subjects=N, fields_per_subject=round(fields_per, 1), ratio=round(base_took / took, 3))


if __name__ == "__main__":
    main()
