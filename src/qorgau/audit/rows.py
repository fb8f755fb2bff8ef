"""Security rows reconciled with the audit log (issue 13, must-have 4; DESIGN 2, 3).

Every change of a row of a security table (API keys, staff users, recipients, partner
secrets, consents, bases, outbox) appends, in its transaction, an audit event whose detail
carries ``rows``: ``{"<table>:<key>": [before, after]}``, the hex SHA-256 of the row's
security-relevant columns before and after the change (null: no row). :func:`reconcile_rows`
re-reads those events in the order they were appended, checks that each one starts where the
previous one of that row ended, and compares the last digest of every row with the row as it
is now. So a row inserted, edited or deleted behind the system's back is named by table and
key (ids only, never a value), even if an audited change came after it.

A ``rows.baseline`` event (``qorgau init``, once) records the digests of rows that existed
before their changes were audited (its ``before`` is null: a snapshot, not a change).

Each table's :class:`RowSpec` sits next to the table, in its context's store module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Boolean, ColumnElement, Connection, Integer, Table, select

from qorgau.audit.store import audit_event
from qorgau.audit.verify import Problem

#: The snapshot of rows whose changes were not audited yet (``qorgau init``, once).
BASELINE = "rows.baseline"

#: The actions whose events may carry ``rows`` (only these are read back).
ROW_ACTIONS = frozenset(
    {
        BASELINE,
        "key.create",
        "key.revoke",
        "key.legacy-tag",
        "key.rotate",
        "staff.create",
        "staff.disable",
        "login",
        "recipient.register",
        "recipient.update",
        "recipient.secret",
        "consent.grant",
        "consent.withdraw",
        "consent.expire",
        "basis.record",
        "basis.end",
        "transfer",
        "transfer.delivered",
        "transfer.dead",
        "transfer.retry",
        "transfer.acknowledged",
    }
)

#: ``detail["rows"]``: row key -> [digest before, digest after] (hex; None: no row).
RowChanges = dict[str, list[str | None]]

#: Problems reported at most (the first is what ``verify`` names).
MAX_PROBLEMS = 100


def _kind(sql_type: Any) -> type | None:
    if isinstance(sql_type, Boolean):
        return bool
    if isinstance(sql_type, Integer):
        return int
    return None


def _canonical(value: Any, kind: type | None = None) -> Any:
    if value is not None and kind is not None:
        return kind(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        # Instants as the stores read them back (aware UTC) on both engines, to the µs.
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return "t:" + utc.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return "d:" + value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    raise TypeError(f"no canonical encoding for {type(value).__name__}")


class RowSpec:
    """A security table's rows as the audit log sees them: a key (ids only) and a digest
    of its security-relevant ``columns``. Called with a connection, it is the table's
    reconciler: ``(key, digest)`` of every current row."""

    def __init__(self, table: Table, key: Sequence[str], columns: Sequence[str]) -> None:
        self.table = table
        self.name = table.name
        self.key_columns = tuple(key)
        self.columns = tuple(columns)
        missing = {*self.key_columns, *self.columns} - set(table.c.keys())
        if missing:
            raise ValueError(f"{self.name} has no column {sorted(missing)}")
        # A value as written digests as it reads back (True, not 1; 5, not "5").
        self._types = tuple(_kind(table.c[c].type) for c in self.columns)

    def key(self, values: Mapping[Any, Any]) -> str:
        return f"{self.name}:" + "/".join(str(values[c]) for c in self.key_columns)

    def digest(self, values: Mapping[Any, Any]) -> str:
        """Hex SHA-256 of the canonical encoding of the row's columns (as written, or as
        read back: the same on SQLite and PostgreSQL)."""
        doc = [
            self.name,
            *(_canonical(values[c], t) for c, t in zip(self.columns, self._types, strict=True)),
        ]
        return hashlib.sha256(orjson.dumps(doc)).hexdigest()

    def entry(self, values: Mapping[Any, Any]) -> tuple[str, str]:
        return self.key(values), self.digest(values)

    def _select(self) -> Any:
        cols = dict.fromkeys((*self.key_columns, *self.columns))
        return select(*(self.table.c[c] for c in cols)).order_by(
            *(self.table.c[c] for c in self.key_columns)
        )

    def digests(
        self, conn: Connection, where: ColumnElement[bool], *, lock: bool = False
    ) -> dict[str, str]:
        """Key -> digest of the rows ``where`` selects; with ``lock``, the rows are held
        (``FOR UPDATE`` on PostgreSQL; SQLite has one writer) until the transaction ends,
        so the digest before a change is the one it changes."""
        q = self._select().where(where)
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return dict(self.entry(r) for r in conn.execute(q).mappings())

    def changes(
        self, conn: Connection, before: Mapping[str, str], where: ColumnElement[bool]
    ) -> RowChanges:
        """What changed since ``before`` among the rows ``where`` selects (re-read now)."""
        return changes(before, self.digests(conn, where))

    def __call__(self, conn: Connection) -> Iterator[tuple[str, str]]:
        q = self._select()
        if conn.dialect.name != "sqlite":
            q = q.execution_options(yield_per=10_000)
        for r in conn.execute(q).mappings():
            yield self.entry(r)


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> RowChanges:
    """``detail["rows"]`` for rows whose digest went from ``before`` to ``after``."""
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted({*before, *after})
        if before.get(k) != after.get(k)
    }


def inserted(*entries: tuple[str, str]) -> RowChanges:
    """``detail["rows"]`` for new rows, from their ``RowSpec.entry``."""
    return {k: [None, d] for k, d in entries}


def _row_events(conn: Connection) -> Iterator[tuple[int, int, int, str, bytes]]:
    e = audit_event.c
    q = (
        select(e.id, e.part, e.seq, e.action, e.body)
        .where(e.action.in_(sorted(ROW_ACTIONS)))
        .order_by(e.id)
    )
    if conn.dialect.name != "sqlite":
        q = q.execution_options(yield_per=10_000)
    for eid, part, seq, action, body in conn.execute(q):
        yield int(eid), int(part), int(seq), str(action), bytes(body)


def _named(key: str, what: str) -> str:
    """``api_key row 1a2b3c4d: ...``: the table and the row's key (ids, never values)."""
    table, _, rid = key.partition(":")
    return f"{table} row {rid}: {what}"


