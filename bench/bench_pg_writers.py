"""PostgreSQL, 16 concurrent writers: appending with authentication and tree upkeep against
appending unchained (target: at least 0.8 of the unchained throughput).

Authenticated: each event chained in the database (``UPDATE audit_head ... RETURNING``, the
partition's row lock) and MAC'd with the key outside the database, its head marked in the
heads file after commit, while a checkpointer thread runs ``Container.checkpoint()`` every
``BENCH_CHECKPOINT_INTERVAL`` seconds (default 1; ``qorgau run`` does it every
``checkpoint_interval``): it walks the new events, checks their chain and MACs, writes the
``audit_node`` rows and signs every partition's tree head. Unchained, the baseline
(``build_container(settings, chained=False)``): events still written, no head row taken, no
chain, no MAC, no checkpoints.

Two workloads, each its own line: ``clarify``, a change to one value (history row, re-sealed
record, state digest, audit event) in its own transaction, ``BENCH_CHANGES`` per writer
(default 150); ``append``, one bare audit event per transaction, ``BENCH_APPENDS`` per
writer (default 600), where the chain's share of the cost is largest. Runs alternate
unchained and authenticated, ``BENCH_ROUNDS`` times (default 2), each on twenty new subjects
per writer, best of each kept.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from common import emit, fresh, pg_url
from qorgau.audit.model import Event
from qorgau.audit.store import audit_event, audit_head, audit_tree_head
from qorgau.container import Container, build_container
from qorgau.demo.people import generate_people
from qorgau.security.actors import Actor

WRITERS = 16
CHANGES = int(os.environ.get("BENCH_CHANGES", 150))  # per writer
APPENDS = int(os.environ.get("BENCH_APPENDS", 600))  # per writer
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 2))
INTERVAL = float(os.environ.get("BENCH_CHECKPOINT_INTERVAL", 1.0))
DPO = Actor("dpo", "bench:dpo")

#: One writer's work: (container, writer number, its subjects).
Work = Callable[[Container, int, list[str]], None]


def clarify(svc: Container, _w: int, mine: list[str]) -> None:
    for i in range(CHANGES):
        sid = mine[i % len(mine)]
        with svc.db.unit_of_work() as conn:
            svc.gate.clarify(conn, DPO, sid, "contract", {"income": str(100_000 + i)}, "bench")


def append(svc: Container, w: int, mine: list[str]) -> None:
    for i in range(APPENDS):
        event = Event(
            "retrieve",
            DPO.id,
            subject_id=mine[i % len(mine)],
            purpose="contract",
            fields=("phone",),
            detail={"role": "dpo", "writer": w},
        )
        with svc.db.unit_of_work() as conn:
            svc.audit.append(conn, event)


def _events(svc: Container) -> int:
    with svc.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_event)).scalar_one())


def _uncovered(svc: Container) -> int:
    """Events appended but under no tree head yet (the checkpointer's backlog)."""
    t = audit_tree_head.c
    with svc.db.engine.connect() as conn:
        heads = conn.execute(select(func.coalesce(func.sum(audit_head.c.seq), 0))).scalar_one()
        newest = select(t.part, func.max(t.size).label("size")).group_by(t.part).subquery()
        covered = conn.execute(select(func.coalesce(func.sum(newest.c.size), 0))).scalar_one()
    return int(heads) - int(covered)


def run(svc: Container, work: Work, ids: list[list[str]], *, checkpoints: bool) -> dict[str, Any]:
    errors: list[BaseException] = []
    stop = threading.Event()
    took_cp: list[float] = []

    def writer(w: int) -> None:
        try:
            work(svc, w, ids[w])
        except BaseException as exc:
            errors.append(exc)

    def checkpointer() -> None:
        try:
            while not stop.wait(INTERVAL):
                t = time.perf_counter()
                svc.checkpoint(if_moved=True)
                took_cp.append(time.perf_counter() - t)
        except BaseException as exc:
            errors.append(exc)

    if checkpoints:
        svc.checkpoint(if_moved=True)  # start from a covered log
    before = _events(svc)
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    cp = threading.Thread(target=checkpointer)
    t0 = time.perf_counter()
    if checkpoints:
        cp.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    stop.set()
    if checkpoints:
        cp.join()
    if errors:
        raise errors[0]
    events = _events(svc) - before
    out: dict[str, Any] = {"events_per_s": events / took, "events": events, "s": took}
    if checkpoints:
        out["uncovered_at_end"] = _uncovered(svc)  # before the catch-up below
        svc.checkpoint(if_moved=True)
        out["uncovered_after_one_more"] = _uncovered(svc)
        out["checkpoints"] = len(took_cp)
        out["checkpoint_mean_s"] = statistics.fmean(took_cp) if took_cp else None
        out["checkpoint_max_s"] = max(took_cp) if took_cp else None
    return out


def subjects(svc: Container, seed: int) -> list[list[str]]:
    """Twenty new subjects per writer: every run starts from the same state (a subject's
    history grows with each change to it)."""
    people = list(generate_people(WRITERS * 20, seed=seed))
    items = [svc.gate.prepare("potential_borrower", "contract", p, "bench") for p in people]
    with svc.db.unit_of_work() as conn:
        ids = svc.gate.collect_many(conn, DPO, items)
    return [ids[w * 20 : (w + 1) * 20] for w in range(WRITERS)]


#: (label, chained, checkpointer): the baseline, the measured mode, and the chain alone (to
#: show what the checkpointer adds).
MODES = (("unchained", False, False), ("authenticated", True, True), ("chain_only", True, False))


def measure(settings: Any, name: str, work: Work, per: int) -> None:
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _c, _k in MODES}
    for r in range(ROUNDS):
        for k, (label, chained, checkpoints) in enumerate(MODES):
            s = build_container(settings, chained=chained, pool_size=WRITERS + 1)
            ids = subjects(s, seed=1000 * r + 10 * len(name) + k)
            results[label].append(run(s, work, ids, checkpoints=checkpoints))
            s.close()
    off, on, chain = (
        max(results[label], key=lambda x: x["events_per_s"]) for label, _c, _k in MODES
    )
    emit(
        f"pg_16_writers_{name}_authenticated_ratio",
        on["events_per_s"] / off["events_per_s"],
        "ratio",
        1.0,
        ">= 0.80",
        authenticated_events_per_s=round(on["events_per_s"], 1),
        unchained_events_per_s=round(off["events_per_s"], 1),
        chain_only_events_per_s=round(chain["events_per_s"], 1),
        chain_only_ratio=round(chain["events_per_s"] / off["events_per_s"], 3),
        runs={label: [round(x["events_per_s"], 1) for x in got] for label, got in results.items()},
        writers=WRITERS,
        per_writer=per,
        events=on["events"],
        checkpoint_interval_s=INTERVAL,
        checkpoints=on["checkpoints"],
        checkpoint_mean_s=round(on["checkpoint_mean_s"] or 0, 3),
        checkpoint_max_s=round(on["checkpoint_max_s"] or 0, 3),
        uncovered_at_end=on["uncovered_at_end"],
        uncovered_after_one_more=on["uncovered_after_one_more"],
        measured=(
            f"{name}: {WRITERS} threads, one transaction each step; authenticated = chained "
            "in the database, MAC'd, heads file marked, a checkpointer thread running "
            "Container.checkpoint() (chain and MACs re-checked, audit_node rows, signed tree "
            f"heads) every {INTERVAL} s inside the timed window; unchained = "
            "build_container(chained=False); chain_only = authenticated without the "
            f"checkpointer; best of {ROUNDS} runs each, modes alternating"
        ),
    )


def main() -> None:
    base = make_url(pg_url()).set(drivername="postgresql+psycopg")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"qorgau_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        settings, svc = fresh(url)
        svc.close()
        measure(settings, "clarify", clarify, CHANGES)
        measure(settings, "append", append, APPENDS)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
