"""Sending each partition's signed tree head to a witness, and what to say when it cannot
be sent (issue 13, must-have 3).

After each checkpoint the server offers every partition's newest tree head to the witness
with a consistency proof from the size the witness last cosigned (the C2SP tlog-witness
protocol; the client is ``qorgau.witness.client``, reached through :class:`Cosigner`).
Cosignatures are stored beside the tree heads. A witness that is down does not stop the
log: tree heads queue (they are in the database already) and the next round sends the
newest one of each partition, with a proof from what the witness last saw, so it catches up
in one request per partition. A witness that has cosigned a larger tree than the database
holds is the sign of a rollback (an older copy restored): that is an alarm, never retried
away.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from qorgau.audit import store
from qorgau.audit.checkpoint import partition_origin
from qorgau.audit.proofs import StoredTree


class WitnessConflict(Exception):
    """The witness's last cosigned size for the origin is not the one we sent."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the witness last cosigned size {size}")
        self.size = size


class WitnessDown(Exception):
    """Unreachable, timed out, or answered outside the protocol."""


class WitnessRefusal(Exception):
    """The witness refused the checkpoint (4xx other than a conflict)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status


class Cosigner(Protocol):
    #: The witness's key name (its cosignature lines carry it).
    name: str

    def add_checkpoint(self, old_size: int, proof: list[bytes], signed_note: bytes) -> str:
        """The witness's cosignature line(s); raises the exceptions above."""
        ...

    def latest_size(self, origin: str) -> int | None:
        """The size of the newest checkpoint of ``origin`` the witness cosigned."""
        ...


@dataclass
class WitnessStatus:
    configured: bool
    #: Partitions whose newest tree head the witness has not cosigned.
    queued: int = 0
    last_error: str | None = None
    last_ok: datetime | None = None
    #: Set when the witness has cosigned more than the database holds (a rollback).
    rollback: str | None = None
    rollback_part: int | None = None
    since: datetime | None = None

    @property
    def degraded(self) -> bool:
        return not self.configured or self.queued > 0 or self.rollback is not None

    def warning(self) -> str | None:
        """One plain sentence for the console, /healthz and ``audit verify``."""
        if self.rollback:
            return self.rollback
        if not self.configured:
            return (
                "no witness configured: checkpoints are anchored only in this host's files "
                "(restoring var/ rolls them back)"
            )
        if self.queued:
            when = f" since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else ""
            why = f" ({self.last_error})" if self.last_error else ""
            return (
                f"the witness has not cosigned the newest checkpoints of {self.queued} "
                f"partitions{when}: they are queued{why}"
            )
        return None

    def notice(self) -> tuple[str, dict[str, object]] | None:
        """The warning as a message key and its values (the console translates it)."""
        if self.rollback:
            return "console.audit_warning.rollback", {"part": self.rollback_part}
        if not self.configured:
            return "console.audit_warning.no_witness", {}
        if self.queued:
            return "console.audit_warning.queued", {"n": self.queued}
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            "configured": self.configured,
            "queued": self.queued,
            "rollback": self.rollback is not None,
            "last_ok": self.last_ok.isoformat() if self.last_ok else None,
            "warning": self.warning(),
        }


@dataclass
class Witnessing:
    """One process's view of its witness: the cosigner (None: no witness configured)."""

    cosigner: Cosigner | None
    connect: Callable[[], AbstractContextManager[Connection]]
    unit_of_work: Callable[[], AbstractContextManager[Connection]]
    origin: str
    partitions: int
    status: WitnessStatus = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.status = WitnessStatus(configured=self.cosigner is not None)
        self._rounds = 0

    @property
    def pending(self) -> bool:
        """Whether a round is due even without a new checkpoint: none ran in this process
        yet, or the last one left tree heads queued."""
        return self.cosigner is not None and (not self._rounds or self.status.queued > 0)

    def submit(self) -> WitnessStatus:
        """Offer every partition's newest uncosigned tree head; never raises."""
        if self.cosigner is None:
            return self.status
        with self._lock:
            self._round(self.cosigner)
            self._rounds += 1
        return self.status

    def probe(self) -> WitnessStatus:
        """Ask the witness what it last cosigned of every partition (``audit verify``): more
        than the database holds is a restored older copy, named even when nothing was
        appended since; then offer what is queued."""
        if self.cosigner is None:
            return self.status
        with self._lock:
            with self.connect() as conn:
                heads = store.latest_tree_heads(conn)
            for part in range(self.partitions):
                ours = heads[part].size if part in heads else 0
                try:
                    theirs = self.cosigner.latest_size(partition_origin(self.origin, part))
                except WitnessDown as exc:
                    self.status.last_error = f"unreachable: {exc}"
                    break
                if theirs is not None and theirs > ours:
                    self._rolled_back(part, theirs, ours)
                    break
            self._round(self.cosigner)
            self._rounds += 1
        return self.status

    def _rolled_back(self, part: int, theirs: int, ours: int) -> None:
        self.status.rollback = (
            f"ROLLBACK: the witness has cosigned {theirs} events of partition {part}, this "
            f"database holds {ours}: an older copy was restored"
        )
        self.status.rollback_part = part

    def _round(self, cosigner: Cosigner) -> None:
        with self.connect() as conn:
            heads = store.latest_tree_heads(conn)
            cosigned = store.cosigned_sizes(conn, cosigner.name)
        queued = 0
        for part, head in sorted(heads.items()):
            old = cosigned.get(part, 0)
            if old >= head.size:
                continue
            try:
                line = self._offer(cosigner, part, old, head)
            except WitnessDown as exc:
                self.status.last_error = f"unreachable: {type(exc).__name__}"
                queued = sum(1 for p, h in heads.items() if cosigned.get(p, 0) < h.size)
                break
            except WitnessRefusal as exc:
                self.status.last_error = f"partition {part} refused: {exc}"
                if exc.status == 422:
                    # Our tree does not extend what the witness cosigned: a fork, or an
                    # older copy restored and appended to since.
                    self.status.rollback = (
                        f"ROLLBACK or FORK: the witness refuses partition {part}'s tree as "
                        "inconsistent with what it cosigned"
                    )
                    self.status.rollback_part = part
                queued += 1
                continue
            if line is None:
                queued += 1
                continue
            self._store(part, head.size, cosigner.name, line)
            self.status.last_ok = datetime.now(UTC)
        else:
            if not queued:
                self.status.last_error = None
        if queued and self.status.since is None:
            self.status.since = datetime.now(UTC)
        if not queued:
            self.status.since = None
        self.status.queued = queued

    def _offer(
        self, cosigner: Cosigner, part: int, old: int, head: store.TreeHeadRow
    ) -> str | None:
        for _attempt in range(3):
            with self.connect() as conn:
                proof = StoredTree(conn, part).consistency(old, head.size)
            try:
                return cosigner.add_checkpoint(old, proof, head.note)
            except WitnessConflict as exc:
                if exc.size > head.size:
                    self._rolled_back(part, exc.size, head.size)
                    return None
                old = exc.size
        return None

    def _store(self, part: int, size: int, name: str, line: str) -> None:
        try:
            with self.unit_of_work() as conn:
                store.insert_cosignature(conn, part, size, name, line)
        except IntegrityError:
            pass  # another server process stored the same cosignature
