"""The gate's statements on a subject's rows: load (DBAPI cursors on the read paths),
collect in bulk, change status or category, clarify (history, blind index), shred.

No decision is taken here: the gate decides what to run, in which order and under which
row lock (``lock=True``: ``FOR UPDATE`` on PostgreSQL; SQLite has one writer, so a unit of
work already excludes every other).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, delete, func, insert, select, update

from qorgau.db import Sql, cursor
from qorgau.vault.model import Status, SubjectNotFound
from qorgau.vault.record import Entry, index, unpack
from qorgau.vault.store import (
    EXISTS,
    IDS_BY_INDEX,
    INS_INDEX,
    INS_SUBJECT,
    LOAD_BY_INDEX,
    blind_index,
    confirmed_contact,
    history,
    subject,
    with_kept,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

LOAD_ONE = with_kept("SELECT {cols} FROM subject s WHERE s.id = :sid")
#: Holds the row until the transaction ends: every read-modify-write of a subject
#: (clarify, destroy, block, recategorise) takes it first, so two writers on one subject
#: queue instead of losing one's values (DESIGN 10). SQLite has one writer anyway. Taken
#: before ``LOAD_ONE``, not with it: in PostgreSQL's READ COMMITTED a locked row another
#: writer changed meanwhile is re-read at its newest version, but the history beside it
#: would still come from the statement's older snapshot.
LOCK_ONE = Sql("SELECT 1 FROM subject WHERE id = :sid FOR UPDATE")
LOAD_MANY = "SELECT {cols} FROM subject s WHERE s.id IN ({marks})"
#: Ids per ``LOAD_MANY`` statement.
CHUNK = 500


@dataclass(slots=True)
class Loaded:
    """A subject's row: its status, its wrapped data key, its sealed values, and the
    versions its history keeps (``field:version`` joined by commas; None for none)."""

    id: str
    category: str
    status: str
    kek_id: str | None
    wrapped: bytes | None
    sealed: bytes | None
    kept: str | None = None
    _raw: dict[str, list[object]] | None = field(default=None, repr=False, compare=False)
    #: The subject's cipher, once the gate has authenticated this record (this load only).
    cipher: AESGCM | None = field(default=None, repr=False, compare=False)

    @property
    def entries(self) -> dict[str, Entry]:
        return unpack(self.sealed)

    @property
    def raw(self) -> dict[str, list[object]]:
        """The record parsed, not decoded (:func:`qorgau.vault.record.index`), once."""
        if self._raw is None:
            self._raw = index(self.sealed)
        return self._raw


def loaded(row: Sequence[Any]) -> Loaded:
    sid, category, status, kek_id, wrapped, sealed, kept = row
    return Loaded(
        sid,
        category,
        status,
        kek_id,
        bytes(wrapped) if wrapped is not None else None,
        bytes(sealed) if sealed is not None else None,
        kept,
    )


def _locked(conn: Connection, q: Select[Any], lock: bool) -> Select[Any]:
    """``q`` holding its rows until the transaction ends when ``lock`` (PostgreSQL)."""
    return q.with_for_update() if lock and conn.dialect.name == "postgresql" else q


# -- loads (DBAPI cursors) -----------------------------------------------------------------


def load_one(conn: Connection, subject_id: str, *, lock: bool = False) -> Loaded:
    """The subject's row (``lock``: held until the transaction ends, on PostgreSQL)."""
    cur = cursor(conn)
    if lock and conn.dialect.name == "postgresql":
        cur.execute(LOCK_ONE.pg, {"sid": subject_id})
    cur.execute(LOAD_ONE.render(conn), {"sid": subject_id})
    row = cur.fetchone()
    if row is None:
        raise SubjectNotFound(subject_id)
    return loaded(row)


def load_many(conn: Connection, subject_ids: Sequence[str]) -> dict[str, Loaded]:
    """The rows of these subjects by id (one statement per :data:`CHUNK` ids); an unknown
    id is left out."""
    out: dict[str, Loaded] = {}
    cur = cursor(conn)
    for start in range(0, len(subject_ids), CHUNK):
        chunk = subject_ids[start : start + CHUNK]
        marks = ", ".join(f":s{i}" for i in range(len(chunk)))
        cur.execute(
            with_kept(LOAD_MANY.replace("{marks}", marks)).render(conn),
            {f"s{i}": sid for i, sid in enumerate(chunk)},
        )
        out.update((s.id, s) for s in map(loaded, cur.fetchall()))
    return out


def load_by_index(conn: Connection, kind: str, digest: bytes) -> list[Loaded]:
    """Every subject (destroyed ones too) whose blind index of ``kind`` is ``digest``."""
    cur = cursor(conn)
    cur.execute(LOAD_BY_INDEX.render(conn), {"kind": kind, "digest": digest})
    return [loaded(row) for row in cur.fetchall()]


def ids_by_index(conn: Connection, kind: str, digest: bytes) -> list[str]:
    """Ids of the subjects not destroyed whose blind index of ``kind`` is ``digest``."""
    cur = cursor(conn)
    cur.execute(IDS_BY_INDEX.render(conn), {"kind": kind, "digest": digest})
    return [str(sid) for (sid,) in cur.fetchall()]


def exists(conn: Connection, subject_id: str) -> bool:
    cur = cursor(conn)
    cur.execute(EXISTS.render(conn), {"sid": subject_id})
    return cur.fetchone() is not None


