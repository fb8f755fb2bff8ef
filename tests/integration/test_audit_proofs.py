"""Inclusion and consistency proofs from the store, checked with the public key alone, by
qorgau's own check and by the single-file checker in a separate Python process (issue 13,
must-haves 2 and 7); on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qorgau.audit import merkle, proofcheck
from qorgau.audit.checkpoint import note_verifier
from qorgau.audit.model import Event, partition_of
from qorgau.audit.proofs import NoProof, StoredTree, check, prove_event, prove_subject
from qorgau.audit.store import audit_event, tree_head
from qorgau.container import Container

ACTOR = "test:bulk"


def _events(services: Container, n: int) -> None:
    """``n`` events of one actor without a subject: one partition, so its tree grows past
    the stored levels (256 leaves and more)."""
    with services.db.unit_of_work() as conn:
        services.audit.append_many(
            conn, [Event("search", ACTOR, detail={"n": i}) for i in range(n)]
        )


def _part_and_ids(services: Container) -> tuple[int, list[int]]:
    part = partition_of(None, ACTOR, services.audit.partitions)
    with services.db.engine.connect() as conn:
        ids = conn.execute(
            select(audit_event.c.id)
            .where(audit_event.c.part == part, audit_event.c.action == "search")
            .order_by(audit_event.c.id)
        ).scalars()
        return part, [int(i) for i in ids]


def _log_key(services: Container) -> str:
    return note_verifier(services.signer.public_raw, services.settings.log_origin).to_vkey()


def test_an_event_proves_against_the_signed_tree_head(services: Container, tmp_path: Path) -> None:
    _events(services, 700)
    services.checkpoint()
    _part, ids = _part_and_ids(services)
    log_key = _log_key(services)
    public = services.signer.public_raw
    with services.db.engine.connect() as conn:
        bundles = [prove_event(conn, i, public_key=public) for i in (ids[0], ids[300], ids[-1])]
    for bundle in bundles:
        assert check(bundle, log_key) == 0
        assert proofcheck.check(bundle, log_key, []).startswith("ok: event search")
    # A third party: a separate Python process running the copied file, nothing else.
    script = tmp_path / "proofcheck.py"
    script.write_text(Path(proofcheck.__file__).read_text())
    (tmp_path / "proofs.json").write_text(json.dumps(bundles))
    ok = subprocess.run(
        [sys.executable, "-I", str(script), str(tmp_path / "proofs.json"), "--log-key", log_key],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("ok: event") == 3
    # The body edited (a hidden "d" detail), the path or the key swapped: each fails.
    forged = json.loads(json.dumps(bundles[1]))
    forged["entry"]["body"] = forged["entry"]["body"].replace('"n":300', '"n":301')
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    bad = subprocess.run(
        [sys.executable, "-I", str(script), str(tmp_path / "forged.json"), "--log-key", log_key],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "inclusion proof fails" in bad.stderr
    with pytest.raises(ValueError, match="inclusion proof fails"):
        check(forged, log_key)
    other = note_verifier(bytes(range(32)), services.settings.log_origin)
    with pytest.raises((ValueError, proofcheck.Bad)):
        proofcheck.check(bundles[0], other.to_vkey(), [])


def test_successive_tree_heads_are_consistent(services: Container) -> None:
    _events(services, 300)
    services.checkpoint()
    _events(services, 500)
    services.checkpoint()
    part, _ids = _part_and_ids(services)
    with services.db.engine.connect() as conn:
        sizes = sorted(
            conn.execute(
                select(func.distinct(audit_event.c.seq)).where(audit_event.c.part == part)
            ).scalars()
        )
        heads = [tree_head(conn, part, s) for s in sizes]
        old, new = [h for h in heads if h is not None][-2:]
        proof = StoredTree(conn, part).consistency(old.size, new.size)
    assert merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    assert not merkle.verify_consistency(old.size, new.size, new.root, old.root, proof)


def test_an_event_after_the_newest_checkpoint_has_no_proof_yet(services: Container) -> None:
    services.checkpoint()
    _events(services, 3)
    _part, ids = _part_and_ids(services)
    with services.db.engine.connect() as conn, pytest.raises(NoProof):
        prove_event(conn, ids[-1], public_key=services.signer.public_raw)


def test_a_person_gets_every_event_about_them_with_a_proof(services: Container) -> None:
    from datetime import date

    from qorgau.catalog import make_iin
    from qorgau.security.actors import Actor

    dpo = Actor("dpo", "test:dpo")
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(
            conn,
            dpo,
            services.gate.prepare(
                "potential_borrower", "contract",
                {"first_name": "Гүлнар", "iin": make_iin(date(1990, 5, 5), "female", 7)},
                "staff:test",
            ),
        )  # fmt: skip
    services.checkpoint()
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, dpo, sid, "claim")
    with services.db.engine.connect() as conn:
        got = prove_subject(conn, sid, public_key=services.signer.public_raw)
    assert [b["entry"]["action"] for b in got][-1] == "block"
    assert got[-1]["proof"] is None  # after the newest checkpoint: pending
    assert all(b["proof"] is not None for b in got[:-1])
    for bundle in got[:-1]:
        check(bundle, _log_key(services))
        assert "Гүлнар" not in json.dumps(bundle, ensure_ascii=False)
