"""Appending to the audit log inside the caller's transaction (DESIGN 2, 3).

A single event is chained by one ``UPDATE audit_head ... RETURNING`` (the chain step runs in
the database: a registered function on SQLite, a SQL function on PostgreSQL), which also
takes the partition's row lock on PostgreSQL, then one INSERT. Writers of different
partitions never wait for each other. Bulk appends lock the heads they need once, chain in
Python with the same function and write with executemany.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select, text

from qorgau.audit.model import Event, partition_of
from qorgau.audit.store import audit_checkpoint, audit_head
from qorgau.crypto.signer import Signer
from qorgau.db import GENESIS, Sql, chain_hash, cursor, db_time

_STEP = Sql(
    "UPDATE audit_head SET seq = seq + 1, "
    "hash = qorgau_chain(hash, part, seq + 1, :action, :subject_id, :state, :body) "
    "WHERE part = :part RETURNING seq, hash"
)
_SET_HEAD = Sql("UPDATE audit_head SET seq = :seq, hash = :hash WHERE part = :p")
_INSERT = Sql(
    "INSERT INTO audit_event (part, seq, at, action, subject_id, state, body, hash) "
    "VALUES (:part, :seq, :at, :action, :subject_id, :state, :body, :hash)"
)


class AuditWriteError(RuntimeError):
    """The audit log could not be appended to: the change must not happen either."""


class AuditLog:
    def __init__(self, partitions: int, *, chained: bool = True) -> None:
        self.partitions = partitions
        #: Benchmarks only: append without chaining, to measure what chaining costs.
        self.chained = chained

    @staticmethod
    def initialise(conn: Connection, partitions: int) -> None:
        existing = conn.execute(select(func.count()).select_from(audit_head)).scalar_one()
        if existing:
            return
        conn.execute(
            insert(audit_head), [{"part": p, "seq": 0, "hash": GENESIS} for p in range(partitions)]
        )

    @staticmethod
    def partition_count(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(audit_head)).scalar_one())

    def append(self, conn: Connection, event: Event) -> None:
        body = event.body()
        part = partition_of(event.subject_id, event.actor, self.partitions)
        cur = cursor(conn)
        if self.chained:
            cur.execute(
                _STEP.render(conn),
                {
                    "action": event.action,
                    "subject_id": event.subject_id,
                    "state": event.state,
                    "body": body,
                    "part": part,
                },
            )
            row = cur.fetchone()
            if row is None:
                raise AuditWriteError(f"audit partition {part} missing: run `qorgau init`")
            got_seq, got_hash = row
            seq, digest = int(got_seq), bytes(got_hash)
        else:
            # Unchained (benchmark baseline): a random sequence number keeps (part, seq) unique.
            seq, digest = secrets.randbits(62), GENESIS
        cur.execute(_INSERT.render(conn), _row(conn, part, seq, event, body, digest))

    def append_many(self, conn: Connection, events: Sequence[Event]) -> None:
        if not events:
            return
        if len(events) == 1 or not self.chained:
            for ev in events:
                self.append(conn, ev)
            return
        parts: dict[int, list[tuple[Event, bytes]]] = defaultdict(list)
        for ev in events:
            parts[partition_of(ev.subject_id, ev.actor, self.partitions)].append((ev, ev.body()))
        # Partition numbers are ints we computed: safe to inline. Locked in order (PG).
        listed = ",".join(str(p) for p in sorted(parts))
        lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
        cur = cursor(conn)
        cur.execute(
            f"SELECT part, seq, hash FROM audit_head WHERE part IN ({listed}) "  # noqa: S608
            f"ORDER BY part{lock}"
        )
        heads = {int(p): (int(s), bytes(h)) for p, s, h in cur.fetchall()}
        rows: list[dict[str, Any]] = []
        new_heads: list[dict[str, Any]] = []
        stored_at: dict[datetime, Any] = {}
        for part, items in parts.items():
            seq, digest = heads[part]
            for ev, body in items:
                seq += 1
                digest = chain_hash(digest, part, seq, ev.action, ev.subject_id, ev.state, body)
                at = stored_at.get(ev.at)
                if at is None:
                    at = stored_at[ev.at] = db_time(conn, ev.at)
                rows.append(
                    {
                        "part": part,
                        "seq": seq,
                        "at": at,
                        "action": ev.action,
                        "subject_id": ev.subject_id,
                        "state": ev.state,
                        "body": body,
                        "hash": digest,
                    }
                )
            new_heads.append({"p": part, "seq": seq, "hash": digest})
        cur.executemany(_INSERT.render(conn), rows)
        cur.executemany(_SET_HEAD.render(conn), new_heads)

    def checkpoint(self, conn: Connection, signer: Signer) -> int:
        """Sign the heads of all partitions; each checkpoint links to the previous one."""
        if conn.dialect.name == "postgresql":
            # Two processes checkpointing at once would both link to the same predecessor.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('qorgau.checkpoint'))"))
        heads = conn.execute(
            select(audit_head.c.part, audit_head.c.seq, audit_head.c.hash).order_by(
                audit_head.c.part
            )
        ).all()
        prev = conn.execute(
            select(audit_checkpoint.c.signature).order_by(audit_checkpoint.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        now = datetime.now(UTC)
        body = checkpoint_body(now, [(int(p), int(s), bytes(h)) for p, s, h in heads], prev)
        result = conn.execute(
            insert(audit_checkpoint).values(
                at=now, key_id=signer.key_id, body=body, signature=signer.sign(body)
            )
        )
        pk = result.inserted_primary_key
        return int(pk[0]) if pk else 0

    @staticmethod
    def heads_signed(conn: Connection) -> bool:
        """Whether the latest checkpoint already covers every partition's head."""
        body = conn.execute(
            select(audit_checkpoint.c.body).order_by(audit_checkpoint.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        if body is None:
            return False
        signed = {int(p): int(s) for p, s, _h in orjson.loads(bytes(body))["heads"]}
        current = {
            int(p): int(s) for p, s in conn.execute(select(audit_head.c.part, audit_head.c.seq))
        }
        return signed == current


def checkpoint_body(
    at: datetime, heads: Sequence[tuple[int, int, bytes]], prev_signature: bytes | None
) -> bytes:
    doc = {
        "at": at.isoformat(),
        "heads": [[p, s, h.hex()] for p, s, h in heads],
        "prev": prev_signature.hex() if prev_signature else None,
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def _row(
    conn: Connection, part: int, seq: int, ev: Event, body: bytes, digest: bytes
) -> dict[str, Any]:
    return {
        "part": part,
        "seq": seq,
        "at": db_time(conn, ev.at),
        "action": ev.action,
        "subject_id": ev.subject_id,
        "state": ev.state,
        "body": body,
        "hash": digest,
    }
