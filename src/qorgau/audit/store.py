"""Audit tables (on PostgreSQL a trigger refuses UPDATE and DELETE on them: migration) and
their statements: the append (DBAPI cursors), heads, checkpoints, the chain walk. What an
event's hash is and what a broken chain means is the log's and verify's, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
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
    "INSERT INTO audit_event (part, seq, at, action, subject_id, state, body, hash) "
    "VALUES (:part, :seq, :at, :action, :subject_id, :state, :body, :hash)"
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
) -> dict[str, Any]:
    """:data:`INSERT`'s parameters for one event (its time as the dialect stores it)."""
    return {
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
) -> Head | None:
    """Advance the partition's head by this event (:data:`STEP`), then insert the event
    with its sequence number and hash: two statements. None, inserting nothing, when the
    partition has no head."""
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
        event_params(conn, part, head.seq, at, action, subject_id, state, body, head.hash),
    )
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


def last_checkpoint_signature(conn: Connection) -> bytes | None:
    c = audit_checkpoint.c
    sig = conn.execute(select(c.signature).order_by(c.id.desc()).limit(1)).scalar_one_or_none()
    return None if sig is None else bytes(sig)


def last_checkpoint_body(conn: Connection) -> bytes | None:
    c = audit_checkpoint.c
    body = conn.execute(select(c.body).order_by(c.id.desc()).limit(1)).scalar_one_or_none()
    return None if body is None else bytes(body)


def insert_checkpoint(
    conn: Connection, at: datetime, key_id: str, body: bytes, signature: bytes
) -> int:
    """The new checkpoint's id."""
    result = conn.execute(
        insert(audit_checkpoint).values(at=at, key_id=key_id, body=body, signature=signature)
    )
    pk = result.inserted_primary_key
    return int(pk[0]) if pk else 0


class CheckpointRow(NamedTuple):
    id: int
    body: bytes
    signature: bytes


def checkpoints(conn: Connection) -> Iterator[CheckpointRow]:
    """Every checkpoint, oldest first."""
    c = audit_checkpoint.c
    for cid, body, sig in conn.execute(select(c.id, c.body, c.signature).order_by(c.id)):
        yield CheckpointRow(int(cid), bytes(body), bytes(sig))


# -- the chain walk (audit verify) -----------------------------------------------------------

#: An event as the walk reads it: ``(id, part, seq, action, subject_id, state, body, hash)``.
#: A plain tuple, unpacked at once by the walk: building a record per event would cost more
#: than hashing it (the walk streams the whole log).
ChainTuple = tuple[int, int, int, str, "str | None", "bytes | None", bytes, bytes]

_CHAIN = select(
    audit_event.c.id,
    audit_event.c.part,
    audit_event.c.seq,
    audit_event.c.action,
    audit_event.c.subject_id,
    audit_event.c.state,
    audit_event.c.body,
    audit_event.c.hash,
).order_by(audit_event.c.part, audit_event.c.seq)


def chain(conn: Connection) -> Iterator[ChainTuple]:
    """Every event in (partition, sequence) order, streamed: SQLite's own cursor (twice as
    fast as Result rows), a server-side cursor on PostgreSQL (``yield_per``), so memory
    stays flat on any log size."""
    if conn.dialect.name != "sqlite":
        yield from conn.execution_options(yield_per=10_000).execute(_CHAIN)
        return
    cur = cursor(conn)
    cur.execute(str(_CHAIN.compile(dialect=conn.dialect)))
    while rows := cur.fetchmany(10_000):
        yield from rows
