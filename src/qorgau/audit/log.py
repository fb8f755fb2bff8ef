"""Appending to the audit log inside the caller's transaction (DESIGN 2, 3).

A single event is chained by one ``UPDATE audit_head ... RETURNING`` (the chain step runs in
the database: a registered function on SQLite, a SQL function on PostgreSQL), which also
takes the partition's row lock on PostgreSQL, then one INSERT carrying the event's MAC
(computed here: the key never reaches the database). Writers of different partitions never
wait for each other. Bulk appends lock the heads they need once, chain in Python with the
same function and write with executemany. Once the transaction commits, the partitions' new
heads are marked in the heads file outside the database (``anchor.HeadMarks``).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.audit import checkpoint as checkpoints
from qorgau.audit import store
from qorgau.audit.anchor import HeadMarks
from qorgau.audit.mac import MacKey
from qorgau.audit.model import Event, partition_of
from qorgau.audit.store import Head
from qorgau.crypto.signer import Signer
from qorgau.db import GENESIS, after_commit, chain_hash, db_time

_MARKS = "qorgau.audit.marks"


class AuditWriteError(RuntimeError):
    """The audit log could not be appended to: the change must not happen either."""


class AuditLog:
    def __init__(
        self,
        partitions: int,
        mac: MacKey,
        *,
        marks: HeadMarks | None = None,
        origin: str = "qorgau.example/audit",
        chained: bool = True,
    ) -> None:
        self.partitions = partitions
        self.mac = mac
        self.marks = marks
        #: The log's name: each partition's signed notes have origin ``<origin>/<part>``.
        self.origin = origin
        #: Benchmarks only: append without chaining, to measure what chaining costs.
        self.chained = chained

    def _tag(self, part: int, seq: int, digest: bytes) -> bytes:
        return self.mac.tag(part, seq, digest)

    def _mark(self, conn: Connection, heads: Sequence[Head]) -> None:
        """Remember the new heads; once the transaction commits, mark them outside."""
        if self.marks is None:
            return
        pending = after_commit(conn, _MARKS, self.marks.append)
        for h in heads:
            pending[h.part] = (h.seq, h.hash)

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
                conn, part, event.at, event.action, event.subject_id, event.state, body,
                self._tag,
            )  # fmt: skip
            if head is None:
                raise AuditWriteError(f"audit partition {part} missing: run `qorgau init`")
            self._mark(conn, (head,))
            return
        # Unchained (benchmark baseline): a random sequence number keeps (part, seq) unique.
        seq = secrets.randbits(62)
        store.insert_events(
            conn,
            [store.event_params(conn, part, seq, event.at, event.action, event.subject_id,
                                event.state, body, GENESIS, None)],
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
                        "mac": self.mac.tag(part, seq, digest),
                    }
                )
            new_heads.append(Head(part, seq, digest))
        store.insert_events(conn, rows)
        store.set_heads(conn, new_heads)
        self._mark(conn, new_heads)

    def checkpoint(
        self, conn: Connection, signer: Signer, *, anchored: bytes | None = None
    ) -> checkpoints.Signed:
        """Sign every partition's head and tree head (``audit.checkpoint``): each links to
        the previous checkpoint; what it covers is checked first (chain, MACs, the heads
        file)."""
        marks = self.marks.newest() if self.marks is not None else None
        return checkpoints.write(
            conn, signer, self.mac, self.origin, anchored=anchored, marks=marks
        )

    @staticmethod
    def heads_signed(conn: Connection) -> bool:
        """Whether the latest checkpoint already covers every partition's head."""
        newest = store.last_checkpoint(conn)
        if newest is None:
            return False
        signed = {int(p): int(s) for p, s, _h in orjson.loads(newest.body)["heads"]}
        return signed == store.head_seqs(conn)
