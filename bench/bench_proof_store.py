"""Proofs served from the store in one partition of 10,000,000 events (target: an inclusion
proof built in at most 5 ms).

What is timed is ``qorgau.audit.proofs.StoredTree(conn, part).inclusion(index, size)`` as
``qorgau audit prove`` and the access report call it, a fresh ``StoredTree`` per proof (no
cache carried from one proof to the next): aligned perfect subtrees of 256 leaves and more
are read from ``audit_node``, one query each, and narrower ones rehashed from the events'
own hashes (``audit_event.hash``, one range read of at most 256 rows). Then consistency
proofs between earlier sizes and the full tree, and between two earlier sizes. Every proof
is verified against tree heads computed while the database was built (by ``Frontier``, not
read back from the store), untimed.

The database holds one partition of ``BENCH_LEAVES`` events (default 1,000,000; the issue's
figure: ``BENCH_LEAVES=10000000``): minimal rows (part, seq, at, action, empty body, hash),
the hashes being real chain steps (``qorgau.db.chain_hash``), and the ``audit_node`` rows
``Frontier.extend(leaves, keep=8)`` reports. It is built once and kept: SQLite under
``BENCH_PROOF_DIR`` (default /tmp/qorgau-bench-proofs), PostgreSQL as the database
``qorgau_bench_proofs_<leaves>`` (at QORGAU_BENCH_DATABASE_URL's server), each with a JSON
sidecar (size, tree heads, build time) in that directory; a later run reuses it and reports
the build time of the run that made it. ``BENCH_BACKENDS`` picks them (default
``sqlite,pg``; pg is skipped when the server is unreachable).
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from common import emit, pg_url
from qorgau.audit import store
from qorgau.audit.merkle import verify_consistency, verify_inclusion
from qorgau.audit.proofs import StoredTree
from qorgau.audit.store import audit_event, audit_node
from qorgau.audit.tree import STORED_LEVEL, Frontier
from qorgau.db import GENESIS, Database, chain_hash, cursor, db_time
from qorgau.migrate import upgrade

N = int(os.environ.get("BENCH_LEAVES", 1_000_000))
DIR = Path(os.environ.get("BENCH_PROOF_DIR", "/tmp/qorgau-bench-proofs"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,pg").split(",")
SAMPLES = int(os.environ.get("BENCH_PROOFS", 1000))
PART = 0
#: Leaves are built, written and folded this many at a time (a multiple of 1024).
CHUNK = 1 << 20
#: Earlier tree sizes whose heads are kept for consistency proofs (those below N).
OLD_SIZES = (1, 255, 1_000, 65_537, 999_999, 3_333_333, 7_654_321, 9_999_999)


def sidecar(backend: str) -> Path:
    return DIR / f"{backend}-{N}.json"


def build(db: Database, backend: str) -> dict[str, Any]:
    """Write the partition's events and stored nodes; the tree heads, from the frontier."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    olds = sorted(s for s in OLD_SIZES if s < N)
    heads: dict[int, str] = {}
    frontier = Frontier()
    prev, seq, nodes = GENESIS, 0, 0
    t0 = time.perf_counter()
    while seq < N:
        end = min(N, seq + CHUNK)
        leaves = []
        for s in range(seq + 1, end + 1):
            prev = chain_hash(prev, PART, s, "retrieve", None, None, b"")
            leaves.append(prev)
        with db.engine.begin() as conn:
            stamp = db_time(conn, at)
            if backend == "sqlite":
                cursor(conn).executemany(
                    "INSERT INTO audit_event (part, seq, at, action, body, hash) "
                    "VALUES (?, ?, ?, 'retrieve', x'', ?)",
                    [(PART, seq + 1 + i, stamp, h) for i, h in enumerate(leaves)],
                )
            else:
                cur = cursor(conn)
                with cur.copy(
                    "COPY audit_event (part, seq, at, action, body, hash) FROM STDIN"
                ) as copy:
                    for i, h in enumerate(leaves):
                        copy.write_row((PART, seq + 1 + i, stamp, "retrieve", b"", h))
            # Folded in pieces that stop at each earlier size kept, to record its head.
            i = 0
            for cut in [*(o - seq for o in olds if seq < o <= end), end - seq]:
                got = frontier.extend(leaves[i:cut], keep=STORED_LEVEL)
                store.insert_nodes(conn, PART, got)
                nodes += len(got)
                i = cut
                heads[frontier.size] = frontier.root().hex()
        seq = end
        print(f"  {backend}: {seq:,} events written", file=sys.stderr, flush=True)
    if backend == "pg":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE audit_event"))
            conn.execute(text("VACUUM ANALYZE audit_node"))
    took = time.perf_counter() - t0
    return {
        "leaves": N,
        "part": PART,
        "heads": {str(s): heads[s] for s in [*olds, N]},
        "nodes": nodes,
        "build_s": round(took, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def open_database(backend: str) -> tuple[Database, dict[str, Any]]:
    """The kept database and its sidecar, built first when either is missing."""
    DIR.mkdir(parents=True, exist_ok=True)
    meta_path = sidecar(backend)
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    if backend == "sqlite":
        path = DIR / f"proofs-{N}.db"
        if meta is None:
            for stale in DIR.glob(f"proofs-{N}.db*"):
                stale.unlink()
        url = f"sqlite:///{path}"
    else:
        base = make_url(pg_url()).set(drivername="postgresql+psycopg")
        name = f"qorgau_bench_proofs_{N}"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if meta is None or not exists:
                meta = None
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    if meta is None:
        print(f"building the {backend} database of {N:,} events (kept in {DIR})", file=sys.stderr)
        upgrade(db.engine)
        meta = build(db, backend)
        meta_path.write_text(json.dumps(meta, indent=1))
        meta["reused"] = False
    else:
        meta["reused"] = True
    return db, meta


def measure(backend: str) -> None:
    db, meta = open_database(backend)
    size = int(meta["leaves"])
    head = bytes.fromhex(meta["heads"][str(size)])
    rng = random.Random(13)
    e, n = audit_event.c, audit_node.c
    with db.engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(audit_event).where(e.part == PART)
        ).scalar_one()
        stored = conn.execute(
            select(func.count()).select_from(audit_node).where(n.part == PART)
        ).scalar_one()
        assert count == size, (count, size)
        if conn.dialect.name == "sqlite":
            db_bytes = Path(db.engine.url.database or "").stat().st_size
        else:
            db_bytes = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()

        # Warm-up (connection, statement caches), untimed.
        for i in (0, size - 1):
            StoredTree(conn, PART).inclusion(i, size)

        indices = [rng.randrange(size) for _ in range(SAMPLES)]
        times, proofs = [], []
        full_gcs = gc.get_stats()[2]["collections"]
        for i in indices:
            t = time.perf_counter()
            proofs.append(StoredTree(conn, PART).inclusion(i, size))
            times.append(time.perf_counter() - t)
        full_gcs = gc.get_stats()[2]["collections"] - full_gcs
        for i, proof in zip(indices, proofs, strict=True):
            leaf = bytes(
                conn.execute(select(e.hash).where(e.part == PART, e.seq == i + 1)).scalar_one()
            )
            assert verify_inclusion(i, size, leaf, proof, head), i

        pairs = [(int(s), size) for s in meta["heads"] if int(s) < size]
        olds = sorted(p[0] for p in pairs)
        if len(olds) >= 2:
            pairs.append((olds[len(olds) // 2 - 1], olds[-1]))
        ctimes = []
        for old, new in pairs:
            best = float("inf")
            for _ in range(5):
                t = time.perf_counter()
                proof = StoredTree(conn, PART).consistency(old, new)
                best = min(best, time.perf_counter() - t)
            ctimes.append(best)
            old_head = bytes.fromhex(meta["heads"][str(old)])
            new_head = bytes.fromhex(meta["heads"][str(new)])
            assert verify_consistency(old, new, old_head, new_head, proof), (old, new)
    db.dispose()

    ms = sorted(x * 1000 for x in times)
    cms = [round(x * 1000, 3) for x in ctimes]
    emit(
        f"proof_store_inclusion_{backend}",
        statistics.median(ms),
        "ms/proof (median)",
        None,
        "<= 5 ms",
        leaves=size,
        proofs=SAMPLES,
        p99_ms=round(ms[int(len(ms) * 0.99) - 1], 3),
        max_ms=round(ms[-1], 3),
        full_gc_during=full_gcs,
        mean_ms=round(statistics.fmean(ms), 3),
        proof_hashes=len(proofs[0]),
        consistency_ms={f"{o}->{w}": c for (o, w), c in zip(pairs, cms, strict=True)},
        consistency_max_ms=max(cms) if cms else None,
        stored_nodes=stored,
        database_mb=round(db_bytes / 1e6),
        build_s=meta["build_s"],
        built_at=meta["built_at"],
        reused=meta["reused"],
        measured=(
            "StoredTree(conn, part).inclusion(index, size), a fresh StoredTree per proof, "
            f"{SAMPLES} random leaves; audit_node read for subtrees of 256+ leaves, "
            "audit_event.hash for the rest; all proofs verified untimed against tree heads "
            "computed at build time; consistency proofs: best of 5 each; build time is the "
            "one-off load of the database (events, chain hashes, nodes), not part of a proof; "
            "full_gc_during: Python's full collections during the timed proofs (the max)"
        ),
    )


def main() -> None:
    for backend in BACKENDS:
        try:
            measure(backend)
        except OperationalError as exc:
            if backend != "pg":
                raise
            print(f"pg skipped: {exc.orig}", file=sys.stderr)


if __name__ == "__main__":
    main()
