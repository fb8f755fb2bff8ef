"""Digest of a subject's stored state, recorded in every state-changing audit event.

``qorgau audit verify`` recomputes it from the vault tables, so a vault row edited, deleted or
inserted behind the system's back is named (DESIGN 3, policy 7.3.7-7.3.8). It covers every
column a value's meaning rests on: the record as stored (its seal, and each value's version,
purpose, source, collection time and ciphertext), each history row's columns, and the blind
indexes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from operator import attrgetter
from typing import Generic, TypeVar

from sqlalchemy import Connection

from qorgau.vault.store import state as store
from qorgau.vault.store.state import HistoryRow, IndexRow, Owned

R = TypeVar("R")

__all__ = ["HistoryRow", "IndexRow", "all_digests", "digest", "iso", "subject_digest"]


def iso(dt: datetime) -> str:
    """UTC ISO text of a stored time (SQLite hands back naive UTC, PostgreSQL aware)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat()


def digest(
    status: str,
    category: str,
    has_key: bool,
    sealed: bytes | None,
    hist: Iterable[HistoryRow] = (),
    index: Iterable[IndexRow] = (),
) -> bytes:
    h = hashlib.sha256(f"{status}|{category}|{int(has_key)}|{len(sealed or b'')}\n".encode())
    if sealed:
        h.update(sealed)
    for r in sorted(hist, key=lambda r: (r.field, r.version)):
        h.update(
            f"h|{r.field}|{r.version}|{r.purpose}|{r.source}|{iso(r.collected_at)}|"
            f"{iso(r.superseded_at)}|{len(r.ciphertext)}|".encode()
        )
        h.update(r.ciphertext)
    for kind, d in sorted(index):
        h.update(f"i|{kind}|".encode() + d)
    return h.digest()


def subject_digest(conn: Connection, subject_id: str) -> bytes:
    row = store.subject_state(conn, subject_id)
    hist = store.subject_history(conn, subject_id)
    index = store.subject_index(conn, subject_id)
    return digest(row.status, row.category, row.has_key, row.sealed, hist, index)


def all_digests(conn: Connection) -> Iterator[tuple[str, bytes]]:
    """Every subject's state digest, by merging three id-ordered scans (audit verify)."""
    subs = store.scan_subjects(conn)
    hists = _Grouped(store.scan_history(conn))
    idx = _Grouped(store.scan_index(conn))
    for sid, status, category, has_key, sealed in subs:
        yield (sid, digest(status, category, has_key, sealed, hists.take(sid), idx.take(sid)))
    if any(g.take(None) or g.orphans for g in (hists, idx)):
        yield ("<rows without a subject>", b"")


_SUBJECT_ID = attrgetter("subject_id")


class _Grouped(Generic[R]):
    """Records of one scan ordered by subject id, handed out per subject id in the same
    order."""

    def __init__(self, rows: Iterator[Owned[R]]) -> None:
        self._groups = groupby(rows, key=_SUBJECT_ID)
        self._next = next(self._groups, None)
        self.orphans = 0

    def take(self, sid: str | None) -> list[R]:
        """Records for ``sid``; with ``None``, any left over (a subject row was deleted)."""
        out: list[R] = []
        while self._next is not None:
            key, grp = self._next
            if sid is not None and key > sid:
                break
            rows = [o.record for o in grp]
            if sid is None or key == sid:
                out.extend(rows)
            else:
                self.orphans += len(rows)
            self._next = next(self._groups, None)
        return out
