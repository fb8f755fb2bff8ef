"""A real witness: `qorgau witness run` in its own process, on its own port, with its own
key and storage, driven over HTTP by WitnessClient with the checkpoints of a growing log.

It is killed (SIGKILL) and restarted on the same home: it still knows the latest size it
cosigned, so rolling the log back after the restart gets 409, and a fork 422.
"""

from __future__ import annotations

import signal
import stat
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from qorgau.audit.merkle import MemoryTree, leaf_hash
from qorgau.audit.note import ALG_COSIGNATURE_V1, Checkpoint, Signer, Verifier, open_note, sign
from qorgau.audit.note import verify_cosignature as verify
from qorgau.cli import app
from qorgau.witness.client import (
    WitnessBadResponse,
    WitnessClient,
    WitnessConflict,
    WitnessRefused,
    WitnessUnavailable,
    request_body,
)
from qorgau.witness.service import origin_hash
from witnesskit import free_port, start

ORIGIN = "audit.qorgau.example/partition/0"
LOG = Signer.generate(ORIGIN)
runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


class Log:
    """A log's side: a growing in-memory tree and its signed checkpoints."""

    def __init__(self) -> None:
        self.tree = MemoryTree([])
        self.leaves: list[bytes] = []

    def grow(self, n: int) -> None:
        self.leaves.extend(leaf_hash(f"event {len(self.leaves) + i}".encode()) for i in range(n))
        self.tree = MemoryTree(self.leaves)

    def note(self, size: int | None = None) -> tuple[Checkpoint, bytes]:
        size = self.tree.size if size is None else size
        checkpoint = Checkpoint(ORIGIN, size, self.tree.root(size))
        return checkpoint, sign(checkpoint.format(), LOG)

    def proof(self, old: int) -> list[bytes]:
        return self.tree.consistency_proof(old) if old else []


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "witness"


def test_a_real_witness_cosigns_a_growing_log_and_survives_a_kill(
    home: Path, tmp_path: Path
) -> None:
    vkey = cli("witness", "init", "--home", str(home), "--name", "witness.example/w1").strip()
    witness = Verifier.from_vkey(vkey)
    assert witness.alg == ALG_COSIGNATURE_V1
    assert witness.name == "witness.example/w1"
    assert cli("witness", "vkey", "--home", str(home)).strip() == vkey
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("witness.key", "witness.db"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600
    cli("witness", "add-log", "--home", str(home), "--origin", ORIGIN, "--vkey",
        LOG.verifier().to_vkey())  # fmt: skip

    port, out = free_port(), tmp_path / "witness.log"
    url = f"http://127.0.0.1:{port}"
    proc = start(home, port, out)
    log = Log()
    try:
        with WitnessClient(url, witness, timeout=5) as client:
            seen = 0
            for step in (3, 1, 5, 7, 16):
                log.grow(step)
                checkpoint, signed = log.note()
                line = client.add_checkpoint(seen, log.proof(seen), signed)
                assert verify(checkpoint, line, witness) > 0
                seen = log.tree.size
            assert seen == 32

            # A stale old size: 409, exactly text/x.tlog.size, the witness's size.
            stale = httpx.post(f"{url}/add-checkpoint", content=request_body(0, [], signed))
            assert stale.status_code == 409
            assert stale.headers["content-type"] == "text/x.tlog.size"
            assert stale.text == "32\n"
            with pytest.raises(WitnessConflict) as conflict:
                client.add_checkpoint(16, log.proof(16), signed)
            assert conflict.value.size == 32

            # Monitors read the latest cosigned checkpoint, signed by both.
            kept = httpx.get(f"{url}/{origin_hash(ORIGIN)}/checkpoint")
            assert kept.status_code == 200
            opened = open_note(kept.content, [LOG.verifier(), witness])
            assert opened.signers == (ORIGIN, witness.name)
            assert Checkpoint.parse(opened.text) == checkpoint
            assert httpx.get(f"{url}/{'0' * 64}/checkpoint").status_code == 404

            # Bodies are bounded; the witness speaks only its protocol.
            huge = httpx.post(f"{url}/add-checkpoint", content=b"old 0\n" + b"A" * 70_000)
            assert huge.status_code == 413
            assert httpx.get(f"{url}/add-checkpoint").status_code == 405

            # A client that expects another witness key does not take this one's answer.
            other = Signer.generate("witness.example/w1", ALG_COSIGNATURE_V1).verifier()
            with WitnessClient(url, other, timeout=5) as wrong:
                with pytest.raises(WitnessBadResponse):
                    wrong.add_checkpoint(32, [], signed)

            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            with pytest.raises(WitnessUnavailable):
                client.add_checkpoint(32, [], signed)

            proc = start(home, port, out)
            # It remembers 32: the log rolled back to 9 (or restarted from nothing) is refused.
            _, rolled_back = log.note(9)
            for old in (0, 9):
                with pytest.raises(WitnessConflict) as conflict:
                    client.add_checkpoint(old, [], rolled_back)
                assert conflict.value.size == 32
            # A fork at 32 (the events rewritten) is refused and not cosigned.
            forged = MemoryTree([leaf_hash(b"forged %d" % i) for i in range(32)])
            fork = Checkpoint(ORIGIN, 32, forged.root())
            with pytest.raises(WitnessRefused) as refused:
                client.add_checkpoint(32, [], sign(fork.format(), LOG))
            assert refused.value.status == 422
            # An impostor's checkpoint is refused, an unknown log too.
            impostor = Signer.generate(ORIGIN)
            with pytest.raises(WitnessRefused) as refused:
                client.add_checkpoint(32, [], sign(checkpoint.format(), impostor))
            assert refused.value.status == 403
            stranger = Signer.generate("other.example/log")
            unknown = Checkpoint("other.example/log", 1, log.tree.root(1))
            with pytest.raises(WitnessRefused) as refused:
                client.add_checkpoint(0, [], sign(unknown.format(), stranger))
            assert refused.value.status == 404

            # The log goes on from where the witness is.
            log.grow(9)
            checkpoint, signed = log.note()
            line = client.add_checkpoint(32, log.proof(32), signed)
            verify(checkpoint, line, witness)
    finally:
        proc.kill()
        proc.wait(10)
    listed = cli("witness", "logs", "--home", str(home))
    assert ORIGIN in listed
    assert "size 41" in listed
    assert b"event" not in out.read_bytes()  # nothing of the log's content is logged


def test_the_witness_commands_refuse_plainly(home: Path, tmp_path: Path) -> None:
    def failing(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code != 0
        return result.output

    assert "witness init" in failing("witness", "vkey", "--home", str(home))
    assert "invalid key name" in failing("witness", "init", "--home", str(home), "--name", "a b")
    cli("witness", "init", "--home", str(home), "--name", "witness.example/w2")
    assert "already holds" in failing(
        "witness", "init", "--home", str(home), "--name", "witness.example/w2"
    )
    cosigning = Signer.generate(ORIGIN, ALG_COSIGNATURE_V1).verifier().to_vkey()
    assert "Ed25519" in failing(
        "witness", "add-log", "--home", str(home), "--origin", ORIGIN, "--vkey", cosigning
    )
    assert "malformed" in failing(
        "witness", "add-log", "--home", str(home), "--origin", ORIGIN, "--vkey", "x+00000000+AA"
    )
    (home / "witness.key").chmod(0o644)
    assert "readable by others" in failing("witness", "vkey", "--home", str(home))
