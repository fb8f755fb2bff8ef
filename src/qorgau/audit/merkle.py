"""RFC 9162 Merkle trees: tree heads, inclusion proofs and consistency proofs.

The building block of the verifiable audit log (issue 13): one append-only tree
per partition, whose signed tree heads are the checkpoints; an inclusion proof
shows that one event is in a checkpoint, a consistency proof that a later
checkpoint extends an earlier one. Pure functions over hashes: ``hashlib`` only,
no storage, no I/O.

Hashing is that of RFC 9162 section 2.1.1 with SHA-256: a leaf hashes as
``SHA-256(0x00 || d)``, an inner node as ``SHA-256(0x01 || left || right)``, the
empty tree as ``SHA-256("")``; a tree of ``n > 1`` leaves splits at ``k``, the
largest power of two smaller than ``n``. Proof generation follows PATH (2.1.3.1)
and PROOF/SUBPROOF (2.1.4.1), verification the iterative algorithms of 2.1.3.2
and 2.1.4.2, bit for bit; the known-answer vectors of Google's
certificate-transparency / transparency-dev/merkle pin it in the tests.

Own code rather than ``pymerkle`` (7.0, read for this decision), because:

* its storage-backed ``BaseMerkleTree`` obtains every perfect subtree hash by
  reading that subtree's leaves and rehashing them (``_get_subroot_uncached``);
  the only shortcut is an in-process LRU filled after the first computation, so
  the first proof against a 10 million leaf tree rehashes about 10 million
  leaves, and there is no public hook to serve subtree hashes from a table;
* its proofs are not RFC 9162 proofs: the path carries the leaf itself and
  resolution bits ("rule", "subset"), indices count from one, and its
  consistency path splits differently (``prior < k`` where SUBPROOF has
  ``m <= k``), so it neither emits nor accepts what an RFC verifier does;
* its verifiers raise on bad input, where ours answer False.

The RFC's functions are few and short; here they take a ``subtree(start, end)``
callback giving the hash of leaves ``[start, end)``, so a caller can serve it
from stored leaf hashes and stored aligned perfect-subtree hashes ("tiles"):
a proof then costs ``O(log n)`` look-ups, never a rehash of the tree.
``from_perfect`` turns a source of aligned perfect subtrees into such a
callback, ``MemoryTree`` is the in-memory one (tests, small trees).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "PerfectHash",
    "SubtreeHash",
    "consistency_proof",
    "from_perfect",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# Hash of the leaves [start, end) as a tree of their own (MTH of D[start:end]).
SubtreeHash = Callable[[int, int], bytes]
# Hash of the aligned perfect subtree of `width` (a power of two) leaves at `offset`
# (a multiple of `width`).
PerfectHash = Callable[[int, int], bytes]

_LEAF = b"\x00"
_NODE = b"\x01"
# Far beyond any tree we hold (2**64 leaves); bounds the work an attacker's input can ask for.
_MAX_SIZE = 1 << 64


def leaf_hash(data: bytes) -> bytes:
    """``MTH({d}) = SHA-256(0x00 || d)``."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The tree head MTH of a list of leaf hashes (not leaf data).

    Level by level, an odd node out is carried up unchanged: for left-balanced trees
    that is exactly the RFC's split at the largest power of two.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _check_range(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 section 2.1.3.1, leaf-side first.

    ``subtree`` is asked only for the siblings on the way down: at most
    ``ceil(log2(size))`` ranges, each an RFC subtree of the tree.
    """
    _check_range(index, size)
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 section 2.1.4.1.

    Empty when ``old_size`` is 0 or equals ``new_size`` (nothing to prove).
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    # SUBPROOF(m, D[start:start+n], b), unrolled; the hashes are collected root-side first.
    path: list[bytes] = []
    start, m, n, whole = 0, old_size, new_size, True
    while m != n:
        k = _split(n)
        if m <= k:
            path.append(subtree(start + k, start + n))
            n = k
        else:
            path.append(subtree(start, start + k))
            start += k
            m -= k
            n -= k
            whole = False
    if not whole:
        path.append(subtree(start, start + m))
    path.reverse()
    return path


def from_perfect(perfect: PerfectHash) -> SubtreeHash:
    """A ``subtree`` callback built on aligned perfect-subtree hashes.

    Every range a proof asks for starts at a multiple of the power of two that covers
    it, so it is the right fold of its aligned perfect pieces, largest first: one
    ``perfect`` look-up per bit of its width. Other ranges are split the RFC's way and
    still come out right, only with more look-ups.
    """

    def subtree(start: int, end: int) -> bytes:
        width = end - start
        if width <= 0:
            if width == 0:
                return EMPTY_ROOT
            raise ValueError(f"bad range [{start}, {end})")
        if width & (width - 1) == 0 and start % width == 0:
            return perfect(start, width)
        k = _split(width)
        return node_hash(subtree(start, start + k), subtree(start + k, end))

    return subtree


class MemoryTree:
    """Leaf hashes held in memory, with aligned perfect subtrees memoised.

    ``min_cached`` is the smallest width remembered (a power of two), so memory stays
    at about ``len(leaves) / min_cached`` hashes.
    """

    def __init__(self, leaves: Sequence[bytes], *, min_cached: int = 2) -> None:
        if min_cached < 1 or min_cached & (min_cached - 1):
            raise ValueError("min_cached must be a power of two")
        self.leaves = leaves
        self.min_cached = min_cached
        self._memo: dict[tuple[int, int], bytes] = {}
        self.subtree: SubtreeHash = from_perfect(self.perfect)

    @property
    def size(self) -> int:
        return len(self.leaves)

    def perfect(self, offset: int, width: int) -> bytes:
        """Hash of the aligned perfect subtree of ``width`` leaves at ``offset``."""
        if width == 1:
            return self.leaves[offset]
        key = (offset, width)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        if offset + width > len(self.leaves):
            raise ValueError(f"[{offset}, {offset + width}) is beyond {len(self.leaves)} leaves")
        half = width // 2
        value = node_hash(self.perfect(offset, half), self.perfect(offset + half, half))
        if width >= self.min_cached:
            self._memo[key] = value
        return value

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"no tree of {size} in {self.size} leaves")
        return self.subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        if size > self.size:
            raise ValueError(f"no tree of {size} in {self.size} leaves")
        return inclusion_proof(index, size, self.subtree)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else new_size
        if new_size > self.size:
            raise ValueError(f"no tree of {new_size} in {self.size} leaves")
        return consistency_proof(old_size, new_size, self.subtree)


def _is_size(value: object) -> bool:
    return type(value) is int and 0 <= value < _MAX_SIZE


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_path(proof: object) -> bool:
    return (
        isinstance(proof, Sequence)
        and not isinstance(proof, (bytes, str))
        and len(proof) <= 2 * 64
        and all(_is_hash(p) for p in proof)
    )


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: is ``leaf`` (a leaf hash) at ``index`` of the tree ``root``
    of ``size`` leaves? False for any malformed input, never an exception."""
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf) and _is_hash(root) and _is_path(proof)):
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: does the tree ``new_root`` of ``new_size`` leaves extend
    the tree ``old_root`` of ``old_size``? False for any malformed input, never an
    exception.

    The RFC's algorithm covers ``0 < old_size < new_size``; outside it the proof must be
    empty: equal sizes need equal roots, and size 0 needs the empty tree's root.
    """
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_path(proof)):
        return False
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    # 1. An empty path proves nothing.
    if not proof:
        return False
    path = list(proof)
    # 2. An old tree that is a perfect subtree is not repeated in the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3.-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)