def _what(before: str | None, now: str | None) -> str:
    if before is None:
        return "inserted without its audited event"
    if now is None:
        return "deleted without its audited event"
    return "changed without its audited event"


def reconcile_rows(conn: Connection, reconcilers: Iterable[RowSpec]) -> list[Problem]:
    """The security rows against the audit log: each audited change must start from the
    row as the log last left it, and every current row must be as the log last left it.
    The first :data:`MAX_PROBLEMS` problems, in log order, then table by table."""
    return list(islice(_problems(conn, reconcilers), MAX_PROBLEMS))


def _problems(conn: Connection, reconcilers: Iterable[RowSpec]) -> Iterator[Problem]:
    #: key -> its digest as the log last left it (None: deleted)
    audited: dict[str, str | None] = {}
    for eid, part, seq, action, body in _row_events(conn):
        if b'"rows"' not in body:
            continue
        rows = orjson.loads(body).get("d", {}).get("rows")
        if not isinstance(rows, dict):
            continue
        for key, (prev, new) in sorted(rows.items()):
            left = audited.get(key)
            if action == BASELINE:
                # A snapshot: a row the log knew already must be as the log left it.
                if key in audited and left != new:
                    yield Problem(_named(key, _what(left, new)), eid, part, seq)
            elif left != prev:
                # A change starts from the row as the log left it, or the row was changed
                # in between.
                yield Problem(_named(key, _what(left, prev)), eid, part, seq)
            audited[key] = new
    tables = set()
    for spec in reconcilers:
        tables.add(spec.name)
        for key, digest in spec(conn):
            left = audited.pop(key, None)
            if left != digest:
                yield Problem(_named(key, _what(left, digest)))
    for key, gone in audited.items():
        if gone is not None and key.partition(":")[0] in tables:
            yield Problem(_named(key, _what(gone, None)))