def keyed_among(conn: Connection, subject_ids: Sequence[str]) -> list[str]:
    """Which of ``subject_ids`` still have a wrapped data key (500 ids per statement)."""
    ids = sorted(subject_ids)
    out: list[str] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        q = select(subject.c.id).where(subject.c.id.in_(chunk), subject.c.wrapped_key.is_not(None))
        out.extend(str(sid) for (sid,) in conn.execute(q))
    return out


def status_counts(conn: Connection) -> dict[str, int]:
    """Subjects per status."""
    q = select(subject.c.status, func.count()).group_by(subject.c.status)
    return {str(k): int(n) for k, n in conn.execute(q)}


# -- collect (executemany) -----------------------------------------------------------------


def insert_subjects(
    conn: Connection, subjects: Sequence[Mapping[str, Any]], index: Sequence[Mapping[str, Any]]
) -> None:
    """New subject rows (``INS_SUBJECT`` parameters) and their blind indexes."""
    cur = cursor(conn)
    cur.executemany(INS_SUBJECT.render(conn), subjects)
    if index:
        cur.executemany(INS_INDEX.render(conn), index)


# -- status and category -------------------------------------------------------------------


def status_of(conn: Connection, subject_id: str, *, lock: bool = False) -> str | None:
    """The subject's status; None for an unknown id."""
    q = select(subject.c.status).where(subject.c.id == subject_id)
    value = conn.execute(_locked(conn, q, lock)).scalar_one_or_none()
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Standing:
    status: str
    category: str


def standing(conn: Connection, subject_id: str, *, lock: bool = False) -> Standing | None:
    """The subject's status and category; None for an unknown id."""
    q = select(subject.c.status, subject.c.category).where(subject.c.id == subject_id)
    row = conn.execute(_locked(conn, q, lock)).one_or_none()
    return None if row is None else Standing(row.status, row.category)


def set_status(conn: Connection, subject_id: str, status: str) -> None:
    conn.execute(update(subject).where(subject.c.id == subject_id).values(status=status))


def set_category(conn: Connection, subject_id: str, category: str) -> None:
    conn.execute(update(subject).where(subject.c.id == subject_id).values(category=category))


# -- clarify: values, history, blind index -------------------------------------------------


def set_sealed(conn: Connection, subject_id: str, sealed: bytes) -> None:
    conn.execute(update(subject).where(subject.c.id == subject_id).values(sealed=sealed))


def keep_version(conn: Connection, subject_id: str, old: Entry, superseded_at: datetime) -> None:
    """Move a superseded value (still sealed) to history."""
    conn.execute(
        insert(history).values(
            subject_id=subject_id,
            field=old.field,
            version=old.version,
            purpose=old.purpose,
            source=old.source,
            collected_at=datetime.fromisoformat(old.collected_at),
            superseded_at=superseded_at,
            ciphertext=old.ciphertext,
        )
    )


def delete_index(conn: Connection, subject_id: str, kind: str) -> None:
    b = blind_index.c
    conn.execute(delete(blind_index).where(b.subject_id == subject_id, b.kind == kind))


def insert_index(conn: Connection, subject_id: str, kind: str, digest: bytes) -> None:
    conn.execute(insert(blind_index).values(kind=kind, digest=digest, subject_id=subject_id))


# -- shred ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShredRow:
    """A subject as a batch destruction reads it (locked)."""

    id: str
    category: str
    status: str
    sealed: bytes | None


def lock_for_shredding(conn: Connection, subject_ids: Sequence[str]) -> list[ShredRow]:
    """These subjects' rows, locked in id order (one lock order: no deadlock between two
    batches)."""
    q = (
        select(subject.c.id, subject.c.category, subject.c.status, subject.c.sealed)
        .where(subject.c.id.in_(list(subject_ids)))
        .order_by(subject.c.id)
    )
    return [
        ShredRow(r.id, r.category, r.status, bytes(r.sealed) if r.sealed is not None else None)
        for r in conn.execute(_locked(conn, q, True))
    ]


def _ids(column: Any, which: str | Sequence[str]) -> Any:
    return column == which if isinstance(which, str) else column.in_(list(which))


def delete_owned(conn: Connection, which: str | Sequence[str]) -> None:
    """History, blind indexes and confirmed contacts of one subject (an id) or a batch (a
    list of ids), one statement per table."""
    for table in (history, blind_index, confirmed_contact):
        conn.execute(delete(table).where(_ids(table.c.subject_id, which)))


def tombstone(conn: Connection, which: str | Sequence[str], at: datetime) -> None:
    """Destroyed: no key, no values; id, category, status and time stay (one subject or a
    batch, as :func:`delete_owned`)."""
    conn.execute(
        update(subject)
        .where(_ids(subject.c.id, which))
        .values(
            status=Status.DESTROYED.value,
            kek_id=None,
            wrapped_key=None,
            sealed=None,
            destroyed_at=at,
        )
    )


def delete_value(conn: Connection, subject_id: str, field: str, kind: str | None) -> None:
    """A value's history, and with ``kind`` its blind index and confirmed contact."""
    conn.execute(
        delete(history).where(history.c.subject_id == subject_id, history.c.field == field)
    )
    if kind is not None:
        delete_index(conn, subject_id, kind)
        cc = confirmed_contact.c
        conn.execute(delete(confirmed_contact).where(cc.subject_id == subject_id, cc.kind == kind))
