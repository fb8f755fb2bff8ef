"""Audit tables (on PostgreSQL a trigger refuses UPDATE and DELETE on them: migration) and
their statements: the append (DBAPI cursors), heads, checkpoints, the chain walk. What an
event's hash is and what a broken chain means is the log's and verify's, not this module's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
    tuple_,
)

from qorgau.db import Instant, Sql, cursor, db_time, metadata

audit_head = Table(
    "audit_head",
    metadata,
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("part", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", Instant(), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject_id", String(32), nullable=True),
    # Digest of the subject's stored state after a state-changing event (vault/state.py).
    Column("state", LargeBinary(32), nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    # HMAC of (part, seq, hash) under the key outside the database (audit/mac.py); NULL for
    # events of the legacy segment, written before migration 0012.
    Column("mac", LargeBinary(32), nullable=True),
    UniqueConstraint("part", "seq", name="uq_audit_event_part_seq"),
    Index("ix_audit_event_subject_id", "subject_id"),
)

audit_checkpoint = Table(
    "audit_checkpoint",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", Instant(), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

#: Each partition's head when migration 0012 ran: the legacy segment, chained the old way.
audit_legacy = Table(
    "audit_legacy",
    metadata,
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
)

#: Aligned perfect subtrees of 2**level leaves (level >= tree.STORED_LEVEL): proofs.
audit_node = Table(
    "audit_node",
    metadata,
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

#: A partition's signed tree head: its size, chain hash, root, right edge and C2SP note.
audit_tree_head = Table(
    "audit_tree_head",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("checkpoint_id", BigInteger, nullable=False),
    Column("part", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("chain", LargeBinary(32), nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("frontier", LargeBinary, nullable=False),
    Column("note", LargeBinary, nullable=False),
    UniqueConstraint("part", "size", name="uq_audit_tree_head_part_size"),
)

#: A witness's cosignature line over a partition's tree head of ``size``.
audit_cosignature = Table(
    "audit_cosignature",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("part", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("witness", String(200), nullable=False),
    Column("line", Text, nullable=False),
    UniqueConstraint("part", "size", "witness", name="uq_audit_cosignature_part_size"),
)


# -- appends (the hot path: DBAPI cursors, qorgau.db.Sql) ------------------------------------

#: One chain step in the database (a registered function on SQLite, a SQL function on
#: PostgreSQL); on PostgreSQL it also takes the partition's row lock.
STEP = Sql(
    "UPDATE audit_head SET seq = seq + 1, "
    "hash = qorgau_chain(hash, part, seq + 1, :action, :subject_id, :state, :body) "
    "WHERE part = :part RETURNING seq, hash"
)
SET_HEAD = Sql("UPDATE audit_head SET seq = :seq, hash = :hash WHERE part = :p")
INSERT = Sql(
    "INSERT INTO audit_event (part, seq, at, action, subject_id, state, body, hash, mac) "
    "VALUES (:part, :seq, :at, :action, :subject_id, :state, :body, :hash, :mac)"
)


class Head(NamedTuple):
    """A partition's head: the last sequence number and hash of its chain."""

    part: int
    seq: int
    hash: bytes


def head_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_head)).scalar_one())


def insert_heads(conn: Connection, heads: Sequence[Head]) -> None:
    conn.execute(insert(audit_head), [h._asdict() for h in heads])


def event_params(
    conn: Connection,
    part: int,
    seq: int,
    at: datetime,
    action: str,
    subject_id: str | None,
    state: bytes | None,
    body: bytes,
    digest: bytes,
    mac: bytes | None,
) -> dict[str, Any]:
    """:data:`INSERT`'s parameters for one event (its time as the dialect stores it)."""
    return {
        "mac": mac,
        "part": part,
        "seq": seq,
        "at": db_time(conn, at),
        "action": action,
        "subject_id": subject_id,
        "state": state,
        "body": body,
        "hash": digest,
    }


