"""tlog-witness add-checkpoint (qorgau.witness.service) over real storage and real keys.

Every checkpoint is a real C2SP note signed by a real Ed25519 log key, over a real RFC 9162
tree (MemoryTree); every cosignature is checked with ``verify_cosignature``.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from qorgau.audit.merkle import EMPTY_ROOT, MemoryTree, leaf_hash
from qorgau.audit.note import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    Signer,
    open_note,
    sign,
    verify_cosignature,
)
from qorgau.witness.client import request_body
from qorgau.witness.service import (
    MAX_PROOF_LINES,
    Conflict,
    Refused,
    Witness,
    origin_hash,
    parse_request,
)
from qorgau.witness.state import WitnessStore

ORIGIN = "audit.qorgau.example/partition/0"
LOG = Signer.generate(ORIGIN)
WITNESS = Signer.generate("witness.example/w1", ALG_COSIGNATURE_V1)
NOW = 1_767_225_600
TREE = MemoryTree([leaf_hash(f"event {i}".encode()) for i in range(64)])
FORK = MemoryTree([leaf_hash(f"forged {i}".encode()) for i in range(64)])


def note(size: int, *, tree: MemoryTree = TREE, signer: Signer = LOG, origin: str = ORIGIN):
    checkpoint = Checkpoint(origin, size, tree.root(size))
    return checkpoint, sign(checkpoint.format(), signer)


def body(old: int, size: int, proof: Sequence[bytes] | None = None, **kw: object) -> bytes:
    if proof is None:
        proof = TREE.consistency_proof(old, size) if old else []
    return request_body(old, proof, note(size, **kw)[1])  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> WitnessStore:
    s = WitnessStore.create(tmp_path / "witness.db")
    s.add_log(ORIGIN, LOG.verifier(), NOW)
    return s


@pytest.fixture
def witness(store: WitnessStore) -> Witness:
    return Witness(store, WITNESS, clock=lambda: NOW)


def refused(witness: Witness, request: bytes) -> Refused:
    with pytest.raises(Refused) as caught:
        witness.add_checkpoint(request)
    return caught.value


def recorded(store: WitnessStore) -> tuple[int, bytes] | None:
    latest = store.latest(ORIGIN)
    return None if latest is None else (latest.size, latest.root)


# --- success ---------------------------------------------------------------------------


def test_a_first_checkpoint_from_old_0_is_cosigned_and_recorded(
    witness: Witness, store: WitnessStore
) -> None:
    checkpoint, _ = note(5)
    line = witness.add_checkpoint(body(0, 5))
    assert line.startswith("— witness.example/w1 ")
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert verify_cosignature(checkpoint, line, WITNESS.verifier()) == NOW
    assert recorded(store) == (5, TREE.root(5))


def test_a_growing_log_is_cosigned_at_every_consistent_step(
    witness: Witness, store: WitnessStore
) -> None:
    old = 0
    for size in (1, 2, 3, 4, 7, 8, 13, 16, 17, 31, 32, 64):
        checkpoint, _ = note(size)
        line = witness.add_checkpoint(body(old, size))
        verify_cosignature(checkpoint, line, WITNESS.verifier())
        assert recorded(store) == (size, TREE.root(size))
        old = size


def test_the_empty_tree_is_cosigned_from_0_and_then_extended(
    witness: Witness, store: WitnessStore
) -> None:
    witness.add_checkpoint(body(0, 0))
    assert recorded(store) == (0, EMPTY_ROOT)
    witness.add_checkpoint(body(0, 6))  # the empty tree is consistent with any tree
    assert recorded(store) == (6, TREE.root(6))


def test_a_replay_of_the_latest_checkpoint_is_cosigned_again_and_changes_nothing(
    witness: Witness, store: WitnessStore
) -> None:
    witness.add_checkpoint(body(0, 9))
    checkpoint, _ = note(9)
    line = witness.add_checkpoint(body(9, 9, []))
    verify_cosignature(checkpoint, line, WITNESS.verifier())
    assert recorded(store) == (9, TREE.root(9))
    # ... and a replay of an older one, with its old size, is a conflict, not a rollback.
    assert isinstance(refused(witness, body(0, 9)), Conflict)


def test_signatures_of_unknown_keys_are_ignored_and_not_kept(
    witness: Witness, store: WitnessStore
) -> None:
    stranger = Signer.generate("stranger.example/key")
    checkpoint = Checkpoint(ORIGIN, 4, TREE.root(4))
    signed = sign(checkpoint.format(), stranger, LOG)
    witness.add_checkpoint(request_body(0, [], signed))
    kept = store.latest_note(origin_hash(ORIGIN))
    assert kept is not None
    assert b"stranger.example" not in kept
    opened = open_note(kept, [LOG.verifier(), WITNESS.verifier()])
    assert opened.signers == (ORIGIN, "witness.example/w1")
    assert Checkpoint.parse(opened.text) == checkpoint


# --- refusals --------------------------------------------------------------------------


def test_a_stale_old_size_is_409_with_the_recorded_size(
    witness: Witness, store: WitnessStore
) -> None:
    witness.add_checkpoint(body(0, 5))
    witness.add_checkpoint(body(5, 12))
    for old in (0, 5, 11):
        answer = refused(witness, body(old, 13))
        assert isinstance(answer, Conflict)
        assert (answer.status, answer.size, answer.body()) == (409, 12, b"12\n")
    assert recorded(store) == (12, TREE.root(12))


def test_a_log_never_cosigned_answers_409_with_0_to_a_nonzero_old_size(
    witness: Witness, store: WitnessStore
) -> None:
    answer = refused(witness, body(5, 12))
    assert isinstance(answer, Conflict)
    assert answer.size == 0
    assert recorded(store) is None


@pytest.mark.parametrize(
    "proof",
    [
        pytest.param(lambda p: [p[0][:-1] + bytes([p[0][-1] ^ 1]), *p[1:]], id="flipped bit"),
        pytest.param(lambda p: p[:-1], id="truncated"),
        pytest.param(lambda p: [], id="empty"),
        pytest.param(lambda p: [*p, p[0]], id="extra hash"),
        pytest.param(lambda p: TREE.consistency_proof(4, 12), id="proof of other sizes"),
    ],
)
def test_a_bad_consistency_proof_is_422_and_nothing_is_recorded(
    witness: Witness, store: WitnessStore, proof
) -> None:
    witness.add_checkpoint(body(0, 5))
    good = TREE.consistency_proof(5, 12)
    answer = refused(witness, body(5, 12, proof(good)))
    assert answer.status == 422
    assert recorded(store) == (5, TREE.root(5))
    assert [(o, r) for o, r, _ in store.evidence(ORIGIN)] == [(5, answer.message)]


def test_a_fork_at_the_recorded_size_is_refused(witness: Witness, store: WitnessStore) -> None:
    witness.add_checkpoint(body(0, 8))
    answer = refused(witness, body(8, 8, [], tree=FORK))
    assert answer.status == 422
    assert recorded(store) == (8, TREE.root(8))
    # The log's signed fork is kept: proof that its key signed two different trees of 8.
    (old, _, evidence), = store.evidence(ORIGIN)  # fmt: skip
    assert old == 8
    assert evidence == note(8, tree=FORK)[1]


def test_a_fork_that_grows_is_refused_whatever_proof_comes_with_it(
    witness: Witness, store: WitnessStore
) -> None:
    witness.add_checkpoint(body(0, 8))
    for proof in (FORK.consistency_proof(8, 20), TREE.consistency_proof(8, 20)):
        assert refused(witness, body(8, 20, proof, tree=FORK)).status == 422
    assert recorded(store) == (8, TREE.root(8))


def test_a_rollback_is_refused(witness: Witness, store: WitnessStore) -> None:
    witness.add_checkpoint(body(0, 12))
    assert refused(witness, body(12, 5, [])).status == 400  # old above the size
    answer = refused(witness, body(5, 5, []))
    assert isinstance(answer, Conflict)
    assert answer.size == 12
    assert recorded(store) == (12, TREE.root(12))


def test_an_old_size_above_the_checkpoints_is_400(witness: Witness) -> None:
    assert refused(witness, body(9, 5, [])).status == 400


def test_a_proof_from_0_must_be_empty(witness: Witness, store: WitnessStore) -> None:
    assert refused(witness, body(0, 5, [TREE.root(3)])).status == 422
    assert recorded(store) is None


def test_a_tree_of_size_0_must_be_the_empty_tree(witness: Witness, store: WitnessStore) -> None:
    checkpoint = Checkpoint(ORIGIN, 0, TREE.root(1))
    answer = refused(witness, request_body(0, [], sign(checkpoint.format(), LOG)))
    assert answer.status == 422
    assert recorded(store) is None


def test_an_unknown_origin_is_404(witness: Witness) -> None:
    other = Signer.generate("other.example/log")
    request = body(0, 3, signer=other, origin="other.example/log")
    assert refused(witness, request).status == 404


def test_a_checkpoint_not_signed_by_the_logs_key_is_403(
    witness: Witness, store: WitnessStore
) -> None:
    impostor = Signer.generate(ORIGIN)  # the log's name, another key
    assert refused(witness, body(0, 3, signer=impostor)).status == 403
    assert recorded(store) is None


def test_a_bad_signature_of_the_logs_key_is_403(witness: Witness, store: WitnessStore) -> None:
    _, signed = note(3)
    text, _, line = signed.decode().rpartition("\n\n")
    name, raw = line.removeprefix("— ").rstrip("\n").split(" ")
    sig = bytearray(base64.b64decode(raw))
    sig[-1] ^= 1
    forged = f"{text}\n\n— {name} {base64.b64encode(bytes(sig)).decode()}\n".encode()
    assert refused(witness, request_body(0, [], forged)).status == 403
    # A valid signature next to the bad one does not save it (signed-note: reject the note).
    both = forged + signed.decode().rpartition("\n\n")[2].encode()
    assert refused(witness, request_body(0, [], both)).status == 403
    assert recorded(store) is None


def test_a_checkpoint_whose_text_was_changed_after_signing_is_403(witness: Witness) -> None:
    _, signed = note(3)
    tampered = signed.replace(b"\n3\n", b"\n4\n", 1)
    assert refused(witness, request_body(0, [], tampered)).status == 403


GOOD = note(3)[1]
HASH = base64.b64encode(TREE.root(1))


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"old 0", id="no newline"),
        pytest.param(b"old 0\n", id="no blank line"),
        pytest.param(b"old 0\n\n", id="no note"),
        pytest.param(b"new 0\n\n" + GOOD, id="not old"),
        pytest.param(b"old 03\n\n" + GOOD, id="leading zero"),
        pytest.param(b"old -1\n\n" + GOOD, id="negative"),
        pytest.param(b"old  3\n\n" + GOOD, id="two spaces"),
        pytest.param(b"old 18446744073709551616\n\n" + GOOD, id="beyond 64 bits"),
        pytest.param(b"old 1\n" + HASH[:-1] + b"\n\n" + GOOD, id="proof not base64"),
        pytest.param(b"old 1\n" + base64.b64encode(b"x" * 31) + b"\n\n" + GOOD, id="short hash"),
        pytest.param(b"old 1\n" + HASH + b" \n\n" + GOOD, id="proof trailing space"),
        pytest.param(b"old 1\n" + (HASH + b"\n") * 64 + b"\n" + GOOD, id="64 proof lines"),
        pytest.param(b"old 0\n\n" + GOOD.replace(b"\n\n", b"\n"), id="note without signatures"),
        pytest.param(b"old 0\n\n" + GOOD[:-1], id="note without final newline"),
        pytest.param(b"old 0\n\n" + GOOD.replace(b"\n3\n", b"\n03\n"), id="bad size line"),
        pytest.param(b"old 0\n\n" + GOOD.replace("— ".encode(), b"- "), id="bad sig line"),
        pytest.param(b"old 0\n\n\xff" + GOOD, id="not utf-8"),
    ],
)
def test_a_malformed_request_is_400(witness: Witness, request_: bytes) -> None:
    assert refused(witness, request_).status == 400


def test_up_to_63_proof_lines_are_read() -> None:
    parsed = parse_request(b"old 1\n" + (HASH + b"\n") * MAX_PROOF_LINES + b"\n" + GOOD)
    assert parsed.old_size == 1
    assert len(parsed.proof) == 63
    assert parsed.note == GOOD


def test_the_witness_signs_only_with_a_cosignature_key(store: WitnessStore) -> None:
    with pytest.raises(ValueError, match="cosignature"):
        Witness(store, LOG)


# --- concurrency -----------------------------------------------------------------------


def test_of_concurrent_requests_from_one_old_size_exactly_one_advances(
    witness: Witness, store: WitnessStore
) -> None:
    """tlog-witness: check and persist atomically, else a slower request for a smaller
    size rolls the witness back. Eight real threads race from size 5."""
    witness.add_checkpoint(body(0, 5))
    sizes = list(range(6, 14))
    start = threading.Barrier(len(sizes))
    outcome: dict[int, str | Refused] = {}

    def submit(size: int) -> None:
        request = body(5, size)
        start.wait()
        try:
            outcome[size] = witness.add_checkpoint(request)
        except Refused as exc:
            outcome[size] = exc

    threads = [threading.Thread(target=submit, args=(s,)) for s in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [s for s, o in outcome.items() if isinstance(o, str)]
    assert len(won) == 1, outcome
    assert recorded(store) == (won[0], TREE.root(won[0]))
    for s, o in outcome.items():
        if s != won[0]:
            assert isinstance(o, Conflict)
            assert o.size == won[0]
