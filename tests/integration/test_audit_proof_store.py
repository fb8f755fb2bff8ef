"""Proofs served from the store (``StoredTree``, which reads every stored subtree a proof
needs in one query) are the RFC 9162 proofs of the partition's leaves, in a tree wide enough
for several stored levels; a stored subtree gone is a ``NoProof``, never a wrong proof. On
SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, select, text

from qorgau.audit import merkle
from qorgau.audit.model import Event, partition_of
from qorgau.audit.proofs import NoProof, StoredTree
from qorgau.audit.store import audit_event, audit_node
from qorgau.container import Container

ACTOR = "test:proofs"
FIRST, SIZE = 2_345, 5_000


def _append(services: Container, n: int) -> None:
    with services.db.unit_of_work() as conn:
        services.audit.append_many(
            conn, [Event("search", ACTOR, detail={"n": i}) for i in range(n)]
        )


def test_stored_proofs_are_the_rfc_proofs(services: Container) -> None:
    _append(services, FIRST)
    services.checkpoint()
    _append(services, SIZE - FIRST)
    services.checkpoint()
    part = partition_of(None, ACTOR, services.audit.partitions)
    e = audit_event.c
    with services.db.engine.connect() as conn:
        leaves = [
            bytes(h)
            for h in conn.execute(select(e.hash).where(e.part == part).order_by(e.seq)).scalars()
        ]
        size = len(leaves)
        assert size >= SIZE
        memory = merkle.MemoryTree(leaves)
        rng = random.Random(13)
        picks = [0, 1, 255, 256, 1023, 1024, 2047, 2048, 4095, 4096, size - 2, size - 1]
        for index in picks + [rng.randrange(size) for _ in range(40)]:
            for at in (size, FIRST):
                if index < at:
                    got = StoredTree(conn, part).inclusion(index, at)
                    assert got == memory.inclusion_proof(index, at), (index, at)
        tree = StoredTree(conn, part)  # one tree, many proofs: what it read is reused
        for old, new in [(1, size), (255, size), (256, FIRST), (FIRST, size), (4096, size)]:
            assert tree.consistency(old, new) == memory.consistency_proof(old, new)
            assert StoredTree(conn, part).consistency(old, new) == tree.consistency(old, new)


def test_a_missing_stored_subtree_is_no_proof(services: Container) -> None:
    _append(services, 1_100)
    services.checkpoint()
    part = partition_of(None, ACTOR, services.audit.partitions)
    with services.db.engine.connect() as conn:
        size = int(
            conn.execute(
                select(audit_event.c.seq)
                .where(audit_event.c.part == part)
                .order_by(audit_event.c.seq.desc())
                .limit(1)
            ).scalar_one()
        )
        assert StoredTree(conn, part).inclusion(0, size)
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        n = audit_node.c
        conn.execute(delete(audit_node).where(n.part == part, n.level == 9, n.idx == 1))
        conn.commit()
        # Leaf 0's path needs the subtree of leaves 512..1023 (level 9, index 1).
        with pytest.raises(NoProof, match=r"subtree \(9, 1\) is not stored"):
            StoredTree(conn, part).inclusion(0, size)
        with pytest.raises(NoProof):
            StoredTree(conn, part).consistency(512, size)
