"""Issue 13, an insider with write access to the database and no key: a value's metadata
(purpose, source, collected time) and "this is the latest version" are authenticated, so
the gate refuses a value whose metadata were edited or which was put back from
``vault_history``; what the gate cannot see by itself (the record and its history rolled
back together) ``audit verify`` names. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Connection, delete, select, update

from legacylog import old_audit_code
from qorgau.audit.model import Event
from qorgau.bootstrap import initialise, reseal_marker
from qorgau.catalog import make_iin
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.crypto import aead
from qorgau.migrate import alembic_config
from qorgau.security.actors import Actor
from qorgau.server import create_app
from qorgau.vault import state
from qorgau.vault.gate import new_subject_id
from qorgau.vault.model import IntegrityFailure, NoLiveBasis
from qorgau.vault.record import Entry, pack, pack_rows, seal_of, unpack
from qorgau.vault.store import blind_index, history, subject
from qorgau.vault.store import subjects as subjects_store
from qorgau.vault.store.state import IndexRow

OLD_PHONE = "+77015550111"
NEW_PHONE = "+77025550222"


def _person(n: int = 1) -> dict[str, str]:
    return {
        "last_name": "Печатова",
        "first_name": "Дана",
        "iin": make_iin(date(1988, 3, n), "female", 300 + n),
        "phone": OLD_PHONE if n == 1 else f"+7701555030{n}",
        "email": f"dana.{n}@example.org",
        "income": "410000",
    }


def _collect(services: Container, dpo: Actor, purpose: str = "contract", **rec: str) -> str:
    values = rec or _person()
    item = services.gate.prepare("potential_borrower", purpose, values, "subject:web")
    with services.db.unit_of_work() as conn:
        return services.gate.collect(conn, dpo, item)


def _clarify_phone(services: Container, dpo: Actor, sid: str) -> None:
    with services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, sid, "contract", {"phone": NEW_PHONE}, "staff:call")


def _read_phone(services: Container, dpo: Actor, sid: str) -> str:
    with services.db.unit_of_work() as conn:
        return services.gate.read(conn, dpo, sid, "contract", ["phone"]).values["phone"]


def _entries(conn: Connection, sid: str) -> dict[str, Entry]:
    return unpack(conn.execute(select(subject.c.sealed).where(subject.c.id == sid)).scalar_one())


def _set_entries(conn: Connection, sid: str, entries: dict[str, Entry]) -> None:
    """The packed values rewritten, the record's seal (if any) left as it was."""
    blob = conn.execute(select(subject.c.sealed).where(subject.c.id == sid)).scalar_one()
    packed = pack(entries.values())
    if blob[:1] == b"\x02":  # a sealed record (vault/record.py): keep its seal
        packed = bytes(blob[:29]) + packed
    conn.execute(update(subject).where(subject.c.id == sid).values(sealed=packed))


def _row(conn: Connection, sid: str) -> dict[str, Any]:
    """The subject row, every column (whatever the schema holds)."""
    return dict(conn.execute(select(subject).where(subject.c.id == sid)).one()._mapping)


