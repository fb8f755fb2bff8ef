"""The models and the migrations agree, on SQLite and PostgreSQL (DESIGN: Stack; invariant 3).

``alembic upgrade head`` must build exactly the schema that ``qorgau.schema.metadata``
describes (else autogenerate would emit a diff); every migration must run down and up again
on a fresh database; and on PostgreSQL the SQL chain step ``qorgau_chain`` must compute the
same hash as ``qorgau.db.chain_hash``, because appends chain in SQL while ``verify`` and bulk
appends chain in Python (invariant 3). A database made before a revision keeps ``audit
verify`` green once upgraded, and its data steps carry over what they should.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime
from inspect import signature as inspect_signature
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, LargeBinary, bindparam, insert, inspect, select, text

from legacylog import old_audit_code
from qorgau.catalog import make_iin
from qorgau.config import Settings
from qorgau.consent.model import Channel, ConsentRequest, Evidence
from qorgau.container import build_container
from qorgau.db import GENESIS, chain_hash, make_null_pool_engine
from qorgau.dsr.model import Channel as RequestChannel
from qorgau.dsr.model import Kind
from qorgau.intake.model import CodeReason, CodeRejected
from qorgau.intake.service import SITE_ACTOR
from qorgau.migrate import alembic_config
from qorgau.schema import metadata
from qorgau.security.actors import RIGHTS, Actor
from qorgau.vault.store import confirmed_contact, otp_challenge

# Audit triggers and the chain function the first migration creates on PostgreSQL (DESIGN 3).
PG_TRIGGERS = {
    "audit_event_append_only",
    "audit_event_no_truncate",
    "audit_checkpoint_append_only",
    "audit_checkpoint_no_truncate",
}
PG_FUNCTIONS = {"qorgau_chain", "qorgau_audit_append_only"}


def _diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names()) - {"alembic_version"}


def _pg_objects(engine: Engine) -> tuple[set[str], set[str]]:
    with engine.connect() as conn:
        triggers = {
            r[0] for r in conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        }
        functions = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n "
                    "ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
                )
            )
        }
    return triggers & PG_TRIGGERS, functions & PG_FUNCTIONS


def _revisions(url: str) -> list[str]:
    """Revision ids from base to head."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def test_one_head() -> None:
    """A branched history would make ``upgrade head`` ambiguous for ``qorgau init``."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_models_match_migrations(database_url: str) -> None:
    """After ``upgrade head`` (conftest's template) autogenerate finds nothing to do."""
    engine = make_null_pool_engine(database_url)
    try:
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_downgrade_base_then_upgrade_head(database_url: str, tmp_path: Path) -> None:
    """Every migration runs down and up again; the result still matches the models.

    SQLite uses a new, empty file; PostgreSQL the fixture's own (migrated) database.
    """
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        command.upgrade(alembic_config(url), "head")
    else:
        url = database_url
    cfg = alembic_config(url)
    engine = make_null_pool_engine(url)
    pg = engine.dialect.name == "postgresql"
    try:
        assert _diff(engine) == []
        expected_tables = _tables(engine)
        assert expected_tables == set(metadata.tables)

        command.downgrade(cfg, "base")
        assert _tables(engine) == set()
        if pg:
            assert _pg_objects(engine) == (set(), set())

        # Stairway: each revision up, down one, up again; catches a downgrade that leaves
        # something behind that its own upgrade then trips over.
        previous = "base"
        for rev in _revisions(url):
            command.upgrade(cfg, rev)
            command.downgrade(cfg, previous)
            command.upgrade(cfg, rev)
            previous = rev

        assert _tables(engine) == expected_tables
        assert _diff(engine) == []
        if pg:
            assert _pg_objects(engine) == (PG_TRIGGERS, PG_FUNCTIONS)
    finally:
        engine.dispose()


CHAIN_CASES: dict[str, dict[str, Any]] = {
    "genesis-empty": dict(
        prev=GENESIS, part=0, seq=1, action="init", subject_id=None, state=None, body=b""
    ),
    "no-subject": dict(
        prev=GENESIS, part=15, seq=1, action="audit.verify", subject_id=None, state=None,
        body=b'{"a":"audit.verify"}',
    ),
    "subject-state-utf8": dict(
        prev=bytes(range(32)), part=4095, seq=2**40, action="collect",
        subject_id="0190f3c2a1b24c7d8e9fa0b1c2d3e4f5", state=hashlib.sha256(b"s").digest(),
        body="Сапарова Айгерім, Алматы".encode(),
    ),
    "max-seq-binary-body": dict(
        prev=b"\xff" * 32, part=7, seq=2**63 - 1, action="destroy",
        subject_id="ffffffffffffffffffffffffffffffff", state=b"\x00" * 32,
        body=bytes(range(256)) * 4,
    ),
    "empty-state": dict(
        prev=hashlib.sha256(b"prev").digest(), part=3, seq=42, action="refuse",
        subject_id="", state=b"", body=b"\x00\n3:42\n\x00",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CHAIN_CASES.values()), ids=list(CHAIN_CASES))
def test_sql_chain_step_equals_python(database_url: str, case: dict[str, Any]) -> None:
    """DESIGN 3: the database's ``qorgau_chain`` (a SQL function on PostgreSQL, a registered
    Python function on SQLite) is the same step as ``qorgau.db.chain_hash``: single appends
    chain in SQL, bulk appends and ``verify`` in Python."""
    engine = make_null_pool_engine(database_url)
    try:
        with engine.connect() as conn:
            got = _sql_chain(conn, case)
    finally:
        engine.dispose()
    assert got == chain_hash(**case)


def _sql_chain(conn: Connection, case: dict[str, Any]) -> bytes:
    """``SELECT qorgau_chain(...)`` with the arguments in ``chain_hash``'s order."""
    params = inspect_signature(chain_hash).parameters
    names = [n for n, p in params.items() if p.kind is not p.KEYWORD_ONLY]
    assert set(names) == set(case), "chain_hash changed: update CHAIN_CASES"
    binary = [bindparam(n, type_=LargeBinary) for n in names if isinstance(case[n], bytes)]
    q = text(f"SELECT qorgau_chain({', '.join(':' + n for n in names)})").bindparams(*binary)
    return bytes(conn.execute(q, case).scalar_one())


def test_upgrade_to_0009_keeps_audit_verify_green(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made at 0008 (the previous main), upgraded: ``audit verify`` stays green;
    a phone or e-mail counts as confirmed only where a one-time-code consent of its channel
    was granted while it was the current value; a challenge opened before the upgrade is
    void; the rights page then sends codes to confirmed contacts only."""
    url = settings.resolved_database_url
    command.downgrade(alembic_config(url), "0008")
    old_audit_code(monkeypatch)  # what is written at 0008 is what 0008's code wrote
    dpo = Actor("dpo", "test:dpo")
    svc = build_container(settings)
    people = {}
    try:
        with svc.db.unit_of_work() as conn:
            keys = ("otp_phone", "api", "otp_email_then_changed", "taken_over")
            for n, key in enumerate(keys):
                rec = {
                    "last_name": "Миграциева", "first_name": "Сәуле",
                    "iin": make_iin(date(1985, 2, 3 + n), "female", 900 + n),
                    "phone": f"+7701555090{n}", "email": f"migr.{n}@example.org",
                }  # fmt: skip
                item = svc.gate.prepare("potential_borrower", "contract", rec, "web")
                people[key] = (svc.gate.collect(conn, dpo, item), rec)
            # The old form's takeover: a known IIN's phone replaced before any code was
            # checked; the attacker then confirmed the code sent to their own phone.
            sid = people["taken_over"][0]
            svc.gate.clarify(conn, dpo, sid, "contract", {"phone": "+77015550999"}, "web")
        time.sleep(0.01)  # the grants come strictly after the values' collection
        methods = {
            "otp_phone": "otp:phone", "api": "api", "otp_email_then_changed": "otp:email",
            "taken_over": "otp:phone",
        }  # fmt: skip
        with svc.db.unit_of_work() as conn:
            for key, method in methods.items():
                svc.ledger.grant(
                    conn,
                    dpo,
                    ConsentRequest(
                        people[key][0], "offers", "Согласие (P3).", Evidence(method),
                        channel=Channel.WEB,
                    ),
                )  # fmt: skip
        time.sleep(0.01)
        with svc.db.unit_of_work() as conn:
            sid = people["otp_email_then_changed"][0]
            svc.gate.clarify(conn, dpo, sid, "contract", {"email": "migr.new@example.org"}, "call")
            # A challenge the previous main opened: it already names its subject.
            now = datetime.now(UTC)
            conn.execute(
                insert(otp_challenge).values(
                    id="a" * 32, subject_id=people["api"][0], purposes="[]", transfer=False,
                    hash=b"\0" * 32, created_at=now, expires_at=now.replace(year=now.year + 1),
                    attempts=0, language="ru", channel="phone",
                )
            )  # fmt: skip
        svc.checkpoint()
    finally:
        svc.close()
    monkeypatch.undo()

    command.upgrade(alembic_config(url), "head")
    svc = build_container(settings)
    try:
        assert svc.verify_audit().ok
        with svc.db.engine.connect() as conn:
            rows = conn.execute(
                select(confirmed_contact.c.subject_id, confirmed_contact.c.kind,
                       confirmed_contact.c.how)
            ).all()  # fmt: skip
        assert [(r[0], r[1]) for r in rows] == [(people["otp_phone"][0], "phone")]
        assert rows[0][2].startswith("otp consent")
        with svc.db.unit_of_work() as conn:
            old = svc.intake.confirm_code(conn, SITE_ACTOR, "a" * 32, "123456")
        assert old == CodeRejected(CodeReason.EXPIRED, 0, "phone")
        with svc.db.unit_of_work() as conn:
            codes = {
                key: svc.requests.receive(
                    conn, RIGHTS, Kind.ACCESS, RequestChannel.WEB, "phone", rec["phone"], "ru"
                ).code
                for key, (_sid, rec) in people.items()
            }
        assert codes["otp_phone"] is not None
        assert codes["api"] is None  # imported or staff-entered: verified by staff
        assert codes["otp_email_then_changed"] is None
        with svc.db.unit_of_work() as conn:
            taken = svc.requests.receive(
                conn, RIGHTS, Kind.ACCESS, RequestChannel.WEB, "phone", "+77015550999", "ru"
            )
        assert taken.code is None  # the attacker's phone opens nothing after the upgrade
        assert svc.verify_audit().ok
    finally:
        svc.close()
