"""Issue 13, an insider with write access to the database and no key: a value's metadata
(purpose, source, collected time) and "this is the latest version" are authenticated, so
the gate refuses a value whose metadata were edited or which was put back from
``vault_history``; what the gate cannot see by itself (the record and its history rolled
back together) ``audit verify`` names. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, delete, select, update

from qorgau.catalog import make_iin
from qorgau.container import Container
from qorgau.security.actors import Actor
from qorgau.server import create_app
from qorgau.vault.model import IntegrityFailure, NoLiveBasis
from qorgau.vault.record import Entry, pack, unpack
from qorgau.vault.store import history, subject

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
    item = services.gate.prepare("potential_borrower", purpose, values, "web")
    with services.db.unit_of_work() as conn:
        return services.gate.collect(conn, dpo, item)


def _clarify_phone(services: Container, dpo: Actor, sid: str) -> None:
    with services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, sid, "contract", {"phone": NEW_PHONE}, "call")


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
        services.gate.clarify(conn, dpo, sid, "contract", {"income": "1"}, "call")
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
