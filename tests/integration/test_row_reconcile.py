"""Issue 13, must-have 4: ``audit verify`` fails, naming the table and the row, when a
security table (API keys, staff users, recipients and their webhook secrets, consents, bases,
outbox) was changed without its audited event, by someone who can write to the database but
holds no key. Every audited change verifies clean; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from argon2 import PasswordHasher
from sqlalchemy import (
    Connection,
    Executable,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from qorgau.audit.model import partition_of
from qorgau.audit.rows import ROW_ACTIONS, RowSpec
from qorgau.audit.store import audit_event
from qorgau.audit.verify import VerifyReport
from qorgau.bootstrap import initialise, rows_baseline_marker
from qorgau.config import Settings
from qorgau.consent.model import BasisKind
from qorgau.consent.store import basis_state, consent
from qorgau.container import Container, build_container
from qorgau.keyrotation import rotate
from qorgau.security.actors import Actor
from qorgau.security.apikeys import PREFIX
from qorgau.security.staff import StaffService
from qorgau.security.store import API_KEY_ROWS, api_key, staff_user
from qorgau.transfers.model import DeliveryMode
from qorgau.transfers.store import outbox, partner_secret, recipient
from transferkit import DPO, consent_to, partner, person

PASSWORD = "correct horse battery staple"
#: Its events land in a partition after DPO's: the log's order is not (partition, seq).
LATE = Actor("dpo", "test:dpo-late")


def _insider(services: Container, *statements: Executable) -> None:
    """Someone with write access to the database and no key runs ``statements``; on
    PostgreSQL, as the tables' owner, around the consent table's append-only trigger."""
    with services.db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(text("ALTER TABLE consent DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(statement)
        if pg:
            conn.execute(text("ALTER TABLE consent ENABLE TRIGGER USER"))


def _clean(services: Container) -> None:
    report = services.verify_audit()
    assert report.ok, report.first
    # Every event that carries row digests is one verify reads back.
    with services.db.engine.connect() as conn:
        for action, body in conn.execute(select(audit_event.c.action, audit_event.c.body)):
            rows = orjson.loads(bytes(body)).get("d", {}).get("rows")
            assert not isinstance(rows, dict) or action in ROW_ACTIONS, action


def _named(report: VerifyReport, table: str, key: str, what: str) -> None:
    """The first problem names the table, the row and what happened (ids, never values)."""
    assert not report.ok
    message = str(report.first)
    assert f"{table} row {key}: {what} without its audited event" in message, message


def _row(conn: Connection, table: Table, **where: object) -> dict[str, Any]:
    q = select(table).where(*(table.c[k] == v for k, v in where.items()))
    return dict(conn.execute(q).mappings().one())


def test_the_two_actors_of_the_registry_test_write_to_different_partitions() -> None:
    assert partition_of(None, LATE.id, 16) > partition_of(None, DPO.id, 16)


# -- API keys ------------------------------------------------------------------------------


def test_api_keys_created_and_revoked_verify(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        key, _token = services.api_keys.create_key(conn, "dpo", "reports")
        services.api_keys.create_key(conn, "analyst", "stats", actor="cli:keys:someone")
    with services.db.unit_of_work() as conn:
        assert services.api_keys.revoke_key(conn, key.id)
        assert not services.api_keys.revoke_key(conn, key.id)  # no change, no event
    _clean(services)


def test_an_api_key_row_inserted_with_a_digest_of_ones_choice_is_named(
    services: Container,
) -> None:
    with services.db.unit_of_work() as conn:
        services.api_keys.create_key(conn, "dpo", "genuine")
    key_id = secrets.token_hex(4)
    token = PREFIX + key_id + "_" + secrets.token_urlsafe(16)
    _insider(
        services,
        insert(api_key).values(
            id=key_id, digest=hashlib.sha256(token.encode()).digest(), role="dpo",
            name="insider", created_at=datetime.now(UTC), scheme="sha256",
            tag=secrets.token_bytes(32),
        ),
    )  # fmt: skip
    _named(services.verify_audit(), "api_key", key_id, "inserted")


def test_an_api_key_edited_or_deleted_is_named(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        widened, _ = services.api_keys.create_key(conn, "analyst", "stats")
        gone, _ = services.api_keys.create_key(conn, "operator", "desk")
    _insider(services, update(api_key).where(api_key.c.id == widened.id).values(role="dpo"))
    _named(services.verify_audit(), "api_key", widened.id, "changed")
    _insider(
        services,
        update(api_key).where(api_key.c.id == widened.id).values(role="analyst"),
        delete(api_key).where(api_key.c.id == gone.id),
    )
    _named(services.verify_audit(), "api_key", gone.id, "deleted")


# -- staff users ------------------------------------------------------------------------------


def test_staff_created_disabled_and_rehashed_verify(services: Container) -> None:
    # Made with weaker argon2 parameters: the next login re-hashes the password.
    weak = StaffService(
        audit=services.audit,
        secret=b"k" * 32,
        hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
    )
    with services.db.unit_of_work() as conn:
        user = weak.create_user(conn, "aigerim.dpo", PASSWORD, "dpo")
        services.staff.create_user(conn, "bolat.operator", PASSWORD, "operator")
        old_hash = _row(conn, staff_user, id=user.id)["password_hash"]
    assert services.staff.login(services.db, "aigerim.dpo", PASSWORD).user is not None
    with services.db.engine.connect() as conn:
        assert _row(conn, staff_user, id=user.id)["password_hash"] != old_hash
    with services.db.unit_of_work() as conn:
        services.staff.disable_user(conn, "bolat.operator")
    _clean(services)


def test_a_staff_users_role_changed_is_named(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        user = services.staff.create_user(conn, "aigerim.analyst", PASSWORD, "analyst")
    _insider(services, update(staff_user).where(staff_user.c.id == user.id).values(role="admin"))
    _named(services.verify_audit(), "staff_user", user.id, "changed")


def test_a_staff_user_inserted_is_named(services: Container) -> None:
    _insider(
        services,
        insert(staff_user).values(
            id="insider0000001", username="insider", password_hash="$argon2id$v=19$x",
            role="admin", created_at=datetime.now(UTC),
        ),
    )  # fmt: skip
    _named(services.verify_audit(), "staff_user", "insider0000001", "inserted")


# -- recipients and their webhook secrets --------------------------------------------------------


def test_recipients_changed_by_different_staff_verify(services: Container) -> None:
    """The register (a later partition) and the update (an earlier one) are reconciled in
    the order they were appended, not by partition."""
    with services.db.unit_of_work() as conn:
        entry = services.registry.register(conn, LATE, partner("mfo-a"))
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, replace(entry, endpoint="https://b.example/x"))
        services.registry.rotate_secret(conn, LATE, "mfo-a")
    with services.db.unit_of_work() as conn:
        services.registry.rotate_secret(conn, DPO, "mfo-a")  # retires the first
    _clean(services)


def test_a_recipients_endpoint_changed_is_named_even_after_a_later_audited_change(
    services: Container,
) -> None:
    with services.db.unit_of_work() as conn:
        entry = services.registry.register(conn, DPO, partner("mfo-a"))
    _insider(
        services,
        update(recipient)
        .where(recipient.c.code == "mfo-a")
        .values(endpoint="https://attacker.example/leads"),
    )
    _named(services.verify_audit(), "recipient", "mfo-a", "changed")
    # Staff change the entry later (the endpoint back, say): the unaudited change stays named.
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, replace(entry, legal_name="Renamed LLP"))
    report = services.verify_audit()
    _named(report, "recipient", "mfo-a", "changed")
    assert report.first is not None
    assert report.first.event_id is not None


def test_a_recipients_webhook_secret_replaced_is_named(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("mfo-a"))
        services.registry.register(conn, DPO, partner("mfo-b", n=2))
        services.registry.rotate_secret(conn, DPO, "mfo-a")
        services.registry.rotate_secret(conn, DPO, "mfo-b")
        a, b = (_row(conn, partner_secret, recipient=code) for code in ("mfo-a", "mfo-b"))
    _clean(services)
    # mfo-b's sealed secret copied over mfo-a's: the insider knows neither, but may hope the
    # associated data does not bind it (it does) or just break mfo-a's deliveries.
    _insider(
        services,
        update(partner_secret)
        .where(partner_secret.c.id == a["id"])
        .values(sealed=b["sealed"], kek_id=b["kek_id"]),
    )
    _named(services.verify_audit(), "partner_secret", str(a["id"]), "changed")


def test_a_retired_secret_brought_back_is_named(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("mfo-a"))
        services.registry.rotate_secret(conn, DPO, "mfo-a")
        old = _row(conn, partner_secret, recipient="mfo-a")
        services.registry.rotate_secret(conn, DPO, "mfo-a")
    _clean(services)
    _insider(
        services,
        update(partner_secret).where(partner_secret.c.id == old["id"]).values(retires_at=None),
    )
    _named(services.verify_audit(), "partner_secret", str(old["id"]), "changed")


def test_key_rotation_rewraps_webhook_secrets_audited(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("mfo-a"))
        services.registry.rotate_secret(conn, DPO, "mfo-a")
    done = rotate(services, "cli:keys:test", settle=0)
    assert done.secrets == 1
    _clean(services)


# -- consents and bases -----------------------------------------------------------------------


def test_consents_and_bases_verify(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("mfo-a"))
    sid = person(services, 1)
    consent_to(services, sid, ("mfo-a",))
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, DPO, sid, "transfer", "asked by phone")
    consent_to(services, sid, ("mfo-a",))  # granted again: the same basis row, new consent
    with services.db.unit_of_work() as conn:
        services.ledger.record_basis(
            conn, DPO, sid, "contract", BasisKind.CONTRACT, "Loan agreement 1/2026",
            until=datetime.now(UTC) + timedelta(days=30), obligation=True,
        )  # fmt: skip
        services.ledger.end_basis(conn, DPO, sid, "contract", BasisKind.CONTRACT, "repaid")
    with services.db.unit_of_work() as conn:
        assert services.ledger.expire_due(conn, DPO, datetime.now(UTC) + timedelta(days=4000))
    _clean(services)


def test_a_withdrawn_consent_flipped_back_to_granted_is_named(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("mfo-a"))
    sid = person(services, 2)
    consent_to(services, sid, ("mfo-a",))
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, DPO, sid, "transfer", "asked by phone")
    _clean(services)
    _insider(
        services,
        update(basis_state)
        .where(basis_state.c.subject_id == sid, basis_state.c.purpose == "transfer")
        .values(state="live"),
    )
    _named(services.verify_audit(), "basis_state", f"{sid}/transfer/consent", "changed")


def test_a_basis_changed_or_inserted_is_named(services: Container) -> None:
    sid = person(services, 3)
    with services.db.unit_of_work() as conn:
        services.ledger.record_basis(
            conn, DPO, sid, "contract", BasisKind.CONTRACT, "Loan agreement 2/2026",
            until=datetime.now(UTC) + timedelta(days=30),
        )  # fmt: skip
    _insider(
        services,
        update(basis_state)
        .where(basis_state.c.subject_id == sid, basis_state.c.kind == "contract")
        .values(until=datetime.now(UTC) + timedelta(days=3000)),
    )
    _named(services.verify_audit(), "basis_state", f"{sid}/contract/contract", "changed")
    other = person(services, 4)
    _insider(
        services,
        delete(basis_state).where(basis_state.c.subject_id == sid),
        insert(basis_state).values(
            subject_id=other, purpose="offers", kind="consent", state="live",
            since=datetime.now(UTC), obligation=False,
        ),
    )  # fmt: skip
    report = services.verify_audit()
    _named(report, "basis_state", f"{other}/offers/consent", "inserted")
    assert any(
        f"basis_state row {sid}/contract/contract: deleted" in str(p) for p in report.problems
    )


def test_a_consents_recipients_widened_or_a_consent_inserted_is_named(
    services: Container,
) -> None:
    """On PostgreSQL the consent table is append-only; its owner can lift the trigger."""
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("mfo-a"))
    sid = person(services, 5)
    cid = consent_to(services, sid, ("mfo-a",))
    with services.db.engine.connect() as conn:
        row = _row(conn, consent, id=cid)
    _insider(
        services,
        update(consent).where(consent.c.id == cid).values(recipients='["mfo-a", "mfo-z"]'),
    )
    _named(services.verify_audit(), "consent", cid, "changed")
    _insider(
        services,
        update(consent).where(consent.c.id == cid).values(recipients=row["recipients"]),
    )
    _clean(services)  # put back as it was
    _insider(services, insert(consent).values({**row, "id": "f" * 32, "purpose": "offers"}))
    _named(services.verify_audit(), "consent", "f" * 32, "inserted")


# -- the outbox ---------------------------------------------------------------------------


def _pull_lead(services: Container, n: int) -> tuple[str, str]:
    with services.db.unit_of_work() as conn:
        if services.registry.known(conn, ["mfo-p"]) == set():
            services.registry.register(
                conn, DPO, partner("mfo-p", delivery=DeliveryMode.PULL, endpoint=None)
            )
    sid = person(services, n)
    consent_to(services, sid, ("mfo-p",))
    with services.db.unit_of_work() as conn:
        (tid,) = services.transfers.route_lead(conn, sid, f"L-ROW-{n}").transfers
    return sid, tid


def test_outbox_rows_queued_fetched_acknowledged_withheld_retried_verify(
    services: Container,
) -> None:
    _sid, first = _pull_lead(services, 6)
    withdrawn, second = _pull_lead(services, 7)
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, DPO, withdrawn, "transfer", "asked by phone")
    with services.db.unit_of_work() as conn:
        got = services.inbox.fetch(conn, "mfo-p")
    assert [d["transfer_id"] for d in got] == [first]  # the second is withheld
    with services.db.unit_of_work() as conn:
        services.inbox.acknowledge(conn, "mfo-p", first)
        services.queue.retry(conn, DPO, second)
    with services.db.engine.connect() as conn:
        statuses = dict(conn.execute(select(outbox.c.transfer_id, outbox.c.status)).all())
    assert statuses == {first: "delivered", second: "pending"}
    _clean(services)


def test_an_outbox_row_inserted_is_named(services: Container) -> None:
    _sid, tid = _pull_lead(services, 8)
    _clean(services)
    with services.db.engine.connect() as conn:
        row = _row(conn, outbox, transfer_id=tid)
    forged = secrets.token_hex(16)
    row.pop("id")
    _insider(
        services,
        insert(outbox).values({**row, "transfer_id": forged, "idempotency_key": forged}),
    )
    _named(services.verify_audit(), "outbox", forged, "inserted")


def test_a_delivered_outbox_row_put_back_in_the_queue_is_named(services: Container) -> None:
    _sid, tid = _pull_lead(services, 9)
    with services.db.unit_of_work() as conn:
        services.inbox.acknowledge(conn, "mfo-p", tid)
    _insider(
        services,
        update(outbox).where(outbox.c.transfer_id == tid).values(status="pending"),
    )
    _named(services.verify_audit(), "outbox", tid, "changed")


def test_the_dispatchers_bookkeeping_is_not_a_security_change(services: Container) -> None:
    """Attempts, the lease or back-off time and the last error code decide nothing about
    what is sent to whom: changed behind the dispatcher's back, they verify."""
    _sid, tid = _pull_lead(services, 10)
    _insider(
        services,
        update(outbox)
        .where(outbox.c.transfer_id == tid)
        .values(attempts=3, next_at=datetime.now(UTC) + timedelta(hours=1), last_error="x"),
    )
    _clean(services)