def _restore(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(update(subject).where(subject.c.id == row["id"]).values(**row))


def _refused(services: Container, dpo: Actor, sid: str) -> IntegrityFailure:
    with pytest.raises(IntegrityFailure) as info, services.db.unit_of_work() as conn:
        services.gate.read(conn, dpo, sid, "contract", ["phone"])
    assert OLD_PHONE not in str(info.value)
    assert NEW_PHONE not in str(info.value)
    return info.value


def _verify_names(services: Container, sid: str) -> None:
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.subject_id == sid
    assert "vault rows differ" in str(report.first)


# -- metadata --------------------------------------------------------------------------------


def _edit(entry: Entry, column: str) -> Entry:
    if column == "purpose":
        return replace(entry, purpose="offers")
    if column == "source":
        return replace(entry, source="partner")
    # Collected a year later: retention would keep it a year longer.
    at = entry.collected_at
    return replace(entry, collected_at=at.replace(at[:4], str(int(at[:4]) + 1), 1))


@pytest.mark.parametrize("column", ["purpose", "source", "collected_at"])
def test_a_value_whose_metadata_were_edited_is_refused(
    services: Container, dpo: Actor, column: str
) -> None:
    sid = _collect(services, dpo)
    assert _read_phone(services, dpo, sid) == OLD_PHONE
    with services.db.unit_of_work() as conn:
        entries = _entries(conn, sid)
        entries["phone"] = _edit(entries["phone"], column)
        _set_entries(conn, sid, entries)
    assert "phone" in str(_refused(services, dpo, sid))
    _verify_names(services, sid)


def test_a_purpose_edited_to_gain_a_basis_is_refused(services: Container, dpo: Actor) -> None:
    """Collected under a consent purpose with no consent: nothing may be read under the
    contract purpose. Editing the stored purpose to ``contract`` (whose basis collection
    implies) must not open it."""
    rec = {k: v for k, v in _person().items() if k in ("last_name", "first_name", "phone")}
    sid = _collect(services, dpo, "offers", **rec)
    with pytest.raises(NoLiveBasis), services.db.unit_of_work() as conn:
        services.gate.read(conn, dpo, sid, "contract", ["phone"])
    with services.db.unit_of_work() as conn:
        entries = _entries(conn, sid)
        _set_entries(conn, sid, {f: replace(e, purpose="contract") for f, e in entries.items()})
    _refused(services, dpo, sid)


def test_a_tampered_record_is_not_resealed_by_a_later_write(
    services: Container, dpo: Actor
) -> None:
    """A clarification of another field must not re-seal (and so launder) an edited record,
    nor record its state as audited."""
    sid = _collect(services, dpo)
    with services.db.unit_of_work() as conn:
        entries = _entries(conn, sid)
        entries["phone"] = replace(entries["phone"], purpose="offers")
        _set_entries(conn, sid, entries)
    with pytest.raises(IntegrityFailure), services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, sid, "contract", {"income": "1"}, "staff:call")
    with pytest.raises(IntegrityFailure), services.db.unit_of_work() as conn:
        services.gate.destroy_values(conn, dpo, sid, ["income"], "no longer needed")
    _refused(services, dpo, sid)
    _verify_names(services, sid)


