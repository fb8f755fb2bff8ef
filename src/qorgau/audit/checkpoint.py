"""Checkpoints as signed tree heads (issue 13, must-haves 2 and 6).

A checkpoint signs, for every partition, its head (sequence number and chain hash) and its
RFC 9162 tree head; each partition that moved gets a C2SP signed note (origin
``<log origin>/<partition>``, size, root), which is what witnesses cosign and the public
site publishes. Before signing, the checkpointer re-walks what it is about to cover: every
event since the partition's previous tree head must chain from it, and every event written
since migration 0012 must carry a MAC under the key outside the database. An event appended
or re-chained by someone without that key is never signed: :class:`AuditTampered`.

The first checkpoint after migration 0012 is the transition checkpoint: it signs each
partition's legacy segment (``audit_legacy``, the events chained the old way) and every
later checkpoint carries it forward, so the segment's bounds are signed, never read from a
table an insider could edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.audit import note, store
from qorgau.audit.mac import MacKey
from qorgau.audit.store import EntryTuple, Head, TreeHeadRow
from qorgau.audit.tree import STORED_LEVEL, Frontier
from qorgau.crypto.signer import Signer, verify_signature
from qorgau.db import GENESIS, chain_hash

VERSION = 2
_BATCH = 10_000


class AuditTampered(RuntimeError):
    """What the checkpointer was asked to sign does not hold: it signed nothing. The
    message names partitions and sequence numbers only."""


@dataclass(frozen=True)
class Signed:
    """A checkpoint just written: its id and signature, and the tree heads it added."""

    id: int
    signature: bytes
    trees: list[TreeHeadRow]


def partition_origin(origin: str, part: int) -> str:
    return f"{origin}/{part}"


def note_signer(signer: Signer, origin: str) -> note.Signer:
    """The C2SP note signer of the log: the checkpoint key under the log's origin name."""
    return note.Signer(origin, signer.seed())


def note_verifier(public_key: bytes, origin: str) -> note.Verifier:
    return note.Verifier(origin, public_key)


