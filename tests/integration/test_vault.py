"""The vault and its gate on SQLite and PostgreSQL (DESIGN 1, 4, 5, 9; policy 3.2, 4.1, 7.3.7)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select, update

from qorgau.audit.store import audit_event
from qorgau.catalog import InvalidValue, SpecialCategoryFound, make_iin
from qorgau.catalog.catalogue import FieldNotAllowed
from qorgau.container import Container
from qorgau.security.access import OperationNotPermitted
from qorgau.security.actors import Actor
from qorgau.vault.model import (
    FieldDenied,
    FieldNotInPurpose,
    IntegrityFailure,
    InvalidTransition,
    PurposeNotPermitted,
    PurposeRequired,
    SubjectBlocked,
    SubjectDestroyed,
)
from qorgau.vault.record import pack, unpack
from qorgau.vault.store import blind_index, history, subject

IIN = make_iin(date(1990, 4, 17), "female", 1234)


def person(**over: str) -> dict[str, str]:
    rec = {
        "last_name": "Сапарова",
        "first_name": "Айгерим",
        "iin": IIN,
        "phone": "8 (701) 555-12-34",
        "email": "aigerim.saparova@example.com",
        "birth_date": "1990-04-17",
        "income": "350000",
    }
    rec.update(over)
    return rec


def create(services: Container, actor: Actor, **over: str) -> str:
    item = services.gate.prepare("potential_borrower", "contract", person(**over), "staff:test")
    with services.db.unit_of_work() as conn:
        return services.gate.collect(conn, actor, item)


def events(services: Container, action: str) -> int:
    with services.db.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(audit_event).where(audit_event.c.action == action)
        ).scalar_one()


def test_collect_encrypts_and_reads_back_normalised(services: Container, dpo: Actor) -> None:
    sid = create(services, dpo)
    with services.db.engine.connect() as conn:
        sealed = bytes(conn.execute(select(subject.c.sealed)).scalar_one())
    entries = unpack(sealed)
    assert len(entries) == 7
    assert {e.purpose for e in entries.values()} == {"contract"}
    for raw in ("5551234", "Айгерим", IIN, "saparova", "350000"):
        assert raw.encode() not in sealed
        assert all(raw.encode() not in e.ciphertext for e in entries.values())
    with services.db.unit_of_work() as conn:
        got = services.gate.read(conn, dpo, sid, "contract")
    assert got.values["phone"] == "+77015551234"
    assert got.values["iin"] == IIN
    assert got.meta["phone"].purpose == "contract"
    assert got.meta["phone"].source == "staff:test"
    assert got.masked == []
    assert events(services, "collect") == 1
    assert events(services, "retrieve") == 1


def test_operator_sees_iin_masked(services: Container, dpo: Actor, operator: Actor) -> None:
    sid = create(services, dpo)
    with services.db.unit_of_work() as conn:
        got = services.gate.read(conn, operator, sid, "contract", ["iin", "first_name"])
    assert got.values["first_name"] == "Айгерим"
    assert got.values["iin"] != IIN
    assert got.values["iin"].endswith(IIN[-4:])
    assert got.masked == ["iin"]


@pytest.mark.parametrize(
    ("role", "purpose", "fields", "error"),
    [
        ("dpo", None, None, PurposeRequired),
        ("dpo", "", ["iin"], PurposeRequired),
        ("analyst", "contract", None, PurposeNotPermitted),
        ("operator", "statistics", None, PurposeNotPermitted),
        ("dpo", "statistics", ["iin"], FieldNotInPurpose),
        ("dpo", "service_info", ["income"], FieldNotInPurpose),
    ],
)
def test_gate_refusals_are_distinct_and_audited(
    services: Container,
    dpo: Actor,
    role: str,
    purpose: str | None,
    fields: list[str] | None,
    error: type[Exception],
) -> None:
    sid = create(services, dpo)
    actor = Actor(role=role, id=f"test:{role}")
    with pytest.raises(error) as info, services.db.unit_of_work() as conn:
        services.gate.read(conn, actor, sid, purpose, fields)
    assert IIN not in str(info.value)
    assert events(services, "refuse") == 1  # committed although the read failed


def test_denied_field_refused(services: Container, dpo: Actor) -> None:
    sid = create(services, dpo)
    rules = services.access.roles["operator"]
    services.gate.access = replace(
        services.access,
        roles={**services.access.roles, "operator": replace(rules, denied=frozenset({"income"}))},
    )
    with pytest.raises(FieldDenied), services.db.unit_of_work() as conn:
        services.gate.read(conn, Actor("operator", "t:o"), sid, "contract", ["income"])


def test_search_by_blind_index_any_format(services: Container, dpo: Actor) -> None:
    sid = create(services, dpo)
    create(
        services,
        dpo,
        iin=make_iin(date(1985, 1, 2), "male", 77),
        phone="+77075550000",
        email="other@example.org",
        first_name="Ерлан",
        last_name="Ахметов",
    )
    with services.db.unit_of_work() as conn:
        hits = services.gate.search(conn, dpo, "phone", "+7 701 555 12 34", "contract", ["phone"])
        assert [h.subject_id for h in hits] == [sid]
        by_iin = services.gate.search(conn, dpo, "iin", IIN, "contract")
        assert [h.subject_id for h in by_iin] == [sid]
        none = services.gate.search(conn, dpo, "email", "nobody@example.com", "contract")
        assert none == []
    with services.db.engine.connect() as conn:
        digests = [bytes(r[0]) for r in conn.execute(select(blind_index.c.digest))]
    assert len(digests) == 6
    assert all(IIN.encode() not in d for d in digests)


def test_invalid_and_special_values_store_nothing(services: Container, dpo: Actor) -> None:
    with pytest.raises(InvalidValue) as bad:
        services.gate.prepare(
            "potential_borrower", "contract", person(iin="900417450001"), "staff:test"
        )
    assert bad.value.field == "iin"
    assert "900417450001" not in str(bad.value)
    with pytest.raises(SpecialCategoryFound) as special:
        services.gate.prepare(
            "potential_borrower",
            "contract",
            person(note="клиент сказал, что у него есть судимость"),
            "staff:test",
        )
    assert special.value.category == "criminal_record"
    with pytest.raises(FieldNotAllowed):
        services.gate.prepare("potential_borrower", "service_info", person(), "staff:test")
    with services.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(subject)).scalar_one() == 0


def test_clarify_keeps_encrypted_history(services: Container, dpo: Actor) -> None:
    sid = create(services, dpo)
    with services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, sid, "contract", {"phone": "+77025550101"}, "staff:call")
    with services.db.unit_of_work() as conn:
        got = services.gate.read(conn, dpo, sid, "contract", ["phone"])
        assert got.values["phone"] == "+77025550101"
        assert got.meta["phone"].version == 2
        assert services.gate.search(conn, dpo, "phone", "+77015551234", "contract") == []
        assert len(services.gate.search(conn, dpo, "phone", "87025550101", "contract")) == 1
    with services.db.engine.connect() as conn:
        old = conn.execute(select(history.c.version, history.c.ciphertext)).all()
    assert [r[0] for r in old] == [1]
    assert b"5551234" not in bytes(old[0][1])


def test_block_unblock_destroy(services: Container, dpo: Actor, operator: Actor) -> None:
    sid = create(services, dpo)
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, dpo, sid, "subject request")
    with pytest.raises(SubjectBlocked), services.db.unit_of_work() as conn:
        services.gate.read(conn, dpo, sid, "contract")
    # Clarification is the one processing a block allows (appendix: blocking).
    with services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, sid, "contract", {"income": "400000"}, "staff:call")
        services.gate.unblock(conn, dpo, sid, "breach not confirmed")
        assert (
            services.gate.read(conn, dpo, sid, "contract", ["income"]).values["income"] == "400000"
        )
    with pytest.raises(OperationNotPermitted), services.db.unit_of_work() as conn:
        services.gate.destroy(conn, operator, sid, "retention")
    with services.db.unit_of_work() as conn:
        fields = services.gate.destroy(conn, dpo, sid, "subject request")
    assert "iin" in fields
    with services.db.engine.connect() as conn:
        for table in (history, blind_index):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
        tomb = conn.execute(select(subject)).one()
    assert tomb.status == "destroyed"
    assert tomb.wrapped_key is None
    assert tomb.sealed is None
    with pytest.raises(SubjectDestroyed), services.db.unit_of_work() as conn:
        services.gate.read(conn, dpo, sid, "contract")
    with pytest.raises(InvalidTransition), services.db.unit_of_work() as conn:
        services.gate.destroy(conn, dpo, sid, "again")


def test_destroy_many_shreds_a_batch_and_the_audit_reconciles(
    services: Container, dpo: Actor, operator: Actor
) -> None:
    ids = [
        create(services, dpo, phone=f"+7701555{n:04d}", iin=make_iin(date(1991, 2, n), "male", n))
        for n in (1, 2, 3)
    ]
    keep = create(services, dpo, phone="+77015559999", iin=make_iin(date(1992, 3, 4), "female", 9))
    with services.db.unit_of_work() as conn, pytest.raises(OperationNotPermitted):
        services.gate.destroy_many(conn, operator, {ids[0]: "retention"})
    with services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, ids[0], "contract", {"income": "1"}, "staff:call")
        gone = services.gate.destroy_many(conn, dpo, {sid: "retention" for sid in ids})
        assert services.gate.destroy_many(conn, dpo, {ids[0]: "again"}) == {}
    assert set(gone) == set(ids)
    assert "iin" in gone[ids[0]]
    with services.db.engine.connect() as conn:
        left = {r[0] for r in conn.execute(select(blind_index.c.subject_id))}
        assert conn.execute(select(func.count()).select_from(history)).scalar_one() == 0
    assert left == {keep}
    for sid in ids:
        with pytest.raises(SubjectDestroyed), services.db.unit_of_work() as conn:
            services.gate.read(conn, dpo, sid, "contract")
    assert services.verify_audit().ok  # each event's tombstone digest matches the vault


def test_ciphertext_moved_to_other_subject_or_field_fails(services: Container, dpo: Actor) -> None:
    a = create(services, dpo)
    b = create(
        services,
        dpo,
        iin=make_iin(date(1970, 5, 5), "male", 5),
        phone="+77055550000",
        email="b@example.org",
    )
    with services.db.unit_of_work() as conn:
        ea = unpack(conn.execute(select(subject.c.sealed).where(subject.c.id == a)).scalar_one())
        eb = unpack(conn.execute(select(subject.c.sealed).where(subject.c.id == b)).scalar_one())
        # b's phone gets a's phone ciphertext; a's phone gets a's e-mail ciphertext.
        eb["phone"] = replace(eb["phone"], ciphertext=ea["phone"].ciphertext)
        ea["phone"] = replace(ea["phone"], ciphertext=ea["email"].ciphertext)
        conn.execute(update(subject).where(subject.c.id == a).values(sealed=pack(ea.values())))
        conn.execute(update(subject).where(subject.c.id == b).values(sealed=pack(eb.values())))
    for sid in (a, b):
        with pytest.raises(IntegrityFailure) as info, services.db.unit_of_work() as conn:
            services.gate.read(conn, dpo, sid, "contract", ["phone"])
        assert "phone" in str(info.value)
    report = services.verify_audit()
    assert not report.ok
    assert "vault rows differ" in str(report.first)
