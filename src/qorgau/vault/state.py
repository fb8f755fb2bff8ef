"""Digest of a subject's stored state, recorded in every state-changing audit event.

``qorgau audit verify`` recomputes it from the vault tables, so a vault row edited, deleted or
inserted behind the system's back is named (DESIGN 3, policy 7.3.7-7.3.8).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from qorgau.vault.store import blind_index, history, subject

HistoryRow = tuple[str, int, str, str, datetime, datetime, bytes]
IndexRow = tuple[str, bytes]


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
    for f, ver, purpose, source, at, sup, ct in sorted(hist, key=lambda r: (r[0], r[1])):
        h.update(f"h|{f}|{ver}|{purpose}|{source}|{iso(at)}|{iso(sup)}|{len(ct)}|".encode())
        h.update(ct)
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


def subject_digest(conn: Connection, subject_id: str) -> bytes:
    row = conn.execute(
        select(subject.c.status, subject.c.category, subject.c.wrapped_key, subject.c.sealed).where(
            subject.c.id == subject_id
        )
    ).one()
    hist = [
        (r[0], r[1], r[2], r[3], r[4], r[5], bytes(r[6]))
        for r in conn.execute(select(*_HIST_COLS).where(history.c.subject_id == subject_id))
    ]
    index = [
        (r[0], bytes(r[1]))
        for r in conn.execute(
            select(blind_index.c.kind, blind_index.c.digest).where(
                blind_index.c.subject_id == subject_id
            )
        )
    ]
    sealed = bytes(row[3]) if row[3] is not None else None
    return digest(row[0], row[1], row[2] is not None, sealed, hist, index)


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
    hists = _Grouped(conn, select(history.c.subject_id, *_HIST_COLS).order_by(history.c.subject_id))
    idx = _Grouped(
        conn,
        select(blind_index.c.subject_id, blind_index.c.kind, blind_index.c.digest).order_by(
            blind_index.c.subject_id
        ),
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
                [(r[0], r[1], r[2], r[3], r[4], r[5], bytes(r[6])) for r in hs],
                [(r[0], bytes(r[1])) for r in ix],
            ),
        )
    if any(g.take(None) or g.orphans for g in (hists, idx)):
        yield ("<rows without a subject>", b"")


class _Grouped:
    """Rows of one id-ordered scan, handed out per subject id in the same order."""

    def __init__(self, conn: Connection, q: Any) -> None:
        rows = conn.execution_options(yield_per=5000).execute(q)
        self._groups = groupby(rows, key=lambda r: r[0])
        self._next = next(self._groups, None)
        self.orphans = 0

    def take(self, sid: str | None) -> list[Any]:
        """Rows for ``sid``; with ``None``, any rows left over (a subject row was deleted)."""
        out: list[Any] = []
        while self._next is not None and (sid is None or self._next[0] <= sid):
            key, grp = self._next
            rows = [tuple(r[1:]) for r in grp]
            if sid is None or key == sid:
                out.extend(rows)
            else:
                self.orphans += len(rows)
            self._next = next(self._groups, None)
        return out
