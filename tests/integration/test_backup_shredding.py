"""Crypto-shredding holds in backups (DESIGN 4; issue: retention, item 6).

A copy of the database taken before a subject is destroyed, restored next to the current key
provider, still holds the subject's wrapped data key and ciphertexts; the key provider
remembers the revocation, so nothing of the subject can be decrypted.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from qorgau.catalog import make_iin
from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.crypto.keyring import KeyRevoked
from qorgau.security.actors import Actor
from qorgau.vault.model import SubjectDestroyed
from qorgau.vault.store import subject

DPO = Actor("dpo", "test:dpo")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_restored_copy_cannot_decrypt_a_destroyed_subject(
    settings: Settings, tmp_path: Path
) -> None:
    services = build_container(settings)
    rec = {
        "first_name": "Бекзат",
        "iin": make_iin(date(1993, 7, 1), "male", 31),
        "phone": "+77015553131",
    }
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(
            conn, DPO, services.gate.prepare("potential_borrower", "contract", rec, "staff:test")
        )
        keep = services.gate.collect(
            conn,
            DPO,
            services.gate.prepare(
                "potential_borrower",
                "contract",
                {"first_name": "Жанна", "phone": "+77015553232"},
                "staff:test",
            ),
        )
    db_file = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    services.close()
    backup = tmp_path / "backup.db"
    shutil.copy(db_file, backup)  # the nightly copy (the database was idle: a consistent file)

    services = build_container(settings)
    with services.db.unit_of_work() as conn:
        services.gate.destroy(conn, DPO, sid, "retention")
    services.close()

    shutil.copy(backup, db_file)  # restore the copy next to the current key provider
    for suffix in ("-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    restored = build_container(settings)
    try:
        with restored.db.engine.connect() as conn:
            row = conn.execute(
                select(subject.c.status, subject.c.kek_id, subject.c.wrapped_key).where(
                    subject.c.id == sid
                )
            ).one()
        assert row.status == "active"
        assert row.wrapped_key is not None  # the copy still holds the wrapped key...
        with pytest.raises(SubjectDestroyed), restored.db.unit_of_work() as conn:
            restored.gate.read(conn, DPO, sid, "contract")  # ...which opens nothing
        with pytest.raises(KeyRevoked):
            restored.keys.unwrap(str(row.kek_id), bytes(row.wrapped_key), sid)
        # Everyone else restores normally.
        with restored.db.unit_of_work() as conn:
            assert (
                restored.gate.read(conn, DPO, keep, "contract", ["first_name"]).values["first_name"]
                == "Жанна"
            )
        # ...and `audit verify` names the destroyed subject whose key the copy brought back.
        # (The restore itself is named too: the heads file outside the database saw the
        # destruction's events, which the copy does not hold.)
        report = restored.verify_audit()
        assert not report.ok
        revoked = [p for p in report.problems if p.reason.startswith("the revocation file")]
        assert [p.subject_id for p in revoked] == [sid]
        assert any("heads file outside the database" in p.reason for p in report.problems)
    finally:
        restored.close()


@pytest.mark.parametrize("database_url", ["sqlite", "pg"], indirect=True)
def test_verify_passes_after_a_destruction_and_names_a_key_put_back(settings: Settings) -> None:
    """The revocation check finds nothing wrong in a database that destroyed its subject, and
    names the subject when its wrapped key is written back into the tombstone."""
    services = build_container(settings)
    try:
        with services.db.unit_of_work() as conn:
            sid = services.gate.collect(
                conn,
                DPO,
                services.gate.prepare(
                    "potential_borrower", "contract", {"first_name": "Әсел"}, "staff:test"
                ),
            )
            kept = conn.execute(
                select(subject.c.kek_id, subject.c.wrapped_key).where(subject.c.id == sid)
            ).one()
        with services.db.unit_of_work() as conn:
            services.gate.destroy(conn, DPO, sid, "retention")
        assert services.verify_audit().ok
        with services.db.engine.begin() as conn:  # an insider puts the key back
            conn.execute(
                update(subject)
                .where(subject.c.id == sid)
                .values(kek_id=kept.kek_id, wrapped_key=kept.wrapped_key)
            )
        report = services.verify_audit()
        assert not report.ok
        assert any(p.subject_id == sid and "revocation file" in p.reason for p in report.problems)
    finally:
        services.close()