def chain_and_insert(
    conn: Connection,
    part: int,
    at: datetime,
    action: str,
    subject_id: str | None,
    state: bytes | None,
    body: bytes,
    tag: Callable[[int, int, bytes], bytes | None],
) -> Head | None:
    """Advance the partition's head by this event (:data:`STEP`), then insert the event
    with its sequence number, hash and ``tag(part, seq, hash)`` (its MAC): two statements.
    None, inserting nothing, when the partition has no head."""
    cur = cursor(conn)
    cur.execute(
        STEP.render(conn),
        {"action": action, "subject_id": subject_id, "state": state, "body": body, "part": part},
    )
    row = cur.fetchone()
    if row is None:
        return None
    got_seq, got_hash = row
    head = Head(part, int(got_seq), bytes(got_hash))
    cur.execute(
        INSERT.render(conn),
        event_params(
            conn, part, head.seq, at, action, subject_id, state, body, head.hash,
            tag(part, head.seq, head.hash),
        ),
    )  # fmt: skip
    return head


def insert_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Events already chained (:func:`event_params` each, or the same keys), in one
    ``executemany``."""
    cursor(conn).executemany(INSERT.render(conn), rows)


def lock_heads(conn: Connection, parts: Iterable[int]) -> dict[int, Head]:
    """The heads of these partitions, locked in partition order on PostgreSQL (held until
    the transaction ends)."""
    # Partition numbers are ints computed by the log: safe to inline.
    listed = ",".join(str(int(p)) for p in sorted(parts))
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    cur = cursor(conn)
    cur.execute(
        f"SELECT part, seq, hash FROM audit_head WHERE part IN ({listed}) "  # noqa: S608
        f"ORDER BY part{lock}"
    )
    return {int(p): Head(int(p), int(s), bytes(h)) for p, s, h in cur.fetchall()}


def set_heads(conn: Connection, heads: Iterable[Head]) -> None:
    """Move these partitions' heads (after :func:`lock_heads`), in one ``executemany``."""
    cursor(conn).executemany(
        SET_HEAD.render(conn), [{"p": h.part, "seq": h.seq, "hash": h.hash} for h in heads]
    )


# -- heads and checkpoints -------------------------------------------------------------------


def heads(conn: Connection) -> list[Head]:
    """Every partition's head, in partition order."""
    h = audit_head.c
    q = select(h.part, h.seq, h.hash).order_by(h.part)
    return [Head(int(p), int(s), bytes(d)) for p, s, d in conn.execute(q)]


def head_seqs(conn: Connection) -> dict[int, int]:
    """Every partition's last sequence number."""
    return {int(p): int(s) for p, s in conn.execute(select(audit_head.c.part, audit_head.c.seq))}


def lock_checkpoints(conn: Connection) -> None:
    """Until the transaction ends, no other checkpoint is written (PostgreSQL; SQLite has one
    writer): two at once would both link to the same predecessor."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('qorgau.checkpoint'))"))


def insert_checkpoint(
    conn: Connection, at: datetime, key_id: str, body: bytes, signature: bytes
) -> int:
    """The new checkpoint's id."""
    result = conn.execute(
        insert(audit_checkpoint).values(at=at, key_id=key_id, body=body, signature=signature)
    )
    pk = result.inserted_primary_key
    return int(pk[0]) if pk else 0


def has_checkpoint_signature(conn: Connection, signature: bytes) -> bool:
    c = audit_checkpoint.c
    q = select(c.id).where(c.signature == signature).limit(1)
    return conn.execute(q).first() is not None


class CheckpointRow(NamedTuple):
    id: int
    body: bytes
    signature: bytes


def last_checkpoint(conn: Connection) -> CheckpointRow | None:
    c = audit_checkpoint.c
    row = conn.execute(
        select(c.id, c.body, c.signature).order_by(c.id.desc()).limit(1)
    ).one_or_none()
    return None if row is None else CheckpointRow(int(row[0]), bytes(row[1]), bytes(row[2]))


def checkpoints(conn: Connection) -> Iterator[CheckpointRow]:
    """Every checkpoint, oldest first."""
    c = audit_checkpoint.c
    for cid, body, sig in conn.execute(select(c.id, c.body, c.signature).order_by(c.id)):
        yield CheckpointRow(int(cid), bytes(body), bytes(sig))


# -- the chain walk (audit verify) -----------------------------------------------------------

