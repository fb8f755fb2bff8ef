"""The transparency page (issue 13, must-have 3): the newest signed tree head of every
partition that has one, verbatim with its cosignatures, the log's key, in kk/ru/en and as
JSON, never cached; on SQLite and PostgreSQL. The notes are checked as a third party would:
with the published log key alone, and each cosignature with its witness's key."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qorgau.audit import note, proofcheck, store
from qorgau.audit.checkpoint import note_verifier
from qorgau.audit.model import Event, partition_of
from qorgau.audit.proofs import check
from qorgau.cli import app as cli_app
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.i18n import LANGUAGES, t
from qorgau.security.actors import Actor
from qorgau.server import create_app
from witnesskit import free_port, start

WITNESS = "witness.example/w1"


def _events(services: Container, actors: list[str]) -> set[int]:
    """One event per actor (no subject: each goes to its actor's partition)."""
    with services.db.unit_of_work() as conn:
        services.audit.append_many(conn, [Event("search", a, detail={"n": 1}) for a in actors])
    return {partition_of(None, a, services.audit.partitions) for a in actors}


def test_before_any_checkpoint_nothing_is_published(services: Container) -> None:
    api = TestClient(create_app(services))
    doc = api.get("/transparency.json").json()
    assert doc["partitions"] == []
    assert (
        doc["log_key"]
        == note_verifier(services.audit_public_key(), services.settings.log_origin).to_vkey()
    )
    page = api.get("/en/transparency")
    assert page.status_code == 200
    assert 'id="transparency-none"' in page.text
    assert "<pre" not in page.text


def test_the_newest_tree_heads_verify_with_the_published_key(services: Container) -> None:
    moved = _events(services, ["test:a", "test:b"])
    services.checkpoint()
    more = _events(services, ["test:a"])
    services.checkpoint()
    api = TestClient(create_app(services))
    got = api.get("/transparency.json")
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
    doc = got.json()
    log = note.Verifier.from_vkey(doc["log_key"])
    assert (
        doc["log_key"]
        == note_verifier(services.audit_public_key(), services.settings.log_origin).to_vkey()
    )
    assert doc["origin"] == services.settings.log_origin
    with services.db.engine.connect() as conn:
        newest = store.latest_tree_heads(conn)
    # Only partitions with a tree head, each with its newest one.
    parts = [p["part"] for p in doc["partitions"]]
    assert parts == sorted(newest)
    assert moved | more <= set(parts)
    assert len(parts) < services.audit.partitions
    for p in doc["partitions"]:
        cp, opened = note.open_checkpoint(p["checkpoint"].encode(), [log])
        assert opened.signers == (log.name,)
        assert cp.origin == p["origin"] == f"{services.settings.log_origin}/{p['part']}"
        assert cp.size == p["size"] == newest[p["part"]].size
        assert p["signed_at"] is not None
        assert p["witnesses"] == []
    # The single-file checker's parsing agrees: the note is what proofs are checked against.
    text, sigs = proofcheck.split_note(doc["partitions"][0]["checkpoint"])
    assert text.startswith(doc["partitions"][0]["origin"] + "\n")
    assert len(sigs) == 1


def test_cosignatures_are_published_verbatim(services: Container) -> None:
    """A witness's cosignature line (a real cosignature/v1 signature) is appended to the
    note as stored; the witness is named, and its line verifies with its key."""
    part = next(iter(_events(services, ["test:c"])))
    services.checkpoint()
    witness = note.Signer.generate(WITNESS, note.ALG_COSIGNATURE_V1)
    with services.db.unit_of_work() as conn:
        head = store.latest_tree_heads(conn)[part]
        cp = note.Checkpoint.parse(head.note[: head.note.rfind(b"\n\n") + 1].decode())
        line = note.cosign(cp, witness, 1_790_000_000)
        store.insert_cosignature(conn, part, head.size, WITNESS, line)
    api = TestClient(create_app(services))
    doc = api.get("/transparency.json").json()
    entry = next(p for p in doc["partitions"] if p["part"] == part)
    assert entry["checkpoint"] == head.note.decode() + line
    assert entry["witnesses"] == [{"name": WITNESS, "at": "2026-09-21T14:13:20+00:00"}]
    log = note.Verifier.from_vkey(doc["log_key"])
    parsed, _opened = note.open_checkpoint(entry["checkpoint"].encode(), [log, witness.verifier()])
    assert note.verify_cosignature(parsed, line, witness.verifier()) == 1_790_000_000
    page = api.get("/ru/transparency")
    assert line.strip().split(" ")[-1] in page.text
    assert WITNESS in page.text
    assert t("ru", "transparency.cosigned") in page.text


def test_the_page_in_every_language_and_the_checker(services: Container) -> None:
    parts = _events(services, ["test:d"])
    services.checkpoint()
    api = TestClient(create_app(services))
    key = api.get("/transparency.json").json()["log_key"]
    for lang in LANGUAGES:
        page = api.get(f"/{lang}/transparency")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert f'<html lang="{lang}">' in page.text
        assert t(lang, "transparency.title") in page.text
        assert t(lang, "transparency.no_witness") in page.text
        assert key in page.text
        for part in parts:
            assert f'id="head-{part}"' in page.text
        assert page.text.count('class="tree-head"') == len(parts)
        assert f'href="/{lang}/transparency"' in page.text  # the footer's link
    moved = api.get("/transparency", headers={"accept-language": "kk"}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/kk/transparency"
    checker = api.get("/transparency/proofcheck.py")
    assert checker.status_code == 200
    assert checker.text == Path(proofcheck.__file__).read_text(encoding="utf-8")
    assert "attachment" in checker.headers["content-disposition"]


def _cli(*args: str) -> str:
    got = CliRunner().invoke(cli_app, list(args))
    assert got.exit_code == 0, got.output
    return got.stdout


@pytest.fixture
def witnessed(settings: Settings, tmp_path: Path) -> Iterator[Container]:
    """The server's container with a real witness process (`qorgau witness run`)."""
    home = tmp_path / "witness"
    _cli("witness", "init", "--home", str(home), "--name", WITNESS)
    plain = build_container(settings)
    key = note_verifier(plain.audit_public_key(), settings.log_origin).to_vkey()
    plain.close()
    _cli("witness", "add-log", "--home", str(home), "--origin", settings.log_origin,
         "--partitions", str(settings.audit_partitions), "--vkey", key)  # fmt: skip
    port = free_port()
    proc = start(home, port, tmp_path / "witness.log")
    vkey = _cli("witness", "vkey", "--home", str(home)).strip()
    svc = build_container(
        settings.model_copy(update={"witness_url": f"http://127.0.0.1:{port}",
                                    "witness_vkey": vkey})
    )  # fmt: skip
    try:
        yield svc
    finally:
        svc.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_a_real_witness_cosignatures_are_published_and_prove(
    witnessed: Container, dpo: Actor
) -> None:
    """Every published tree head carries the witness's cosignature, which verifies with the
    witness key the page publishes; a person's proof bundle carries it too, and checks with
    both keys, by qorgau's check and by the single-file checker."""
    item = witnessed.gate.prepare(
        "potential_borrower", "contract", {"first_name": "Ая"}, "staff:test"
    )
    with witnessed.db.unit_of_work() as conn:
        sid = witnessed.gate.collect(conn, dpo, item)
    witnessed.checkpoint()
    assert witnessed.witness_status().queued == 0
    doc = TestClient(create_app(witnessed)).get("/transparency.json").json()
    assert doc["witness_keys"] == [witnessed.settings.witness_vkey]
    witness = note.Verifier.from_vkey(doc["witness_keys"][0])
    log = note.Verifier.from_vkey(doc["log_key"])
    assert doc["partitions"]
    for p in doc["partitions"]:
        cp, opened = note.open_checkpoint(p["checkpoint"].encode(), [log, witness])
        assert set(opened.signers) == {log.name, WITNESS}
        lines = [f"{x}\n" for x in p["checkpoint"].split("\n\n", 1)[1].splitlines()]
        assert any(note.verify_cosignature(cp, x, witness) for x in lines if WITNESS in x)
        assert [w["name"] for w in p["witnesses"]] == [WITNESS]
    page = TestClient(create_app(witnessed)).get("/en/transparency")
    assert witnessed.settings.witness_vkey in page.text
    trail = witnessed.requests.audit_trail
    assert trail is not None
    with witnessed.db.engine.connect() as conn:
        bundles = trail(conn, sid, 100)
    bundle = dict(bundles[0])
    assert bundle["witness_keys"] == doc["witness_keys"]
    assert check(bundle, doc["log_key"], doc["witness_keys"]) == 1
    assert "cosigned by 1 witness" in proofcheck.check(bundle, doc["log_key"], doc["witness_keys"])
