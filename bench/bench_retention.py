"""Retention sweep on SQLite: 1,000,000 subjects of which 100,000 are due (no purpose
justifies them: collected for direct marketing without a consent), destroyed with
crypto-shredding in batches, while a concurrent writer clarifies single values: by default
in its own process, as the server runs beside ``qorgau worker`` (BENCH_WRITER=thread puts it
in the sweeping process, where it also waits for that process's GIL).

Target: at most 30 s, with the writer's p99 latency under 50 ms during the sweep.
Baseline, same run: deleting the same subjects' rows with bare DELETEs on a copy of the
database taken just before the sweep.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import DPO, emit, fresh
from qorgau.demo.people import generate_people

N = int(os.environ.get("BENCH_SUBJECTS", 1_000_000))
DUE_EVERY = 10  # one subject in ten is due
BATCH = int(os.environ.get("BENCH_SWEEP_BATCH", 100))
#: "process": the writer runs in its own process, as the server does beside `qorgau worker`;
#: "thread": in the sweeping process (shares its GIL: a harsher, non-deployed set-up).
WRITER = os.environ.get("BENCH_WRITER", "process")


def _writer_process(home: str, ids: list[str], stop: Any, ready: Any, results: Any) -> None:
    """Single-row clarifications every 10 ms until told to stop; sends back the latencies."""
    from qorgau.config import Settings
    from qorgau.container import build_container

    svc = build_container(Settings(home=Path(home)))
    latencies: list[float] = []
    ready.set()
    k = 0
    while not stop.is_set():
        t0 = time.perf_counter()
        with svc.db.unit_of_work() as conn:
            svc.gate.clarify(
                conn, DPO, ids[k % len(ids)], "contract", {"income": str(100_000 + k)}, "bench"
            )
        latencies.append(time.perf_counter() - t0)
        k += 1
        time.sleep(0.01)
    svc.close()
    results.put(latencies)


def main() -> None:
    settings, svc = fresh()
    kept_fields = ("first_name", "last_name", "phone", "iin", "email", "income")
    due_ids: list[str] = []
    kept_ids: list[str] = []
    chunk: list = []
    for i, p in enumerate(generate_people(N, seed=23)):
        if i % DUE_EVERY == 0:
            chunk.append(
                svc.gate.prepare(
                    "potential_borrower",
                    "direct_marketing",
                    {k: p[k] for k in ("first_name", "last_name", "phone", "email")},
                    "bench",
                )
            )
        else:
            chunk.append(
                svc.gate.prepare(
                    "potential_borrower",
                    "contract",
                    {k: p[k] for k in kept_fields if k in p},
                    "bench",
                )
            )
        if len(chunk) == 10_000:
            with svc.db.unit_of_work() as conn:
                ids = svc.gate.collect_many(conn, DPO, chunk)
            due_ids += [s for j, s in enumerate(ids) if (i - len(chunk) + 1 + j) % DUE_EVERY == 0]
            kept_ids += [s for j, s in enumerate(ids) if (i - len(chunk) + 1 + j) % DUE_EVERY]
            chunk = []
    if chunk:
        with svc.db.unit_of_work() as conn:
            svc.gate.collect_many(conn, DPO, chunk)
    db_file = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    svc.close()
    copy = db_file.with_name("baseline.db")
    src = sqlite3.connect(db_file)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()

    from qorgau.container import build_container

    svc = build_container(settings)
    svc.retention.batch_size = BATCH
    latencies: list[float] = []
    if WRITER == "process":
        # As deployed: `qorgau run` serves writes in its own process, `qorgau worker` sweeps.
        ctx = mp.get_context("spawn")
        stop_p = ctx.Event()
        ready = ctx.Event()
        results: Any = ctx.Queue()
        proc = ctx.Process(
            target=_writer_process,
            args=(str(settings.home), kept_ids[:10_000], stop_p, ready, results),
        )
        proc.start()
        ready.wait(60)
        t0 = time.perf_counter()
        act = svc.retention.run(svc.db, DPO, datetime.now(UTC))
        took = time.perf_counter() - t0
        stop_p.set()
        latencies = results.get(timeout=60)
        proc.join()
    else:
        stop = threading.Event()

        def writer() -> None:
            k = 0
            while not stop.is_set():
                sid = kept_ids[k % len(kept_ids)]
                t0 = time.perf_counter()
                with svc.db.unit_of_work() as conn:
                    svc.gate.clarify(
                        conn, DPO, sid, "contract", {"income": str(100_000 + k)}, "bench"
                    )
                latencies.append(time.perf_counter() - t0)
                k += 1
                time.sleep(0.01)

        thread = threading.Thread(target=writer)
        thread.start()
        t0 = time.perf_counter()
        act = svc.retention.run(svc.db, DPO, datetime.now(UTC))
        took = time.perf_counter() - t0
        stop.set()
        thread.join()
    svc.close()
    assert act["subjects_destroyed"] == len(due_ids), act["subjects_destroyed"]

    base = sqlite3.connect(copy, isolation_level=None)
    t1 = time.perf_counter()
    for i in range(0, len(due_ids), BATCH):
        part = due_ids[i : i + BATCH]
        marks = ",".join("?" * len(part))
        base.execute("BEGIN IMMEDIATE")
        base.execute(f"DELETE FROM blind_index WHERE subject_id IN ({marks})", part)
        base.execute(f"DELETE FROM subject WHERE id IN ({marks})", part)
        base.execute("COMMIT")
    base_took = time.perf_counter() - t1
    base.close()
    shutil.rmtree(settings.home.parent, ignore_errors=True)
    lat = sorted(latencies)
    emit(
        "retention_sweep_sqlite",
        took,
        "s",
        base_took,
        "<= 30 s, writer p99 < 50 ms",
        subjects=N,
        due=len(due_ids),
        batch=BATCH,
        writer=WRITER,
        writer_p99_ms=round(lat[int(len(lat) * 0.99)] * 1000, 2) if lat else None,
        writer_median_ms=round(statistics.median(lat) * 1000, 2) if lat else None,
        writer_ops=len(lat),
    )


if __name__ == "__main__":
    main()
