"""The reads behind a subject's state digest (:mod:`qorgau.vault.state`): one subject's
rows, or three id-ordered scans of every subject, history version and blind index
(streamed with ``yield_per``: memory stays flat for audit verify)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import Connection, select

from qorgau.vault.store import blind_index, history, subject

#: Rows fetched per round trip by the scans.
BATCH = 5000

R = TypeVar("R")


class StateRow(NamedTuple):
    """A subject row as the digest covers it."""

    id: str
    status: str
    category: str
    has_key: bool
    sealed: bytes | None


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


class Owned(NamedTuple, Generic[R]):
    """A scanned record with the id of the subject it belongs to."""

    subject_id: str
    record: R


_SUBJECT_COLS = (
    subject.c.id,
    subject.c.status,
    subject.c.category,
    subject.c.wrapped_key,
    subject.c.sealed,
)
_HIST_COLS = (
    history.c.field,
    history.c.version,
    history.c.purpose,
    history.c.source,
    history.c.collected_at,
    history.c.superseded_at,
    history.c.ciphertext,
)


def _state_row(r: Any) -> StateRow:
    sealed = r.sealed
    return StateRow(
        r.id, r.status, r.category, r.wrapped_key is not None,
        bytes(sealed) if sealed is not None else None,
    )  # fmt: skip


def _history_row(r: Any) -> HistoryRow:
    return HistoryRow(
        r.field, r.version, r.purpose, r.source, r.collected_at, r.superseded_at,
        bytes(r.ciphertext),
    )  # fmt: skip


def _index_row(r: Any) -> IndexRow:
    return IndexRow(r.kind, bytes(r.digest))


# -- one subject -----------------------------------------------------------------------------


def subject_state(conn: Connection, subject_id: str) -> StateRow:
    """The subject's row (it must exist)."""
    return _state_row(conn.execute(select(*_SUBJECT_COLS).where(subject.c.id == subject_id)).one())


def subject_history(conn: Connection, subject_id: str) -> list[HistoryRow]:
    q = select(*_HIST_COLS).where(history.c.subject_id == subject_id)
    return [_history_row(r) for r in conn.execute(q)]


def subject_index(conn: Connection, subject_id: str) -> list[IndexRow]:
    b = blind_index.c
    q = select(b.kind, b.digest).where(b.subject_id == subject_id)
    return [_index_row(r) for r in conn.execute(q)]


# -- every subject, in id order --------------------------------------------------------------


def scan_subjects(conn: Connection) -> Iterator[StateRow]:
    """Every subject row, in id order."""
    rows = conn.execution_options(yield_per=BATCH).execute(
        select(*_SUBJECT_COLS).order_by(subject.c.id)
    )
    return map(_state_row, rows)


def scan_history(conn: Connection) -> Iterator[Owned[HistoryRow]]:
    """Every history version with its subject id, in subject id order."""
    rows = conn.execution_options(yield_per=BATCH).execute(
        select(history.c.subject_id, *_HIST_COLS).order_by(history.c.subject_id)
    )
    return (Owned(str(r.subject_id), _history_row(r)) for r in rows)


def scan_index(conn: Connection) -> Iterator[Owned[IndexRow]]:
    """Every blind index with its subject id, in subject id order."""
    b = blind_index.c
    rows = conn.execution_options(yield_per=BATCH).execute(
        select(b.subject_id, b.kind, b.digest).order_by(b.subject_id)
    )
    return (Owned(str(r.subject_id), _index_row(r)) for r in rows)