# -- existing installations ---------------------------------------------------------------------


def test_rows_from_before_the_change_are_baselined_once_by_init(settings: Settings) -> None:
    """Rows written before their changes were audited (simulated: written with no event)
    are recorded once by ``qorgau init`` (``rows.baseline``, with a marker beside the
    keyring); rows an insider writes later are named, though ``init`` runs again, here or in
    another home sharing the database."""
    svc = build_container(settings)
    try:
        with svc.db.unit_of_work() as conn:
            svc.api_keys.create_key(conn, "dpo", "audited")
            conn.execute(
                insert(api_key).values(
                    id="0ld0ld00", digest=secrets.token_bytes(32), role="dpo", name="old",
                    created_at=datetime.now(UTC), scheme="sha256",
                )
            )  # fmt: skip
        _named(svc.verify_audit(), "api_key", "0ld0ld00", "inserted")

        assert not rows_baseline_marker(settings).exists()
        done = initialise(settings)
        assert any("recorded 2 security row(s)" in line for line in done), done
        assert rows_baseline_marker(settings).exists()
        _clean(svc)  # the legacy tagging after the baseline is an audited change

        late = "1a7e1a7e"
        with svc.db.engine.begin() as conn:
            conn.execute(
                insert(api_key).values(
                    id=late, digest=secrets.token_bytes(32), role="dpo", name="late",
                    created_at=datetime.now(UTC), scheme="sha256",
                )
            )  # fmt: skip
        initialise(settings)
        rows_baseline_marker(settings).unlink()  # another home, sharing the database
        initialise(settings)
        assert rows_baseline_marker(settings).exists()
        with svc.db.engine.connect() as conn:
            baselines = conn.execute(
                select(func.count())
                .select_from(audit_event)
                .where(audit_event.c.action == "rows.baseline")
            ).scalar()
        assert baselines == 1
        _named(svc.verify_audit(), "api_key", late, "inserted")
    finally:
        svc.close()


