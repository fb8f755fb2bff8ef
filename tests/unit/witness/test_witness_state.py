"""The witness's own SQLite storage (qorgau.witness.state): compare-and-swap under real
concurrent threads and processes, trusted keys, evidence, the file itself."""

from __future__ import annotations

import multiprocessing
import stat
import threading
from pathlib import Path

import pytest

from qorgau.audit.merkle import MemoryTree, leaf_hash
from qorgau.audit.note import Signer
from qorgau.witness.service import Latest
from qorgau.witness.state import EVIDENCE_PER_LOG, StoreError, WitnessStore

ORIGIN = "audit.qorgau.example/partition/0"
TREE = MemoryTree([leaf_hash(bytes([i])) for i in range(64)])


def at(size: int) -> Latest:
    return Latest(size, TREE.root(size), f"note {size}\n".encode())


def test_a_new_store_is_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "witness.db"
    WitnessStore.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(StoreError, match="already exists"):
        WitnessStore.create(path)


def test_a_missing_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no witness storage"):
        WitnessStore(tmp_path / "absent.db")
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"")
    with pytest.raises(StoreError, match="not a witness"):
        WitnessStore(foreign)


def test_advance_is_a_compare_and_swap(tmp_path: Path) -> None:
    store = WitnessStore.create(tmp_path / "w.db")
    assert store.latest(ORIGIN) is None
    assert store.advance(ORIGIN, None, at(3), 1)
    assert not store.advance(ORIGIN, None, at(4), 2)  # it exists now
    assert not store.advance(ORIGIN, (2, TREE.root(2)), at(4), 2)  # wrong size
    assert not store.advance(ORIGIN, (3, TREE.root(2)), at(4), 2)  # wrong root
    assert store.advance(ORIGIN, (3, TREE.root(3)), at(9), 3)
    assert store.latest(ORIGIN) == at(9)


def test_sizes_up_to_2_64_minus_1_are_stored(tmp_path: Path) -> None:
    store = WitnessStore.create(tmp_path / "w.db")
    big = Latest(2**64 - 1, TREE.root(1), b"n\n")
    assert store.advance(ORIGIN, None, big, 1)
    assert store.latest(ORIGIN) == big
    assert store.advance(ORIGIN, (big.size, big.root), big, 2)


def _race(store: WitnessStore, origin: str, expected: tuple[int, bytes] | None) -> list[int]:
    """Two threads released together swap ``origin`` from ``expected``; who won."""
    start = threading.Barrier(2)
    won: list[int] = []

    def swap(size: int) -> None:
        start.wait()
        if store.advance(origin, expected, at(size), 1):
            won.append(size)

    threads = [threading.Thread(target=swap, args=(s,)) for s in (7, 11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won


@pytest.mark.parametrize("first", [True, False], ids=["insert", "update"])
def test_two_threads_swapping_from_one_state_cannot_both_win(tmp_path: Path, first: bool) -> None:
    store = WitnessStore.create(tmp_path / "w.db")
    expected = None if first else (5, TREE.root(5))
    for rnd in range(20):
        origin = f"{ORIGIN}/{rnd}"
        if not first:
            assert store.advance(origin, None, at(5), 0)
        won = _race(store, origin, expected)
        assert len(won) == 1, won
        latest = store.latest(origin)
        assert latest is not None
        assert latest.size == won[0]


def _swap_in_process(path: str, size: int, start: object, results: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    ok = WitnessStore(Path(path)).advance(ORIGIN, (5, TREE.root(5)), at(size), 1)
    results.put((size, ok))  # type: ignore[attr-defined]


def test_two_processes_swapping_from_one_state_cannot_both_win(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = WitnessStore.create(path)
    assert store.advance(ORIGIN, None, at(5), 0)
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_swap_in_process, args=(str(path), s, start, results)) for s in (7, 11)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    outcome = dict(results.get(timeout=5) for _ in procs)
    assert sorted(outcome.values()) == [False, True]
    winner = next(s for s, ok in outcome.items() if ok)
    latest = store.latest(ORIGIN)
    assert latest is not None
    assert latest.size == winner


def test_trusted_keys_per_origin(tmp_path: Path) -> None:
    store = WitnessStore.create(tmp_path / "w.db")
    first, second = Signer.generate(ORIGIN).verifier(), Signer.generate(ORIGIN).verifier()
    assert store.log_keys(ORIGIN) == []
    assert store.add_log(ORIGIN, first, 1)
    assert not store.add_log(ORIGIN, first, 2)
    assert store.add_log(ORIGIN, second, 3)
    assert sorted(v.to_vkey() for v in store.log_keys(ORIGIN)) == sorted(
        [first.to_vkey(), second.to_vkey()]
    )
    assert store.log_keys("other.example/log") == []
    assert store.advance(ORIGIN, None, at(4), 4)
    assert {(o, s) for o, _, s in store.logs()} == {(ORIGIN, 4)}


def test_evidence_is_kept_once_per_note_and_bounded(tmp_path: Path) -> None:
    store = WitnessStore.create(tmp_path / "w.db")
    assert store.keep_evidence(ORIGIN, 3, "fork", b"a\n", 1)
    assert not store.keep_evidence(ORIGIN, 3, "fork", b"a\n", 2)
    for i in range(EVIDENCE_PER_LOG + 5):
        store.keep_evidence(ORIGIN, 3, "fork", f"n{i}\n".encode(), 3)
    assert len(store.evidence(ORIGIN)) == EVIDENCE_PER_LOG
    assert store.evidence(ORIGIN)[0] == (3, "fork", b"a\n")
