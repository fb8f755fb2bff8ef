"""The witness's own storage: one SQLite file (stdlib ``sqlite3``) in its own home.

Per log origin: the keys it trusts for that log, and the latest checkpoint it cosigned
(size, root hash, and the cosigned note for monitors). Advancing is one compare-and-swap
statement, so of two requests that start from the same recorded checkpoint only one can
move it (tlog-witness, add-checkpoint: check and persist atomically). Every commit is
durable before it returns (WAL, ``synchronous=FULL``). A few checkpoints a log signed but
the witness refused as inconsistent are kept as evidence of misbehaviour.

Sizes are stored as decimal text: a tree size is an unsigned 64-bit number, wider than
SQLite's signed integers.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from qorgau.audit.note import Verifier
from qorgau.witness.service import Latest, origin_hash

__all__ = ["EVIDENCE_PER_LOG", "StoreError", "WitnessStore"]

SCHEMA_VERSION = 1
#: Refused but validly signed checkpoints kept per log (distinct notes, first ones win).
EVIDENCE_PER_LOG = 100

_SCHEMA = """
CREATE TABLE log_key (
    origin TEXT NOT NULL,
    vkey TEXT NOT NULL,
    added INTEGER NOT NULL,
    PRIMARY KEY (origin, vkey)
);
CREATE TABLE log_state (
    origin TEXT PRIMARY KEY,
    origin_hash TEXT NOT NULL UNIQUE,
    size TEXT NOT NULL,
    root BLOB NOT NULL,
    note BLOB NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    old_size TEXT NOT NULL,
    reason TEXT NOT NULL,
    note BLOB NOT NULL,
    received INTEGER NOT NULL
);
"""


class StoreError(Exception):
    """The witness's storage is missing, already there, or not a witness's."""


class WitnessStore:
    """The SQLite file at ``path``; a connection per call, so threads may share it."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise StoreError(f"no witness storage at {path}")
        self.path = path
        with self._connect() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise StoreError(f"{path} is not a witness's storage (schema {version})")

    @classmethod
    def create(cls, path: Path) -> WitnessStore:
        """A new, empty storage file (mode 0600); refuses to overwrite one."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise StoreError(f"{path} already exists") from None
        os.close(fd)
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        return cls(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Autocommit: each statement below is its own transaction, atomic and durable.
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as conn:
            conn.execute("PRAGMA synchronous=FULL")
            yield conn

    # --- trusted logs ----------------------------------------------------------------------

    def add_log(self, origin: str, verifier: Verifier, now: int) -> bool:
        """Trust ``verifier`` for checkpoints of ``origin``; False if it already was."""
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO log_key (origin, vkey, added) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (origin, verifier.to_vkey(), now),
            )
            return cur.rowcount == 1

    def log_keys(self, origin: str) -> list[Verifier]:
        """The keys trusted for ``origin`` (none: the log is unknown)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT vkey FROM log_key WHERE origin = ? ORDER BY vkey", (origin,)
            ).fetchall()
        return [Verifier.from_vkey(vkey) for (vkey,) in rows]

    def logs(self) -> list[tuple[str, str, int | None]]:
        """Every trusted (origin, vkey) with the latest size cosigned for it, if any."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT k.origin, k.vkey, s.size FROM log_key k"
                " LEFT JOIN log_state s ON s.origin = k.origin ORDER BY k.origin, k.vkey"
            ).fetchall()
        return [(o, v, None if s is None else int(s)) for o, v, s in rows]

    # --- the latest cosigned checkpoints -----------------------------------------------------

    def latest(self, origin: str) -> Latest | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT size, root, note FROM log_state WHERE origin = ?", (origin,)
            ).fetchone()
        return None if row is None else Latest(int(row[0]), bytes(row[1]), bytes(row[2]))

    def latest_note(self, hashed_origin: str) -> bytes | None:
        """The cosigned note of the log whose origin hashes to ``hashed_origin``."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT note FROM log_state WHERE origin_hash = ?", (hashed_origin,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def advance(
        self, origin: str, expected: tuple[int, bytes] | None, new: Latest, now: int
    ) -> bool:
        """Compare-and-swap: record ``new`` for ``origin`` if its latest is still
        ``expected`` (size, root), or there is none and ``expected`` is None. False when
        another request moved it first (nothing is written then)."""
        with self._connect() as conn:
            if expected is None:
                cur = conn.execute(
                    "INSERT INTO log_state (origin, origin_hash, size, root, note, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (origin, origin_hash(origin), str(new.size), new.root, new.note, now),
                )
            else:
                cur = conn.execute(
                    "UPDATE log_state SET size = ?, root = ?, note = ?, updated = ?"
                    " WHERE origin = ? AND size = ? AND root = ?",
                    (str(new.size), new.root, new.note, now, origin, str(expected[0]), expected[1]),
                )
            return cur.rowcount == 1

    # --- evidence ----------------------------------------------------------------------------

    def keep_evidence(self, origin: str, old_size: int, reason: str, note: bytes, now: int) -> bool:
        """Keep a validly signed checkpoint refused as inconsistent (at most
        :data:`EVIDENCE_PER_LOG` distinct notes per log); False if not kept."""
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO evidence (origin, old_size, reason, note, received)"
                " SELECT ?, ?, ?, ?, ?"
                " WHERE (SELECT count(*) FROM evidence WHERE origin = ?) < ?"
                " AND NOT EXISTS (SELECT 1 FROM evidence WHERE origin = ? AND note = ?)",
                (origin, str(old_size), reason, note, now, origin, EVIDENCE_PER_LOG, origin, note),
            )
            return cur.rowcount == 1

    def evidence(self, origin: str) -> list[tuple[int, str, bytes]]:
        """The kept evidence of ``origin``: (old size, reason, note), oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT old_size, reason, note FROM evidence WHERE origin = ? ORDER BY id",
                (origin,),
            ).fetchall()
        return [(int(o), r, bytes(n)) for o, r, n in rows]
