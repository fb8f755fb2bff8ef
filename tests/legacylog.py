"""The audit log as the code before migration 0012 wrote it (issue 13, must-have 6): events
chained without the leaf prefix and without a MAC, checkpoints signing only the heads; and
values' sources as free labels, as before 0018 (issue 14).

Tests that build a database at an older revision with today's services use
:func:`old_audit_code` (before 0012) or :func:`free_sources` (0012 to 0017), so what they
write is what that revision's code wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import orjson
import pytest
from sqlalchemy import Connection, select

from qorgau import container as container_module
from qorgau import db as db_module
from qorgau.audit import log as log_module
from qorgau.audit import store
from qorgau.audit.anchor import AnchorFile
from qorgau.container import Container
from qorgau.db import Sql, chain_hash
from qorgau.vault import sources

_OLD_INSERT = Sql(
    "INSERT INTO audit_event (part, seq, at, action, subject_id, state, body, hash) "
    "VALUES (:part, :seq, :at, :action, :subject_id, :state, :body, :hash)"
)


def _old_checkpoint(self: Container, *, if_moved: bool = False) -> int | None:
    with self.db.unit_of_work() as conn:
        store.lock_checkpoints(conn)
        heads = store.heads(conn)
        newest = store.last_checkpoint(conn)
        prev = newest.signature if newest else None
        now = datetime.now(UTC)
        doc = {
            "at": now.isoformat(),
            "heads": [[p, s, h.hex()] for p, s, h in heads],
            "prev": prev.hex() if prev else None,
        }
        body = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        signature = self.signer.sign(body)
        cid = store.insert_checkpoint(conn, now, self.signer.key_id, body, signature)
    AnchorFile(self.settings.anchor_path).append(signature)
    return cid


def _old_chain(conn: Connection) -> Iterator[store.ChainTuple]:
    e = store.audit_event.c
    q = select(e.id, e.part, e.seq, e.action, e.subject_id, e.state, e.body, e.hash)
    for row in conn.execute(q.order_by(e.part, e.seq)):
        yield (*row, None)


def old_audit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until the test undoes it (``monkeypatch.undo()``), appends and checkpoints are the
    pre-0012 ones. Connections opened afterwards chain the old way on SQLite; PostgreSQL's
    ``qorgau_chain`` is the old one below revision 0012."""
    legacy = partial(chain_hash, legacy=True)
    monkeypatch.setattr(store, "INSERT", _OLD_INSERT)
    monkeypatch.setattr(log_module, "chain_hash", legacy)
    monkeypatch.setattr(
        db_module,
        "_sqlite_chain",
        lambda prev, part, seq, action, sid, state, body: legacy(
            bytes(prev), int(part), int(seq), action, sid,
            None if state is None else bytes(state), bytes(body),
        ),
    )  # fmt: skip
    monkeypatch.setattr(Container, "checkpoint", _old_checkpoint)
    # Nor did it reconcile the security tables (whose rows today's code reads in full).
    monkeypatch.setattr(container_module, "SECURITY_ROWS", ())
    free_sources(monkeypatch)
    monkeypatch.setattr(store, "chain", _old_chain)
    monkeypatch.setattr(
        store, "chain_batches", lambda conn, size=10_000: iter([list(_old_chain(conn))])
    )
    # Before 0012 every event is of the legacy segment (its bounds are the heads).
    monkeypatch.setattr(
        store, "legacy_heads", lambda conn: {h.part: (h.seq, h.hash) for h in store.heads(conn)}
    )


def free_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until undone, the gate takes any free label as a value's source ("web", "call"), as
    the code before 0018 did (issue 14); :func:`old_audit_code` includes it."""
    monkeypatch.setattr(sources, "require", lambda text: text)