#: An event as the walk reads it:
#: ``(id, part, seq, action, subject_id, state, body, hash, mac)``.
#: A plain tuple, unpacked at once by the walk: building a record per event would cost more
#: than hashing it (the walk streams the whole log).
ChainTuple = tuple[int, int, int, str, "str | None", "bytes | None", bytes, bytes, "bytes | None"]

_CHAIN = select(
    audit_event.c.id,
    audit_event.c.part,
    audit_event.c.seq,
    audit_event.c.action,
    audit_event.c.subject_id,
    audit_event.c.state,
    audit_event.c.body,
    audit_event.c.hash,
    audit_event.c.mac,
).order_by(audit_event.c.part, audit_event.c.seq)


def chain_batches(conn: Connection, size: int = 10_000) -> Iterator[Sequence[ChainTuple]]:
    """Every event in (partition, sequence) order, streamed in lists of up to ``size``:
    SQLite's own cursor (twice as fast as Result rows), a server-side cursor on PostgreSQL
    (``yield_per``), so memory stays flat on any log size."""
    if conn.dialect.name != "sqlite":
        yield from conn.execution_options(yield_per=size).execute(_CHAIN).partitions()
        return
    cur = cursor(conn)
    cur.execute(str(_CHAIN.compile(dialect=conn.dialect)))
    while rows := cur.fetchmany(size):
        yield rows


def chain(conn: Connection) -> Iterator[ChainTuple]:
    """Every event in (partition, sequence) order, one at a time (:func:`chain_batches`)."""
    for rows in chain_batches(conn):
        yield from rows


# -- trees: the legacy segment, events to cover, tree heads, nodes, cosignatures -------------


def legacy_heads(conn: Connection) -> dict[int, tuple[int, bytes]]:
    """Each partition's head when migration 0012 ran (its events are chained the old way)."""
    c = audit_legacy.c
    return {int(p): (int(s), bytes(h)) for p, s, h in conn.execute(select(c.part, c.seq, c.hash))}


#: An event as the checkpointer reads it: ``(seq, action, subject_id, state, body, hash, mac)``.
EntryTuple = tuple[int, str, "str | None", "bytes | None", bytes, bytes, "bytes | None"]


def events_after(conn: Connection, part: int, seq: int, upto: int) -> list[EntryTuple]:
    """The partition's events ``seq < n <= upto``, in order."""
    e = audit_event.c
    q = (
        select(e.seq, e.action, e.subject_id, e.state, e.body, e.hash, e.mac)
        .where(e.part == part, e.seq > seq, e.seq <= upto)
        .order_by(e.seq)
    )
    return [
        (int(n), a, sid, None if st is None else bytes(st), bytes(b), bytes(h),
         None if m is None else bytes(m))
        for n, a, sid, st, b, h, m in conn.execute(q)
    ]  # fmt: skip


_EVENT_HASHES = Sql(
    "SELECT hash FROM audit_event WHERE part = :part AND seq > :start AND seq <= :end ORDER BY seq"
)


def event_hashes(conn: Connection, part: int, start: int, end: int) -> list[bytes]:
    """The hashes (leaf hashes) of the partition's leaves ``[start, end)``: its events
    ``start + 1 .. end`` (sequence numbers count from one, leaves from zero). One range
    read through the DBAPI cursor (a proof reads one or two such blocks)."""
    cur = cursor(conn)
    cur.execute(_EVENT_HASHES.render(conn), {"part": part, "start": start, "end": end})
    return [bytes(h) for (h,) in cur.fetchall()]


class TreeHeadRow(NamedTuple):
    checkpoint_id: int
    part: int
    size: int
    chain: bytes
    root: bytes
    frontier: bytes
    note: bytes


_TREE_COLS = (
    audit_tree_head.c.checkpoint_id,
    audit_tree_head.c.part,
    audit_tree_head.c.size,
    audit_tree_head.c.chain,
    audit_tree_head.c.root,
    audit_tree_head.c.frontier,
    audit_tree_head.c.note,
)


def _tree_row(r: Any) -> TreeHeadRow:
    return TreeHeadRow(
        int(r[0]), int(r[1]), int(r[2]), bytes(r[3]), bytes(r[4]), bytes(r[5]), bytes(r[6])
    )


