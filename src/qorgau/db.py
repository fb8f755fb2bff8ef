"""Engines and the unit of work (SQLite WAL embedded default, PostgreSQL in production).

A unit of work is one database transaction: the change and its audit event are written
inside it, or neither is (DESIGN invariant 2).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from qorgau.errors import Refusal

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

GENESIS = bytes(32)


class Instant(TypeDecorator[datetime]):
    """A point in time that round-trips exactly on both engines (DESIGN 11).

    PostgreSQL stores ``timestamptz``. SQLite has no zone: SQLAlchemy would store an aware
    time by its wall clock and drop the zone (a deadline at 23:59 in Asia/Almaty read back
    as 23:59 UTC, five hours late), so every time is converted to UTC before it is stored
    there (as naive UTC text, the format the raw hot paths write: ``db_time``). Read back,
    a time is always aware, in UTC; show it in the operator's zone. A naive time is refused:
    it names no instant."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"an instant must be a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime names no instant: give it a zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def chain_hash(
    prev: bytes,
    part: int,
    seq: int,
    action: str,
    subject_id: str | None,
    state: bytes | None,
    body: bytes,
    *,
    legacy: bool = False,
) -> bytes:
    """The audit hash chain step (DESIGN invariant 3), which is also the event's leaf hash
    in its partition's RFC 9162 Merkle tree: ``SHA-256(0x00 || prev || header || body)``,
    the leaf data being the previous hash, the header and the body.

    The header binds the columns that queries and ``verify`` use (position, action, subject,
    state digest) so that verifying never has to parse a body. PostgreSQL computes the same
    function in SQL (migration 0012's ``qorgau_chain``); SQLite gets this one registered on
    every connection. ``legacy``: the step of events written before migration 0012, without
    the leaf prefix (their segment is covered by the signed transition checkpoint).
    """
    header = f"{part}:{seq}:{action}:{subject_id or ''}:{state.hex() if state else ''}\n"
    prefix = b"" if legacy else LEAF_PREFIX
    return hashlib.sha256(prefix + prev + header.encode() + body).digest()


#: RFC 9162's leaf prefix: an event's hash is the leaf hash of (prev, header, body).
LEAF_PREFIX = b"\x00"


def _sqlite_chain(
    prev: bytes,
    part: int,
    seq: int,
    action: str,
    subject_id: str | None,
    state: bytes | None,
    body: bytes,
) -> bytes:
    return chain_hash(
        bytes(prev),
        int(part),
        int(seq),
        action,
        subject_id,
        bytes(state) if state is not None else None,
        bytes(body),
    )


class Sql:
    """A statement for the DBAPI cursor on hot paths, written once with ``:name`` parameters
    and rendered for sqlite3 (named) and psycopg (pyformat). Skips SQLAlchemy's per-row
    parameter processing, which costs more than the insert itself in bulk."""

    __slots__ = ("pg", "sqlite")

    def __init__(self, sql: str) -> None:
        self.sqlite = sql
        self.pg = re.sub(r"(?<!:):([a-z_][a-z0-9_]*)", r"%(\1)s", sql)

    def render(self, conn: Connection) -> str:
        return self.sqlite if conn.dialect.name == "sqlite" else self.pg


@overload
def aware(dt: datetime) -> datetime: ...
@overload
def aware(dt: None) -> None: ...
def aware(dt: datetime | None) -> datetime | None:
    """A time read back as an aware UTC datetime (raw DBAPI rows on SQLite are naive UTC;
    ``Instant`` columns already come back aware)."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def cursor(conn: Connection) -> Any:
    """The DBAPI cursor of this unit of work's connection (same transaction)."""
    return conn.connection.cursor()


def db_time(conn: Connection, dt: datetime) -> Any:
    """A time as the dialect stores it: SQLAlchemy's SQLite text format (naive UTC) or the
    aware datetime for PostgreSQL."""
    if conn.dialect.name == "sqlite":
        return dt.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return dt


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2)


def make_null_pool_engine(url: str) -> Engine:
    """For short-lived tools (migrations in tests)."""
    if is_sqlite(url):
        return make_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, poolclass=NullPool)


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN IMMEDIATE: every unit of work writes (at
    # least its audit event), so taking the write lock up front avoids upgrade deadlocks.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    dbapi_conn.create_function("qorgau_chain", 7, _sqlite_chain, deterministic=True)


def _sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


_AFTER_COMMIT = "qorgau.after_commit"


def after_commit(
    conn: Connection, key: str, flush: Callable[[dict[Any, Any]], None]
) -> dict[Any, Any]:
    """A dict kept with this transaction under ``key``: once the transaction commits it is
    passed to ``flush`` (registered by the first caller); if it rolls back, it is dropped."""
    hooks: dict[str, tuple[Callable[[dict[Any, Any]], None], dict[Any, Any]]]
    hooks = conn.info.setdefault(_AFTER_COMMIT, {})
    entry = hooks.get(key)
    if entry is None:
        entry = hooks[key] = (flush, {})
    return entry[1]


def _committed(conn: Connection) -> None:
    # The transaction is durable: a failing hook is logged, never reported as a failed write.
    for key, (flush, state) in conn.info.pop(_AFTER_COMMIT, {}).items():
        try:
            flush(state)
        except Exception:
            logging.getLogger("qorgau.db").exception("after-commit hook %s failed", key)


@contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    conn.begin()
    try:
        yield
    except Refusal:
        conn.commit()
        _committed(conn)
        raise
    except BaseException:
        conn.info.pop(_AFTER_COMMIT, None)
        conn.rollback()
        raise
    conn.commit()
    _committed(conn)


class _WriterLock:
    """In-process lock plus, for a database file, an exclusive flock on ``<file>-writer``."""

    def __init__(self, database: str | None) -> None:
        self._thread = threading.Lock()
        self._fd: int | None = None
        if database and database != ":memory:":
            self._fd = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        self._thread.acquire()
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread.release()
                raise

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Database:
    """Owns the engine; hands out units of work."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        # SQLite has one writer at a time and every unit of work writes. Writers queue on a
        # lock (threads of this process, then other processes through an flock on a file
        # beside the database) instead of sleeping in SQLite's busy handler, which backs off
        # in steps of up to 100 ms and turns contention into latency.
        self._writer: _WriterLock | None = None
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()
        if is_sqlite(url):
            self._writer = _WriterLock(self.engine.url.database)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        """A transaction that commits on normal exit and rolls back on any exception, except
        a gate refusal: it changed nothing but appended its audit event, which must stay."""
        if self._writer is None:
            with self.engine.connect() as conn, _transaction(conn):
                yield conn
            return
        with self._writer:
            conn = self._thread_connection()
            with _transaction(conn):
                yield conn

    def _thread_connection(self) -> Connection:
        """SQLite: each thread keeps one open connection (a pool checkout and reset cost
        more than a whole read). Only one is ever inside a transaction: the writer lock."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self.engine.connect()
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    def dispose(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self.engine.dispose()
        if self._writer is not None:
            self._writer.close()