def test_the_api_answers_a_tampered_value_with_an_integrity_problem(
    services: Container, dpo: Actor
) -> None:
    sid = _collect(services, dpo)
    with services.db.unit_of_work() as conn:
        entries = _entries(conn, sid)
        entries["phone"] = replace(entries["phone"], source="partner")
        _set_entries(conn, sid, entries)
        _key, token = services.api_keys.create_key(conn, "dpo", "seals")
    client = TestClient(create_app(services), raise_server_exceptions=False)
    got = client.post(
        f"/api/v1/subjects/{sid}/read",
        json={"purpose": "contract", "fields": ["phone"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 500
    assert got.headers["content-type"].startswith("application/problem+json")
    assert got.json()["type"] == "/problems/integrity-failure"
    assert OLD_PHONE not in got.text
    assert "5550111" not in got.text


# -- the latest version ----------------------------------------------------------------------


@pytest.mark.parametrize("history_row", ["kept", "deleted"])
def test_an_older_version_put_back_from_history_is_refused(
    services: Container, dpo: Actor, history_row: str
) -> None:
    """The old ciphertext with its own version number and metadata copied from
    ``vault_history`` over the current value (the newer one gone); its history row left in
    place or deleted as well."""
    sid = _collect(services, dpo)
    _clarify_phone(services, dpo, sid)
    assert _read_phone(services, dpo, sid) == NEW_PHONE
    with services.db.unit_of_work() as conn:
        old = conn.execute(
            select(history).where(history.c.subject_id == sid, history.c.field == "phone")
        ).one()
        entries = _entries(conn, sid)
        entries["phone"] = Entry(
            "phone", old.version, old.purpose, old.source,
            old.collected_at.isoformat(), bytes(old.ciphertext),
        )  # fmt: skip
        _set_entries(conn, sid, entries)
        if history_row == "deleted":
            conn.execute(delete(history).where(history.c.subject_id == sid))
    _refused(services, dpo, sid)
    _verify_names(services, sid)


def test_a_whole_record_rolled_back_is_refused_while_history_remains(
    services: Container, dpo: Actor
) -> None:
    """The subject row copied back from before a clarification (an old backup, a copy the
    insider kept): its seal is genuine, but ``vault_history`` already holds its version."""
    sid = _collect(services, dpo)
    with services.db.engine.connect() as conn:
        before = _row(conn, sid)
    _clarify_phone(services, dpo, sid)
    with services.db.unit_of_work() as conn:
        _restore(conn, before)
    assert "phone" in str(_refused(services, dpo, sid))
    _verify_names(services, sid)


def test_history_rows_deleted_or_added_are_refused(services: Container, dpo: Actor) -> None:
    """The history a record implies (versions 1 to current - 1 of its fields, nothing else)
    is what the store must hold."""
    sid = _collect(services, dpo)
    _clarify_phone(services, dpo, sid)
    with services.db.unit_of_work() as conn:
        kept = conn.execute(select(history).where(history.c.subject_id == sid)).one()
        conn.execute(delete(history).where(history.c.subject_id == sid))
    _refused(services, dpo, sid)
    with services.db.unit_of_work() as conn:
        conn.execute(history.insert().values(**kept._mapping))
    assert _read_phone(services, dpo, sid) == NEW_PHONE
    with services.db.unit_of_work() as conn:
        conn.execute(history.insert().values(**{**kept._mapping, "field": "email"}))
    _refused(services, dpo, sid)
    _verify_names(services, sid)


def test_history_metadata_edits_are_named_by_verify(services: Container, dpo: Actor) -> None:
    """The gate never opens a superseded value; its metadata columns are in the state
    digest, so ``audit verify`` names their edit."""
    sid = _collect(services, dpo)
    _clarify_phone(services, dpo, sid)
    for column, value in (
        ("purpose", "offers"),
        ("source", "partner"),
        ("collected_at", None),
        ("superseded_at", None),
    ):
        with services.db.unit_of_work() as conn:
            row = conn.execute(select(history).where(history.c.subject_id == sid)).one()
            original = getattr(row, column)
            edited = original - timedelta(days=30) if value is None else value
            conn.execute(
                update(history).where(history.c.subject_id == sid).values({column: edited})
            )
        _verify_names(services, sid)
        with services.db.unit_of_work() as conn:
            conn.execute(
                update(history).where(history.c.subject_id == sid).values({column: original})
            )
        assert services.verify_audit().ok


def test_record_and_history_rolled_back_together_are_named_by_verify(
    services: Container, dpo: Actor
) -> None:
    """What the gate cannot tell by itself: the row and its history put back together, as
    they were before a clarification, are a state the gate once wrote. The audit log's last
    state digest for the subject is the newer one, so ``audit verify`` names it (and an
    event forged to match fails the log's authentication, not this module's)."""
    sid = _collect(services, dpo)
    with services.db.engine.connect() as conn:
        before = _row(conn, sid)
    _clarify_phone(services, dpo, sid)
    with services.db.unit_of_work() as conn:
        _restore(conn, before)
        conn.execute(delete(history).where(history.c.subject_id == sid))
    assert _read_phone(services, dpo, sid) == OLD_PHONE  # the gate sees a consistent state
    _verify_names(services, sid)


# -- values written before revision 0013: re-sealed once by `qorgau init` ---------------------


def _legacy_collect(svc: Container, conn: Connection, values: dict[str, str]) -> str:
    """A subject as the code before revision 0013 stored it: each value under the older
    associated data (subject, field, version), a bare packed record, its blind indexes and
    its ``collect`` event with the state digest."""
    item = svc.gate.prepare("potential_borrower", "contract", values, "subject:web")
    sid = new_subject_id()
    dk = aead.new_data_key()
    kek_id, wrapped = svc.gate.keys.wrap(dk, sid)
    cipher = aead.cipher(dk)
    now = datetime.now(UTC)
    rows = [
        (f, 1, "contract", "web", now.isoformat(), aead.seal(cipher, sid, f, 1, v))
        for f, v in item.values.items()
    ]
    sealed = pack_rows(rows)
    conn.execute(
        subject.insert().values(
            id=sid, category="potential_borrower", status="active", created_at=now,
            kek_id=kek_id, wrapped_key=wrapped, sealed=sealed,
        )
    )  # fmt: skip
    irows = []
    for f, kind in (("phone", "phone"), ("iin", "iin"), ("email", "email")):
        d = svc.gate.indexer.digest(kind, item.values[f])
        irows.append(IndexRow(kind, d))
        conn.execute(blind_index.insert().values(kind=kind, digest=d, subject_id=sid))
    svc.audit.append(
        conn,
        Event(
            "collect", "test:dpo", subject_id=sid, purpose="contract",
            fields=tuple(item.values), detail={"category": "potential_borrower"},
            state=state.digest("active", "potential_borrower", True, sealed, (), irows),
        ),
    )  # fmt: skip
    return sid


def _legacy_clarify(svc: Container, conn: Connection, sid: str, phone: str) -> None:
    """A phone clarified as before revision 0013: the old version to history, the new one
    under the older associated data, the blind index moved, a ``clarify`` event."""
    row = conn.execute(select(subject).where(subject.c.id == sid)).one()
    cipher = aead.cipher(svc.gate.keys.unwrap(row.kek_id, bytes(row.wrapped_key), sid))
    entries = unpack(bytes(row.sealed))
    old = entries["phone"]
    now = datetime.now(UTC)
    subjects_store.keep_version(conn, sid, old, now)
    value = svc.gate.catalogue.normalise("phone", phone)
    ct = aead.seal(cipher, sid, "phone", old.version + 1, value)
    entries["phone"] = Entry("phone", old.version + 1, "contract", "call", now.isoformat(), ct)
    conn.execute(update(subject).where(subject.c.id == sid).values(sealed=pack(entries.values())))
    subjects_store.delete_index(conn, sid, "phone")
    subjects_store.insert_index(conn, sid, "phone", svc.gate.indexer.digest("phone", value))
    svc.audit.append(
        conn,
        Event(
            "clarify", "test:dpo", subject_id=sid, purpose="contract", fields=("phone",),
            state=state.subject_digest(conn, sid),
        ),
    )  # fmt: skip


def _sealed_blob(svc: Container, sid: str) -> bytes:
    with svc.db.engine.connect() as conn:
        return bytes(conn.execute(select(subject.c.sealed).where(subject.c.id == sid)).scalar_one())


def _put_blob(svc: Container, sid: str, blob: bytes) -> None:
    with svc.db.unit_of_work() as conn:
        conn.execute(update(subject).where(subject.c.id == sid).values(sealed=blob))


def _read(svc: Container, sid: str, field: str) -> str:
    with svc.db.unit_of_work() as conn:
        got = svc.gate.read(conn, DPO, sid, "contract", [field])
    return got.values[field]


DPO = Actor("dpo", "test:dpo")


def test_values_written_before_0013_are_resealed_by_init(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made at 0011 (the previous main), upgraded: the gate refuses its values
    until ``qorgau init`` re-seals them; then every value reads back, every record carries
    its seal, every superseded version opens under the associated data that binds its
    metadata, and ``audit verify`` stays green."""
    url = settings.resolved_database_url
    command.downgrade(alembic_config(url), "0011")
    old_audit_code(monkeypatch)  # the audit log as 0011's code wrote it
    svc = build_container(settings)
    try:
        with svc.db.unit_of_work() as conn:
            a = _legacy_collect(svc, conn, _person(1))
            b = _legacy_collect(svc, conn, _person(2))
            gone = _legacy_collect(svc, conn, _person(3))
        for phone in ("+77015550112", NEW_PHONE):
            with svc.db.unit_of_work() as conn:
                _legacy_clarify(svc, conn, a, phone)
        with svc.db.unit_of_work() as conn:  # a legacy record can still be destroyed
            svc.gate.destroy(conn, DPO, gone, "retention")
        assert svc.verify_audit().ok
    finally:
        svc.close()
    monkeypatch.undo()

    command.upgrade(alembic_config(url), "head")
    svc = build_container(settings)
    try:
        with pytest.raises(IntegrityFailure, match="no seal"), svc.db.unit_of_work() as conn:
            svc.gate.read(conn, DPO, a, "contract", ["phone"])
    finally:
        svc.close()

    assert not reseal_marker(settings).exists()
    done = initialise(settings)
    assert any("re-sealed the values of 2 subject(s) and 2 earlier" in line for line in done)
    assert reseal_marker(settings).exists()
    svc = build_container(settings)
    try:
        assert _read(svc, a, "phone") == NEW_PHONE
        assert _read(svc, b, "email") == "dana.2@example.org"
        with svc.db.unit_of_work() as conn:
            (hit,) = svc.gate.search(conn, DPO, "phone", NEW_PHONE, "contract")
            assert (hit.subject_id, hit.meta["phone"].version) == (a, 3)
        assert svc.verify_audit().ok
        with svc.db.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(subject))}
            kept = conn.execute(select(history).order_by(history.c.version)).all()
        assert rows[gone].sealed is None
        for sid in (a, b):
            assert seal_of(bytes(rows[sid].sealed))[0] is not None
        row = rows[a]
        cipher = aead.cipher(svc.gate.keys.unwrap(row.kek_id, bytes(row.wrapped_key), a))
        opened = [
            aead.open_value(
                cipher,
                aead.value_ad(
                    a, h.field, h.version, h.purpose, h.source, aead.instant_us(h.collected_at)
                ),
                bytes(h.ciphertext), a, h.field, h.version,
            )
            for h in kept
        ]  # fmt: skip
        assert opened == [OLD_PHONE, "+77015550112"]
        _clarify_phone(svc, DPO, b)  # and the re-sealed records take new writes
        assert _read(svc, b, "phone") == NEW_PHONE
        assert svc.verify_audit().ok
    finally:
        svc.close()
    assert not any("re-sealed" in line for line in initialise(settings))  # once


def test_init_reseals_only_records_that_are_the_audited_ones(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A legacy record edited before the upgrade is not sealed as it is (that would launder
    the edit into a record the gate accepts and an audited state): it is left, named, and
    tried again by each ``init`` until its rows are restored. Once all are done, a legacy
    record put back later is never sealed, from this home or another sharing the database."""
    url = settings.resolved_database_url
    command.downgrade(alembic_config(url), "0011")
    old_audit_code(monkeypatch)  # the audit log as 0011's code wrote it
    svc = build_container(settings)
    try:
        with svc.db.unit_of_work() as conn:
            edited = _legacy_collect(svc, conn, _person(1))
            clean = _legacy_collect(svc, conn, _person(2))
        original = _sealed_blob(svc, edited)
        legacy_clean = _sealed_blob(svc, clean)
        with svc.db.unit_of_work() as conn:  # the insider, before the upgrade
            entries = _entries(conn, edited)
            entries["phone"] = replace(entries["phone"], purpose="offers")
            _set_entries(conn, edited, entries)
    finally:
        svc.close()
    monkeypatch.undo()

    done = initialise(settings)  # migrates to head, then re-seals
    assert any("re-sealed the values of 1 subject(s)" in line for line in done)
    assert any(f"{edited} (rows differ from the audited state)" in line for line in done)
    assert not reseal_marker(settings).exists()
    svc = build_container(settings)
    try:
        _refused(svc, DPO, edited)
        assert _read(svc, clean, "phone") == "+77015550302"
        _verify_names(svc, edited)

        _put_blob(svc, edited, original)  # restored: the next init seals it
        done = initialise(settings)
        assert any("re-sealed the values of 1 subject(s)" in line for line in done)
        assert reseal_marker(settings).exists()
        assert _read(svc, edited, "phone") == OLD_PHONE
        assert svc.verify_audit().ok

        _put_blob(svc, clean, legacy_clean)  # a legacy record put back after the re-seal
        assert not any("re-sealed" in line for line in initialise(settings))
        reseal_marker(settings).unlink()  # another home: the audit log says it was done
        assert not any("re-sealed" in line for line in initialise(settings))
        assert reseal_marker(settings).exists()
        with pytest.raises(IntegrityFailure, match="no seal"), svc.db.unit_of_work() as conn:
            svc.gate.read(conn, DPO, clean, "contract", ["phone"])
        _verify_names(svc, clean)
    finally:
        svc.close()
