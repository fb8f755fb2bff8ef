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
from sqlalchemy import Connection

from qorgau.audit import store
from qorgau.audit.model import Event, partition_of
from qorgau.audit.store import Head
from qorgau.crypto.signer import Signer
from qorgau.db import GENESIS, chain_hash, db_time


class AuditWriteError(RuntimeError):
    """The audit log could not be appended to: the change must not happen either."""


class AuditLog:
    def __init__(self, partitions: int, *, chained: bool = True) -> None:
        self.partitions = partitions
        #: Benchmarks only: append without chaining, to measure what chaining costs.
        self.chained = chained

    @staticmethod
    def initialise(conn: Connection, partitions: int) -> None:
        if store.head_count(conn):
            return
        store.insert_heads(conn, [Head(p, 0, GENESIS) for p in range(partitions)])

    @staticmethod
    def partition_count(conn: Connection) -> int:
        return store.head_count(conn)

    def append(self, conn: Connection, event: Event) -> None:
        body = event.body()
        part = partition_of(event.subject_id, event.actor, self.partitions)
        if self.chained:
            head = store.chain_and_insert(
                conn, part, event.at, event.action, event.subject_id, event.state, body
            )
            if head is None:
                raise AuditWriteError(f"audit partition {part} missing: run `qorgau init`")
            return
        # Unchained (benchmark baseline): a random sequence number keeps (part, seq) unique.
        seq = secrets.randbits(62)
        store.insert_events(
            conn,
            [store.event_params(conn, part, seq, event.at, event.action, event.subject_id,
                                event.state, body, GENESIS)],
        )  # fmt: skip

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
        heads = store.lock_heads(conn, parts)
        rows: list[dict[str, Any]] = []
        new_heads: list[Head] = []
        stored_at: dict[datetime, Any] = {}
        for part, items in parts.items():
            _part, seq, digest = heads[part]
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
            new_heads.append(Head(part, seq, digest))
        store.insert_events(conn, rows)
        store.set_heads(conn, new_heads)

    def checkpoint(self, conn: Connection, signer: Signer) -> int:
        """Sign the heads of all partitions; each checkpoint links to the previous one."""
        store.lock_checkpoints(conn)
        heads = store.heads(conn)
        prev = store.last_checkpoint_signature(conn)
        now = datetime.now(UTC)
        body = checkpoint_body(now, heads, prev)
        return store.insert_checkpoint(conn, now, signer.key_id, body, signer.sign(body))

    @staticmethod
    def heads_signed(conn: Connection) -> bool:
        """Whether the latest checkpoint already covers every partition's head."""
        body = store.last_checkpoint_body(conn)
        if body is None:
            return False
        signed = {int(p): int(s) for p, s, _h in orjson.loads(body)["heads"]}
        return signed == store.head_seqs(conn)


def checkpoint_body(
    at: datetime, heads: Sequence[tuple[int, int, bytes]], prev_signature: bytes | None
) -> bytes:
    doc = {
        "at": at.isoformat(),
        "heads": [[p, s, h.hex()] for p, s, h in heads],
        "prev": prev_signature.hex() if prev_signature else None,
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
