"""Digest of a subject's stored state, recorded in every state-changing audit event.

``qorgau audit verify`` recomputes it from the vault tables, so a vault row edited, deleted or
inserted behind the system's back is named (DESIGN 3, policy 7.3.7-7.3.8).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import Connection, select

from qorgau.vault.store import blind_index, history, subject

R = TypeVar("R")


class HistoryRow(NamedTuple):
    """A superseded version, as the digest covers it."""

    field: str
    version: int
    purpose: str
    source: str
    collected_at: datetime
    superseded_at: datetime
    ciphertext: bytes


class IndexRow(NamedTuple):
    kind: str
    digest: bytes


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


_HIST_COLS = (
    history.c.field,
    history.c.version,
    history.c.purpose,
    history.c.source,
    history.c.collected_at,
    history.c.superseded_at,
    history.c.ciphertext,
)


def _history_row(r: Any) -> HistoryRow:
    return HistoryRow(
        r.field, r.version, r.purpose, r.source, r.collected_at, r.superseded_at,
        bytes(r.ciphertext),
    )  # fmt: skip


def _index_row(r: Any) -> IndexRow:
    return IndexRow(r.kind, bytes(r.digest))


def subject_digest(conn: Connection, subject_id: str) -> bytes:
    status, category, wrapped, sealed = conn.execute(
        select(subject.c.status, subject.c.category, subject.c.wrapped_key, subject.c.sealed).where(
            subject.c.id == subject_id
        )
    ).one()
    hist = [
        _history_row(r)
        for r in conn.execute(select(*_HIST_COLS).where(history.c.subject_id == subject_id))
    ]
    index = [
        _index_row(r)
        for r in conn.execute(
            select(blind_index.c.kind, blind_index.c.digest).where(
                blind_index.c.subject_id == subject_id
            )
        )
    ]
    blob = bytes(sealed) if sealed is not None else None
    return digest(status, category, wrapped is not None, blob, hist, index)


def all_digests(conn: Connection) -> Iterator[tuple[str, bytes]]:
    """Every subject's state digest, by merging three id-ordered scans (audit verify)."""
    subs = conn.execution_options(yield_per=5000).execute(
        select(
            subject.c.id,
            subject.c.status,
            subject.c.category,
            subject.c.wrapped_key,
            subject.c.sealed,
        ).order_by(subject.c.id)
    )
    hists = _Grouped(
        conn,
        select(history.c.subject_id, *_HIST_COLS).order_by(history.c.subject_id),
        _history_row,
    )
    idx = _Grouped(
        conn,
        select(blind_index.c.subject_id, blind_index.c.kind, blind_index.c.digest).order_by(
            blind_index.c.subject_id
        ),
        _index_row,
    )
    for sid, status, category, wrapped, sealed in subs:
        hs = hists.take(sid)
        ix = idx.take(sid)
        yield (
            sid,
            digest(
                status,
                category,
                wrapped is not None,
                bytes(sealed) if sealed is not None else None,
                hs,
                ix,
            ),
        )
    if any(g.take(None) or g.orphans for g in (hists, idx)):
        yield ("<rows without a subject>", b"")


class _Grouped(Generic[R]):
    """Records of one scan ordered by ``subject_id``, handed out per subject id in the same
    order."""

    def __init__(self, conn: Connection, q: Any, record: Callable[[Any], R]) -> None:
        rows = conn.execution_options(yield_per=5000).execute(q)
        self._groups = groupby(rows, key=lambda r: str(r.subject_id))
        self._next = next(self._groups, None)
        self._record = record
        self.orphans = 0

    def take(self, sid: str | None) -> list[R]:
        """Records for ``sid``; with ``None``, any left over (a subject row was deleted)."""
        out: list[R] = []
        while self._next is not None:
            key, grp = self._next
            if sid is not None and key > sid:
                break
            rows = [self._record(r) for r in grp]
            if sid is None or key == sid:
                out.extend(rows)
            else:
                self.orphans += len(rows)
            self._next = next(self._groups, None)
        return out
