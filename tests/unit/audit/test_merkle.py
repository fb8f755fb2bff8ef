"""RFC 9162 Merkle trees (issue 13, must-have 2). Pure: no database.

Known answers: the eight leaves and their hashes used throughout Google's
certificate-transparency and transparency-dev/merkle test data, taken from
https://github.com/transparency-dev/merkle:

* ``testonly/constants.go`` (``LeafInputs``, ``NodeHashes``, ``RootHashes``,
  ``EmptyRootHash``);
* ``testonly/reference_test.go`` (``TestRefInclusionProof``,
  ``TestRefConsistencyProof``);
* ``proof/verify_test.go`` (``inclusionProofs``, ``consistencyProofs`` (1-based leaf
  numbers there, 0-based indices here), and the corruption probes mirrored in
  ``_corrupt_inclusion`` / ``_corrupt_consistency``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    from_perfect,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def h(s: str) -> bytes:
    return bytes.fromhex(s)


LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

# NodeHashes(): level 0 (leaf hashes), 1, 2, 3.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# RootHashes(): indexed by tree size, 0..8.
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (index, size, proof): reference_test.go and verify_test.go, merged.
INCLUSION = [
    (0, 1, []),
    (0, 2, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")]),
    (1, 2, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

# (old_size, new_size, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
GOLDEN = MemoryTree([leaf_hash(d) for d in LEAF_INPUTS])

MAX = 70
BIG = MemoryTree([leaf_hash(str(i).encode()) for i in range(MAX)])


# --- the RFC's recursive definitions, verbatim, as the oracle -----------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: Sequence[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = _k(n)
    return node_hash(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


# --- known answers ------------------------------------------------------------------


def test_hashing_matches_the_node_hashes() -> None:
    assert [leaf_hash(d) for d in LEAF_INPUTS] == NODE_HASHES[0]
    for level in range(1, 4):
        below = NODE_HASHES[level - 1]
        got = [node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)]
        assert got == NODE_HASHES[level]
        width = 1 << level
        assert [GOLDEN.perfect(i * width, width) for i in range(8 // width)] == got


def test_empty_root_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT == ROOTS[0] == hashlib.sha256(b"").digest()
    assert root([]) == EMPTY_ROOT
    assert GOLDEN.root(0) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_roots(size: int) -> None:
    assert root(NODE_HASHES[0][:size]) == ROOTS[size]
    assert GOLDEN.root(size) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, proof: list[bytes]) -> None:
    assert GOLDEN.inclusion_proof(index, size) == proof
    leaf = NODE_HASHES[0][index]
    assert verify_inclusion(index, size, leaf, proof, ROOTS[size])
    for probe in _corrupt_inclusion(index, size, leaf, proof, ROOTS[size]):
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, proof: list[bytes]) -> None:
    assert GOLDEN.consistency_proof(old, new) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)
    if proof:
        for probe in _corrupt_consistency(old, new, ROOTS[old], ROOTS[new], proof):
            assert not verify_consistency(*probe), probe


def test_single_entry_tree() -> None:
    leaf = leaf_hash(b"data")
    assert verify_inclusion(0, 1, leaf, [], leaf)
    assert not verify_inclusion(0, 1, leaf, [], b"")
    assert not verify_inclusion(0, 1, b"", [], leaf)
    assert not verify_inclusion(0, 1, b"", [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1)])
def test_inclusion_outside_the_tree_fails(index: int, size: int) -> None:
    for leaf, top in [(SOME_HASH, EMPTY_ROOT), (EMPTY_ROOT, EMPTY_ROOT), (SOME_HASH, SOME_HASH)]:
        assert not verify_inclusion(index, size, leaf, [], top)
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(index, size, GOLDEN.subtree)


def test_consistency_edge_cases() -> None:
    r1, r2 = ROOTS[1], ROOTS[2]
    # Equal sizes: equal roots, empty proof.
    assert verify_consistency(1, 1, r1, r1, [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])
    # Every tree extends the empty one, named by its root.
    assert verify_consistency(0, 1, EMPTY_ROOT, r1, [])
    assert not verify_consistency(0, 1, SOME_HASH, r1, [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, r1, [EMPTY_ROOT])
    # Back in time, or nothing to go on.
    assert not verify_consistency(1, 0, r1, EMPTY_ROOT, [])
    assert not verify_consistency(2, 1, r2, r1, [])
    assert not verify_consistency(1, 2, r1, r2, [])
    assert GOLDEN.consistency_proof(0, 5) == []
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(3, 2, GOLDEN.subtree)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(-1, 2, GOLDEN.subtree)


@pytest.mark.parametrize(
    "junk",
    [None, "ab", b"", b"x" * 31, b"x" * 33, 3, [b"x" * 32, None], [b"x" * 32, "y" * 32], [1]],
)
def test_malformed_input_is_false_not_an_error(junk: object) -> None:
    leaf, proof, top = NODE_HASHES[0][5], INCLUSION[-1][2], ROOTS[8]
    assert not verify_inclusion(5, 8, leaf, junk, top)  # type: ignore[arg-type]
    assert not verify_inclusion(5, 8, junk, proof, top)  # type: ignore[arg-type]
    assert not verify_inclusion(5, 8, leaf, proof, junk)  # type: ignore[arg-type]
    assert not verify_inclusion(junk, 8, leaf, proof, top)  # type: ignore[arg-type]
    assert not verify_inclusion(5, junk, leaf, proof, top)  # type: ignore[arg-type]
    old, new, cproof = CONSISTENCY[2]
    args: list[object] = [old, new, ROOTS[old], ROOTS[new], cproof]
    for i in range(5):
        bad = list(args)
        bad[i] = junk
        assert not verify_consistency(*bad)  # type: ignore[arg-type]


def test_odd_sizes_are_false() -> None:
    leaf, proof, top = NODE_HASHES[0][5], INCLUSION[-1][2], ROOTS[8]
    for index, size in [(-1, 8), (5, -1), (True, 8), (5.0, 8), (5, 1 << 64), (1 << 70, 1 << 71)]:
        assert not verify_inclusion(index, size, leaf, proof, top)  # type: ignore[arg-type]
    assert not verify_inclusion(5, 8, leaf, [proof[0]] * 200, top)
    assert not verify_consistency(-1, 8, ROOTS[6], top, proof)
    assert not verify_consistency(6, 1 << 64, ROOTS[6], top, proof)


# --- every proof up to MAX leaves, against the RFC's definitions ---------------------


def test_every_inclusion_proof_matches_the_rfc_and_verifies() -> None:
    leaves = BIG.leaves
    for size in range(1, MAX + 1):
        top = BIG.root(size)
        assert top == ref_mth(leaves[:size]) == root(leaves[:size])
        for index in range(size):
            proof = BIG.inclusion_proof(index, size)
            assert proof == ref_path(index, leaves[:size])
            assert verify_inclusion(index, size, leaves[index], proof, top)


def test_every_consistency_proof_matches_the_rfc_and_verifies() -> None:
    leaves = BIG.leaves
    roots = [BIG.root(n) for n in range(MAX + 1)]
    for new in range(1, MAX + 1):
        for old in range(1, new + 1):
            proof = BIG.consistency_proof(old, new)
            assert proof == ref_subproof(old, leaves[:new], True)
            assert verify_consistency(old, new, roots[old], roots[new], proof)


sizes = st.integers(min_value=1, max_value=MAX)


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return draw(st.integers(min_value=0, max_value=size - 1)), size


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(min_value=2, max_value=MAX))
    return draw(st.integers(min_value=1, max_value=new - 1)), new


def _flip(proof: list[bytes], i: int, byte: int, bit: int) -> list[bytes]:
    bad = list(proof)
    b = bytearray(bad[i])
    b[byte] ^= 1 << bit
    bad[i] = bytes(b)
    return bad


@settings(max_examples=300, deadline=None)
@given(inclusion_cases(), st.data())
def test_tampered_inclusion_is_rejected(case: tuple[int, int], data: st.DataObject) -> None:
    index, size = case
    proof, leaf, top = BIG.inclusion_proof(index, size), BIG.leaves[index], BIG.root(size)
    assert verify_inclusion(index, size, leaf, proof, top)
    byte = data.draw(st.integers(0, 31))
    bit = data.draw(st.integers(0, 7))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        assert not verify_inclusion(index, size, leaf, _flip(proof, i, byte, bit), top)
    assert not verify_inclusion(index, size, _flip([leaf], 0, byte, bit)[0], proof, top)
    assert not verify_inclusion(index, size, leaf, proof, _flip([top], 0, byte, bit)[0])
    other = data.draw(st.integers(0, 2 * MAX).filter(lambda j: j != index))
    assert not verify_inclusion(other, size, leaf, proof, top)
    for probe in _corrupt_inclusion(index, size, leaf, proof, top):
        assert not verify_inclusion(*probe), probe


@settings(max_examples=300, deadline=None)
@given(consistency_cases(), st.data())
def test_tampered_consistency_is_rejected(case: tuple[int, int], data: st.DataObject) -> None:
    old, new = case
    proof, r1, r2 = BIG.consistency_proof(old, new), BIG.root(old), BIG.root(new)
    assert verify_consistency(old, new, r1, r2, proof)
    i = data.draw(st.integers(0, len(proof) - 1))
    byte = data.draw(st.integers(0, 31))
    bit = data.draw(st.integers(0, 7))
    assert not verify_consistency(old, new, r1, r2, _flip(proof, i, byte, bit))
    assert not verify_consistency(old, new, _flip([r1], 0, byte, bit)[0], r2, proof)
    assert not verify_consistency(old, new, r1, _flip([r2], 0, byte, bit)[0], proof)
    other_old = data.draw(st.integers(0, new).filter(lambda s: s != old))
    assert not verify_consistency(other_old, new, r1, r2, proof)
    for probe in _corrupt_consistency(old, new, r1, r2, proof):
        assert not verify_consistency(*probe), probe


def test_a_proof_alone_does_not_pin_the_size() -> None:
    """RFC 9162 binds the size through the signed tree head, not the proof: where two
    sizes give the leaf the same path shape, one proof serves both (so a checkpoint must
    sign its size together with its root)."""
    assert verify_inclusion(0, 6, BIG.leaves[0], BIG.inclusion_proof(0, 5), BIG.root(5))
    assert verify_consistency(4, 6, BIG.root(4), BIG.root(5), BIG.consistency_proof(4, 5))


# --- the subtree callback -----------------------------------------------------------


def test_from_perfect_serves_any_range() -> None:
    leaves = BIG.leaves
    for start in range(MAX):
        for end in range(start, MAX + 1):
            assert BIG.subtree(start, end) == ref_mth(leaves[start:end])


def test_proofs_ask_only_for_aligned_perfect_pieces() -> None:
    asked: list[tuple[int, int]] = []
    tree = MemoryTree(BIG.leaves)

    def perfect(offset: int, width: int) -> bytes:
        asked.append((offset, width))
        assert width & (width - 1) == 0
        assert offset % width == 0
        return tree.perfect(offset, width)

    subtree = from_perfect(perfect)
    for size in range(1, MAX + 1):
        for index in range(size):
            asked.clear()
            inclusion_proof(index, size, subtree)
            # One look-up per set bit of each sibling's width: O(log^2 n) at worst.
            assert len(asked) <= size.bit_length() ** 2
        for old in range(1, size):
            consistency_proof(old, size, subtree)


def test_memory_tree_memoises_from_min_cached() -> None:
    tree = MemoryTree(BIG.leaves, min_cached=16)
    tree.root()
    assert tree._memo
    assert min(width for _, width in tree._memo) == 16
    with pytest.raises(ValueError, match="power of two"):
        MemoryTree([], min_cached=3)
    with pytest.raises(ValueError, match="no tree"):
        tree.root(MAX + 1)
    with pytest.raises(ValueError, match="no tree"):
        tree.inclusion_proof(0, MAX + 1)
    with pytest.raises(ValueError, match="no tree"):
        tree.consistency_proof(1, MAX + 1)
    with pytest.raises(ValueError, match="beyond"):
        tree.perfect(64, 16)


# --- corruption probes, as in transparency-dev/merkle proof/verify_test.go ----------


def _corrupt_inclusion(
    index: int, size: int, leaf: bytes, proof: list[bytes], top: bytes
) -> list[tuple[int, int, bytes, list[bytes], bytes]]:
    probes = [
        (index - 1, size, leaf, proof, top),
        (index + 1, size, leaf, proof, top),
        (index ^ 2, size, leaf, proof, top),
        (index, size * 2, leaf, proof, top),
        (index, size // 2, leaf, proof, top),
        (index, size, b"WrongLeaf", proof, top),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], top),
        (index, size, leaf, [*proof, top], top),
        (index, size, leaf, [b"", *proof], top),
        (index, size, leaf, [top, *proof], top),
    ]
    probes += [(index, size, leaf, _flip(proof, i, 0, 3), top) for i in range(len(proof))]
    if proof:
        probes.append((index, size, leaf, proof[:-1], top))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], top))
    # (index ^ 2 or size // 2 can land on an equivalent position only in trivial trees.)
    return [
        p for p in probes if not (p[0] == index and p[1] == size and p[3] == proof and p[2] == leaf)
    ]


def _corrupt_consistency(
    old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]
) -> list[tuple[int, int, bytes, bytes, list[bytes]]]:
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    probes += [(old, new, r1, r2, _flip(proof, i, 0, 4)) for i in range(len(proof))]
    return probes