def parse(body: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads(body)
    return doc


def legacy_of(doc: dict[str, Any] | None) -> dict[int, tuple[int, bytes]] | None:
    """The signed legacy segment of a checkpoint document; None before the transition."""
    if doc is None or doc.get("v") != VERSION:
        return None
    return {int(p): (int(s), bytes.fromhex(h)) for p, s, h in doc["legacy"]}


def signed_legacy(conn: Connection) -> dict[int, tuple[int, bytes]]:
    """The legacy segment as the newest checkpoint signed it (before the transition
    checkpoint: as migration 0012 recorded it)."""
    prev = store.last_checkpoint(conn)
    signed = legacy_of(parse(prev.body)) if prev is not None else None
    return signed if signed is not None else store.legacy_heads(conn)


def trees_of(doc: dict[str, Any]) -> dict[int, tuple[int, bytes]]:
    """A v2 document's tree heads: partition -> (size, root)."""
    return {int(p): (int(s), bytes.fromhex(r)) for p, s, r in doc.get("trees", ())}


def write(
    conn: Connection,
    signer: Signer,
    mac: MacKey,
    origin: str,
    *,
    anchored: bytes | None = None,
    marks: dict[int, tuple[int, bytes]] | None = None,
) -> Signed:
    """Sign every partition's head and tree head now (the caller commits, then anchors).
    ``marks``: the heads file's newest heads, read before the heads (a mark is written only
    after its commit, so every head it names is visible here)."""
    store.lock_checkpoints(conn)
    prev = store.last_checkpoint(conn)
    prev_doc = _checked_previous(conn, prev, signer, anchored)
    legacy = legacy_of(prev_doc)
    if legacy is None:
        legacy = store.legacy_heads(conn)
    trees = _previous_trees(conn, prev_doc)
    heads = store.heads(conn)
    missing = sorted(set(trees) - {h.part for h in heads})
    if missing:
        raise AuditTampered(f"partition {missing[0]}: it has a signed tree head but no head")
    added: list[tuple[int, Frontier, bytes]] = []
    for head in heads:
        marked = (marks or {}).get(head.part)
        if marked is not None and marked[0] > head.seq:
            raise AuditTampered(
                f"partition {head.part}: its head (seq {head.seq}) is behind the heads file "
                f"outside the database (seq {marked[0]}): events truncated"
            )
        size, chain, frontier = trees.get(head.part, (0, GENESIS, Frontier()))
        if head.seq < size:
            raise AuditTampered(
                f"partition {head.part}: its head (seq {head.seq}) is behind its signed tree "
                f"head (size {size}): events truncated"
            )
        if head.seq == size:
            if head.hash != chain:
                raise AuditTampered(f"partition {head.part}: head differs from its tree head")
            continue
        grown = frontier.copy()
        chain = _cover(conn, head, size, chain, grown, legacy.get(head.part, (0, GENESIS)), mac)
        added.append((head.part, grown, chain))
        trees[head.part] = (grown.size, chain, grown)
    now = datetime.now(UTC)
    doc = {
        "v": VERSION,
        "at": now.isoformat(),
        "origin": origin,
        "prev": prev.signature.hex() if prev else None,
        "heads": [[h.part, h.seq, h.hash.hex()] for h in heads],
        "trees": [[p, f.size, f.root().hex()] for p, (_s, _c, f) in sorted(trees.items())],
        "legacy": [[p, s, h.hex()] for p, (s, h) in sorted(legacy.items())],
    }
    body = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    signature = signer.sign(body)
    cid = store.insert_checkpoint(conn, now, signer.key_id, body, signature)
    signs = note_signer(signer, origin)
    rows = []
    for part, grown, chain in added:
        text = note.Checkpoint(partition_origin(origin, part), grown.size, grown.root()).format()
        rows.append(
            TreeHeadRow(
                cid, part, grown.size, chain, grown.root(), grown.encode(), note.sign(text, signs)
            )
        )
    store.insert_tree_heads(conn, rows)
    return Signed(cid, signature, rows)


def _checked_previous(
    conn: Connection,
    prev: store.CheckpointRow | None,
    signer: Signer,
    anchored: bytes | None,
) -> dict[str, Any] | None:
    moved_on = prev is not None and prev.signature == anchored
    if anchored is not None and not moved_on and not store.has_checkpoint_signature(conn, anchored):
        raise AuditTampered(
            "the database does not extend the anchored checkpoint: checkpoints are "
            "missing or an older copy was restored"
        )
    if prev is None:
        return None
    if not verify_signature(signer.public_raw, prev.signature, prev.body):
        raise AuditTampered(f"checkpoint {prev.id}: signature does not verify")
    return parse(prev.body)


def _previous_trees(
    conn: Connection, prev_doc: dict[str, Any] | None
) -> dict[int, tuple[int, bytes, Frontier]]:
    """Each partition's signed tree: size, chain hash, right edge (checked against the
    signed roots: the stored right edges are only a cache)."""
    if prev_doc is None or prev_doc.get("v") != VERSION:
        return {}
    signed = trees_of(prev_doc)
    heads = {int(p): (int(s), bytes.fromhex(h)) for p, s, h in prev_doc["heads"]}
    stored = store.latest_tree_heads(conn)
    out: dict[int, tuple[int, bytes, Frontier]] = {}
    for part, (size, root) in signed.items():
        row = stored.get(part)
        if size == 0:
            continue
        if row is None or row.size != size:
            raise AuditTampered(f"partition {part}: its signed tree head of {size} is missing")
        frontier = Frontier.decode(size, row.frontier)
        seq, chain = heads.get(part, (-1, b""))
        if frontier.root() != root or seq != size or chain != row.chain:
            raise AuditTampered(f"partition {part}: its stored tree head differs from the signed")
        out[part] = (size, chain, frontier)
    return out


def _cover(
    conn: Connection,
    head: Head,
    size: int,
    chain: bytes,
    frontier: Frontier,
    legacy: tuple[int, bytes],
    mac: MacKey,
) -> bytes:
    """Walk the partition's events ``size + 1 .. head.seq``, checking chain and MACs, into
    the frontier; store the perfect subtrees they complete. The new chain hash."""
    part = head.part
    legacy_seq, legacy_hash = legacy
    want = size + 1
    for batch in _batches(conn, part, size, head.seq):
        leaves = []
        for seq, action, subject_id, state, body, digest, tag in batch:
            if seq != want:
                raise AuditTampered(f"partition {part} seq {want}: event missing")
            old = seq <= legacy_seq
            chain = chain_hash(chain, part, seq, action, subject_id, state, body, legacy=old)
            if chain != digest:
                raise AuditTampered(f"partition {part} seq {seq}: hash does not match")
            if old and seq == legacy_seq and chain != legacy_hash:
                raise AuditTampered(f"partition {part} seq {seq}: differs from the legacy head")
            if not old and not mac.check(part, seq, digest, tag):
                raise AuditTampered(
                    f"partition {part} seq {seq}: MAC does not verify (appended or re-chained "
                    "without the key)"
                )
            leaves.append(digest)
            want += 1
        store.insert_nodes(conn, part, frontier.extend(leaves, keep=STORED_LEVEL))
    if want - 1 != head.seq or chain != head.hash:
        raise AuditTampered(f"partition {part}: events end at {want - 1}, its head says {head.seq}")
    return chain


def _batches(conn: Connection, part: int, after: int, upto: int) -> Iterator[list[EntryTuple]]:
    while after < upto:
        batch = store.events_after(conn, part, after, min(upto, after + _BATCH))
        if not batch:
            return
        yield batch
        after = batch[-1][0]
