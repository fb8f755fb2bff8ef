"""A partition's Merkle tree as it grows: its right edge (issue 13, must-have 2).

A :class:`Frontier` holds the roots of the perfect subtrees a tree of ``size`` leaves splits
into, largest first (one per set bit of ``size``): enough to append leaves and to compute
the RFC 9162 tree head, in ``O(log n)`` space. Appending reports every perfect subtree it
completes, so the store can keep the aligned ones of :data:`STORED_LEVEL` and up (the
"tiles" proofs are served from). Pure: hashes in, hashes out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

from qorgau.audit.merkle import EMPTY_ROOT, node_hash

#: Perfect subtrees of 2**8 = 256 leaves and wider are stored; narrower ones are rehashed
#: from the events' own hashes when a proof needs them (at most 255 per proof level).
STORED_LEVEL = 8

# Leaves are folded level by level in aligned chunks of this many (a perfect subtree):
# one list comprehension per level instead of a Python step per leaf.
_CHUNK_LEVEL = 10
_CHUNK = 1 << _CHUNK_LEVEL
# RFC 9162's inner node prefix (``merkle.node_hash``), inlined in the chunk fold.
_NODE = b"\x01"


class Node(NamedTuple):
    """The aligned perfect subtree ``index`` of ``2**level`` leaves, and its hash."""

    level: int
    idx: int
    hash: bytes


class Frontier:
    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if len(nodes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier nodes")
        self.size = size
        self.nodes = list(nodes)

    def copy(self) -> Frontier:
        return Frontier(self.size, self.nodes)

    def root(self) -> bytes:
        """The tree head: the frontier folded from the right (RFC 9162's split)."""
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            acc = node_hash(left, acc)
        return acc

    def encode(self) -> bytes:
        return b"".join(self.nodes)

    @classmethod
    def decode(cls, size: int, data: bytes) -> Frontier:
        if len(data) != 32 * size.bit_count():
            raise ValueError("frontier does not match its size")
        return cls(size, [data[i : i + 32] for i in range(0, len(data), 32)])

    def _push(self, digest: bytes, level: int, out: list[Node] | None, keep: int) -> None:
        """Append a perfect subtree of ``2**level`` leaves (``size`` is a multiple of it)."""
        index = self.size >> level
        self.size += 1 << level
        if out is not None and level >= keep and level:
            out.append(Node(level, index, digest))
        while index & 1:
            digest = node_hash(self.nodes.pop(), digest)
            level += 1
            index >>= 1
            if out is not None and level >= keep:
                out.append(Node(level, index, digest))
        self.nodes.append(digest)

    def extend(self, leaves: Sequence[bytes], *, keep: int | None = None) -> list[Node]:
        """Append leaf hashes; with ``keep``, return the perfect subtrees of ``2**keep``
        leaves or more that they complete (else nothing is collected)."""
        out: list[Node] | None = [] if keep is not None else None
        floor = STORED_LEVEL if keep is None else keep
        i, n = 0, len(leaves)
        while i < n:
            if self.size % _CHUNK == 0 and n - i >= _CHUNK:
                chunk = leaves[i : i + _CHUNK]
                self._push(_fold(chunk, self.size, floor, out), _CHUNK_LEVEL, out, floor)
                i += _CHUNK
            else:
                self._push(leaves[i], 0, out, floor)
                i += 1
        return out or []


def _fold(chunk: Sequence[bytes], offset: int, floor: int, out: list[Node] | None) -> bytes:
    """The root of one aligned chunk of ``2**_CHUNK_LEVEL`` leaves starting at leaf
    ``offset``; with ``out``, the perfect subtrees of levels ``floor`` to
    ``_CHUNK_LEVEL - 1`` inside it are appended (the chunk's own root is reported by the
    push). Each level is hashed once, in one comprehension."""
    sha = hashlib.sha256
    level = chunk
    for depth in range(1, _CHUNK_LEVEL + 1):
        level = [
            sha(_NODE + left + right).digest()
            for left, right in zip(level[::2], level[1::2], strict=True)
        ]
        if out is not None and floor <= depth < _CHUNK_LEVEL:
            base = offset >> depth
            out.extend(Node(depth, base + j, h) for j, h in enumerate(level))
    return level[0]
