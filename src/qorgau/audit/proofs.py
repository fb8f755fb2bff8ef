"""Inclusion and consistency proofs served from the store (issue 13, must-haves 2 and 7).

A partition's tree is read, never rebuilt: aligned perfect subtrees of 256 leaves and more
come from ``audit_node`` (all a proof needs in one query), narrower ones are rehashed from
the events' own hashes (one range read of at most 256 rows per block, cached for the
proof). Nothing read here is trusted: a proof is only as good as the check against a signed
tree head, which the receiver makes (``proofcheck.py``, the single-file verifier, or
:func:`check`).

A proof bundle (JSON, format :data:`FORMAT`) carries everything a third party needs with
the log's public key alone: the event's entry (its header columns, body and the previous
event's hash: the leaf data), its index, the partition's signed tree head (a C2SP signed
note, with the witnesses' cosignatures when there are some) and the audit path.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from qorgau.audit import checkpoint as checkpoints
from qorgau.audit import merkle, note, store
from qorgau.audit.store import audit_event
from qorgau.audit.tree import STORED_LEVEL
from qorgau.db import GENESIS, LEAF_PREFIX

FORMAT = "qorgau-audit-proof/1"
_BLOCK = 1 << STORED_LEVEL


class NoProof(LookupError):
    """No signed tree head covers the event yet, or the event or tree head is missing."""


class StoredTree:
    """One partition's tree as the store holds it."""

    def __init__(self, conn: Connection, part: int) -> None:
        self.conn = conn
        self.part = part
        self._blocks: dict[int, list[bytes]] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}
        self.subtree = merkle.from_perfect(self.perfect)

    def _block(self, index: int) -> list[bytes]:
        got = self._blocks.get(index)
        if got is None:
            start = index * _BLOCK
            got = store.event_hashes(self.conn, self.part, start, start + _BLOCK)
            self._blocks[index] = got
        return got

    def leaf(self, index: int) -> bytes:
        block = self._block(index // _BLOCK)
        if index % _BLOCK >= len(block):
            raise NoProof(f"partition {self.part}: leaf {index} is missing")
        return block[index % _BLOCK]

    def perfect(self, offset: int, width: int) -> bytes:
        if width >= _BLOCK:
            level = width.bit_length() - 1
            key = (level, offset >> level)
            got = self._nodes.get(key)
            if got is None:
                got = store.node(self.conn, self.part, *key)
                if got is None:
                    raise NoProof(f"partition {self.part}: subtree {key} is not stored")
                self._nodes[key] = got
            return got
        key = (-width, offset)  # a narrow subtree, rehashed once per tree (negative: no clash)
        got = self._nodes.get(key)
        if got is None:
            block = self._block(offset // _BLOCK)
            start = offset % _BLOCK
            leaves = block[start : start + width]
            if len(leaves) != width:
                raise NoProof(f"partition {self.part}: leaves {offset}+{width} are missing")
            got = self._nodes[key] = merkle.root(leaves)
        return got

    def inclusion(self, index: int, size: int) -> list[bytes]:
        self._prefetch(lambda subtree: merkle.inclusion_proof(index, size, subtree))
        return merkle.inclusion_proof(index, size, self.subtree)

    def consistency(self, old: int, new: int) -> list[bytes]:
        self._prefetch(lambda subtree: merkle.consistency_proof(old, new, subtree))
        return merkle.consistency_proof(old, new, self.subtree)

    def _prefetch(self, proof: Callable[[merkle.SubtreeHash], list[bytes]]) -> None:
        """Read what a proof will ask for: its stored subtrees in one query, its blocks of
        leaves one range each. Which subtrees a proof needs depends on the index and sizes
        only, never on a hash, so a dry run with placeholder hashes names them all."""
        wanted: set[tuple[int, int]] = set()
        blocks: set[int] = set()

        def plan(offset: int, width: int) -> bytes:
            if width >= _BLOCK:
                level = width.bit_length() - 1
                wanted.add((level, offset >> level))
            else:
                blocks.add(offset // _BLOCK)
            return merkle.EMPTY_ROOT

        proof(merkle.from_perfect(plan))
        missing = sorted(wanted - self._nodes.keys())
        self._nodes.update(store.nodes(self.conn, self.part, missing))
        for index in sorted(blocks):
            self._block(index)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def entry_leaf(entry: dict[str, Any]) -> bytes:
    """The leaf hash of a bundle's entry (the chain step of ``qorgau.db.chain_hash``)."""
    state = entry["state"]
    header = (
        f"{entry['part']}:{entry['seq']}:{entry['action']}:{entry['subject_id'] or ''}:"
        f"{state or ''}\n"
    )
    prefix = b"" if entry["legacy"] else LEAF_PREFIX
    data = bytes.fromhex(entry["prev"]) + header.encode() + entry["body"].encode("utf-8")
    return hashlib.sha256(prefix + data).digest()


def prove_event(
    conn: Connection, event_id: int, *, public_key: bytes, witnesses: list[str] | None = None
) -> dict[str, Any]:
    """The proof bundle of one event against its partition's newest signed tree head.
    :class:`NoProof` when no tree head covers it yet."""
    e = audit_event.c
    row = conn.execute(
        select(e.part, e.seq, e.action, e.subject_id, e.state, e.body).where(e.id == event_id)
    ).one_or_none()
    if row is None:
        raise NoProof(f"no audit event {event_id}")
    part, seq, action, subject_id, state, body = row
    return _bundle(
        conn, int(part), int(seq), action, subject_id, state, bytes(body), public_key,
        witnesses or [],
    )  # fmt: skip


def _bundle(
    conn: Connection,
    part: int,
    seq: int,
    action: str,
    subject_id: str | None,
    state: bytes | None,
    body: bytes,
    public_key: bytes,
    witnesses: list[str],
    trees: dict[int, store.TreeHeadRow] | None = None,
    cosigs: dict[tuple[int, int], list[tuple[str, str]]] | None = None,
    legacy_heads: dict[int, tuple[int, bytes]] | None = None,
    tree: StoredTree | None = None,
) -> dict[str, Any]:
    trees = trees if trees is not None else store.latest_tree_heads(conn)
    head = trees.get(part)
    if head is None or head.size < seq:
        raise NoProof(f"partition {part} seq {seq}: not under a signed tree head yet")
    prev = GENESIS
    if tree is not None and seq > 1:
        prev = tree.leaf(seq - 2)  # the previous event's hash is the previous leaf
    elif seq > 1:
        got = conn.execute(
            select(audit_event.c.hash).where(
                audit_event.c.part == part, audit_event.c.seq == seq - 1
            )
        ).scalar_one_or_none()
        if got is None:
            raise NoProof(f"partition {part} seq {seq - 1}: missing")
        prev = bytes(got)
    if legacy_heads is None:
        legacy_heads = checkpoints.signed_legacy(conn)
    legacy = seq <= legacy_heads.get(part, (0, b""))[0]
    tree = tree if tree is not None else StoredTree(conn, part)
    if cosigs is None:
        cosigs = store.cosignatures_at(conn, [(part, head.size)])
    cosigned = cosigs.get((part, head.size), [])
    signed_note = head.note + "".join(line for _w, line in cosigned).encode("utf-8")
    origin = note.Checkpoint.parse(head.note[: head.note.rfind(b"\n\n") + 1].decode()).origin
    return {
        "format": FORMAT,
        "log_key": note.Verifier(origin.rsplit("/", 1)[0], public_key).to_vkey(),
        "witness_keys": witnesses,
        "checkpoint": signed_note.decode("utf-8"),
        "index": seq - 1,
        "size": head.size,
        "entry": {
            "part": part,
            "seq": seq,
            "action": action,
            "subject_id": subject_id,
            "state": None if state is None else bytes(state).hex(),
            "body": body.decode("utf-8"),
            "prev": prev.hex(),
            "legacy": legacy,
        },
        "proof": [_b64(h) for h in tree.inclusion(seq - 1, head.size)],
    }


def prove_subject(
    conn: Connection,
    subject_id: str,
    *,
    public_key: bytes,
    witnesses: list[str] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Every audit event about one person, oldest first: its bundle, or for an event not
    under a signed tree head yet, its entry with ``"proof": None`` (pending). With
    ``limit``, only the newest ``limit`` events under a tree head get a bundle; an older one
    comes back as its entry with ``"proof": None``, ``"omitted": True`` and the ``"size"``
    of the tree head that covers it (``prove_event`` gives its bundle). A person's events
    share a partition, so its tree's blocks and subtrees are read once for them all."""
    e = audit_event.c
    rows = conn.execute(
        select(e.id, e.part, e.seq, e.action, e.subject_id, e.state, e.body)
        .where(e.subject_id == subject_id)
        .order_by(e.id)
    ).all()
    trees = store.latest_tree_heads(conn)
    parts = {int(r.part) for r in rows}
    cosigs = store.cosignatures_at(conn, [(p, trees[p].size) for p in parts if p in trees])
    legacy = checkpoints.signed_legacy(conn)
    shared: dict[int, StoredTree] = {}
    covered = sum(1 for r in rows if r.part in trees and r.seq <= trees[r.part].size)
    omit = 0 if limit is None else max(covered - limit, 0)
    out = []
    for event_id, part, seq, action, sid, state, body in rows:
        part, seq = int(part), int(seq)
        head = trees.get(part)
        entry = {"id": int(event_id), "part": part, "seq": seq, "action": action,
                 "body": bytes(body).decode("utf-8")}  # fmt: skip
        if omit and head is not None and seq <= head.size:
            omit -= 1
            out.append(
                {"format": FORMAT, "entry": entry, "proof": None, "omitted": True,
                 "size": head.size}
            )  # fmt: skip
            continue
        try:
            tree = shared.get(part) or shared.setdefault(part, StoredTree(conn, part))
            bundle = _bundle(
                conn, part, seq, action, sid, state, bytes(body), public_key,
                witnesses or [], trees, cosigs, legacy, tree,
            )  # fmt: skip
        except NoProof:
            out.append({"format": FORMAT, "entry": entry, "proof": None})
            continue
        bundle["entry"]["id"] = int(event_id)
        out.append(bundle)
    return out


def check(bundle: dict[str, Any], log_key: str, witness_keys: Sequence[str] = ()) -> int:
    """Verify a bundle with the log's verifier key (and witnesses' keys, each of which must
    have cosigned); the number of cosignatures checked. Raises ``ValueError``."""
    if bundle.get("format") != FORMAT or bundle.get("proof") is None:
        raise ValueError("not a proof bundle")
    log = note.Verifier.from_vkey(log_key)
    raw = bundle["checkpoint"].encode("utf-8")
    try:
        cp, _opened = note.open_checkpoint(raw, [log])
    except note.InvalidNote as exc:
        raise ValueError(f"the checkpoint does not verify: {exc}") from exc
    entry = bundle["entry"]
    if cp.origin != checkpoints.partition_origin(log.name, int(entry["part"])):
        raise ValueError("the checkpoint is not of this event's partition")
    if cp.size != bundle["size"] or bundle["index"] != int(entry["seq"]) - 1:
        raise ValueError("index or size do not match the checkpoint")
    path = [base64.b64decode(p, validate=True) for p in bundle["proof"]]
    if not merkle.verify_inclusion(bundle["index"], cp.size, entry_leaf(entry), path, cp.root):
        raise ValueError("the event is not in the signed tree (inclusion proof fails)")
    text = raw[: raw.rfind(b"\n\n") + 1].decode("utf-8")
    lines = [line + "\n" for line in raw.decode("utf-8")[len(text) + 1 :].splitlines()]
    count = 0
    for wkey in witness_keys:
        w = note.Verifier.from_vkey(wkey)
        if not any(_cosigned(cp, line, w) for line in lines):
            raise ValueError(f"no valid cosignature of witness {w.name}")
        count += 1
    return count


def _cosigned(cp: note.Checkpoint, line: str, witness: note.Verifier) -> bool:
    try:
        note.verify_cosignature(cp, line, witness)
    except note.InvalidNote:
        return False
    return True