def test_a_large_baseline_is_split_into_events(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qorgau.bootstrap

    monkeypatch.setattr(qorgau.bootstrap, "BASELINE_CHUNK", 1)
    svc = build_container(settings)
    try:
        with svc.db.unit_of_work() as conn:
            for n in range(3):
                conn.execute(
                    insert(staff_user).values(
                        id=f"old{n:013d}", username=f"old.user{n}", password_hash="$argon2id$",
                        role="dpo", created_at=datetime.now(UTC),
                    )
                )  # fmt: skip
        initialise(settings)
        with svc.db.engine.connect() as conn:
            baselines = conn.execute(
                select(func.count())
                .select_from(audit_event)
                .where(audit_event.c.action == "rows.baseline")
            ).scalar()
        assert baselines == 3
        _clean(svc)
    finally:
        svc.close()


# -- verify while others write ---------------------------------------------------------------


class _Racing(RowSpec):
    """The API keys' reconciler, which lets an audited change commit just before it reads
    the rows: what a running server does while ``audit verify`` walks the log."""

    def __init__(self, services: Container) -> None:
        super().__init__(api_key, API_KEY_ROWS.key_columns, API_KEY_ROWS.columns)
        self.services = services

    def __call__(self, conn: Connection) -> Iterator[tuple[str, str]]:
        with self.services.db.unit_of_work() as other:
            self.services.api_keys.create_key(other, "dpo", "while verifying")
        yield from super().__call__(conn)


def test_verify_compares_the_log_and_the_rows_of_one_moment(
    services: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL verify reads one snapshot; a change committed meanwhile, with its event,
    is no false alarm. (On SQLite verify's transaction holds the writer lock.)"""
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite: writers wait for verify")
    import qorgau.container

    racing = _Racing(services)
    rest = [s for s in qorgau.container.SECURITY_ROWS if s.name != "api_key"]
    monkeypatch.setattr(qorgau.container, "SECURITY_ROWS", (racing, *rest))
    _clean(services)
    with services.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(api_key)).scalar() == 1
    _clean(services)  # and the next run sees both