def latest_tree_heads(conn: Connection) -> dict[int, TreeHeadRow]:
    """Each partition's newest tree head: those the newest checkpoint names (it lists every
    partition's tree), fetched by key, so the cost does not grow with the log's age."""
    newest = last_checkpoint(conn)
    if newest is None:
        return {}
    named = [(int(p), int(s)) for p, s, _r in orjson.loads(newest.body).get("trees", ()) if s]
    if not named:
        return {}
    t = audit_tree_head.c
    q = select(*_TREE_COLS).where(tuple_(t.part, t.size).in_(named))
    return {row.part: row for row in map(_tree_row, conn.execute(q))}


def tree_head(conn: Connection, part: int, size: int) -> TreeHeadRow | None:
    t = audit_tree_head.c
    row = conn.execute(select(*_TREE_COLS).where(t.part == part, t.size == size)).one_or_none()
    return None if row is None else _tree_row(row)


def tree_heads_of(conn: Connection, checkpoint_id: int) -> list[TreeHeadRow]:
    t = audit_tree_head.c
    q = select(*_TREE_COLS).where(t.checkpoint_id == checkpoint_id).order_by(t.part)
    return [_tree_row(r) for r in conn.execute(q)]


def insert_tree_heads(conn: Connection, rows: Sequence[TreeHeadRow]) -> None:
    if rows:
        conn.execute(insert(audit_tree_head), [r._asdict() for r in rows])


INSERT_NODE = Sql(
    "INSERT INTO audit_node (part, level, idx, hash) VALUES (:part, :level, :idx, :hash)"
)


def insert_nodes(conn: Connection, part: int, nodes: Iterable[tuple[int, int, bytes]]) -> None:
    rows = [{"part": part, "level": lv, "idx": ix, "hash": h} for lv, ix, h in nodes]
    if rows:
        cursor(conn).executemany(INSERT_NODE.render(conn), rows)


@lru_cache(maxsize=128)
def _nodes_sql(count: int) -> Sql:
    terms = " OR ".join(f"(part = :p AND level = :l{i} AND idx = :x{i})" for i in range(count))
    return Sql(f"SELECT level, idx, hash FROM audit_node WHERE {terms}")  # noqa: S608


def nodes(
    conn: Connection, part: int, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """Those of the partition's stored subtrees ``(level, idx)`` that exist, in one query
    (one primary-key look-up each, on SQLite as on PostgreSQL)."""
    if not keys:
        return {}
    params: dict[str, int] = {"p": part}
    for i, (level, idx) in enumerate(keys):
        params[f"l{i}"], params[f"x{i}"] = level, idx
    cur = cursor(conn)
    cur.execute(_nodes_sql(len(keys)).render(conn), params)
    return {(int(lv), int(ix)): bytes(h) for lv, ix, h in cur.fetchall()}


def node(conn: Connection, part: int, level: int, idx: int) -> bytes | None:
    n = audit_node.c
    got = conn.execute(
        select(n.hash).where(n.part == part, n.level == level, n.idx == idx)
    ).scalar_one_or_none()
    return None if got is None else bytes(got)


def insert_cosignature(conn: Connection, part: int, size: int, witness: str, line: str) -> None:
    conn.execute(insert(audit_cosignature).values(part=part, size=size, witness=witness, line=line))


def cosigned_sizes(conn: Connection, witness: str) -> dict[int, int]:
    """The largest size the witness cosigned, by partition."""
    c = audit_cosignature.c
    q = select(c.part, func.max(c.size)).where(c.witness == witness).group_by(c.part)
    return {int(p): int(s) for p, s in conn.execute(q)}


def cosignatures_at(
    conn: Connection, heads: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], list[tuple[str, str]]]:
    """The cosignature lines of the given (partition, size) tree heads only."""
    wanted = set(heads)
    if not wanted:
        return {}
    c = audit_cosignature.c
    q = select(c.part, c.size, c.witness, c.line).where(
        c.part.in_(sorted({p for p, _ in wanted})), c.size.in_(sorted({s for _, s in wanted}))
    )
    out: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for part, size, witness, line in conn.execute(q.order_by(c.id)):
        if (int(part), int(size)) in wanted:
            out.setdefault((int(part), int(size)), []).append((witness, line))
    return out
