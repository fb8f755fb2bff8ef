"""A partition's tree as it grows (``audit/tree.py``): whatever way the leaves arrive, the
frontier's tree head is RFC 9162's and the perfect subtrees it reports are exactly the
aligned ones of 256 leaves and more, each once. Pure: no database."""

from __future__ import annotations

import hashlib
import random

import pytest

from qorgau.audit.merkle import MemoryTree, root
from qorgau.audit.tree import STORED_LEVEL, Frontier, Node

LEAVES = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(5_000)]


def _expected_nodes(n: int, keep: int) -> set[Node]:
    tree = MemoryTree(LEAVES[:n])
    out = set()
    level = keep
    while (1 << level) <= n:
        width = 1 << level
        for idx in range(n // width):
            out.add(Node(level, idx, tree.perfect(idx * width, width)))
        level += 1
    return out


@pytest.mark.parametrize("n", [0, 1, 2, 3, 255, 256, 1023, 1024, 1025, 2048 + 7, 4096, 5_000])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_split_gives_the_rfc_head_and_each_stored_node_once(n: int, seed: int) -> None:
    rng = random.Random(seed * 10_007 + n)
    frontier, got, i = Frontier(), [], 0
    while i < n:
        end = min(n, i + rng.choice([1, 7, 255, 1024, 1500, 3000]))
        got.extend(frontier.extend(LEAVES[i:end], keep=STORED_LEVEL))
        i = end
        assert frontier.root() == root(LEAVES[:i])
        again = Frontier.decode(frontier.size, frontier.encode())
        assert again.root() == frontier.root()
    assert frontier.size == n
    assert frontier.root() == root(LEAVES[:n])
    assert len(got) == len(set(got))
    assert set(got) == _expected_nodes(n, STORED_LEVEL)


def test_without_keep_nothing_is_collected() -> None:
    frontier = Frontier()
    assert frontier.extend(LEAVES[:4096]) == []
    assert frontier.root() == root(LEAVES[:4096])


def test_a_lower_keep_reports_the_levels_inside_a_chunk() -> None:
    frontier = Frontier()
    got = frontier.extend(LEAVES[:2048], keep=3)
    assert set(got) == _expected_nodes(2048, 3)
    assert len(got) == len(set(got))
