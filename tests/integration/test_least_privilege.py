"""Least privilege on PostgreSQL (issue 13, must-have 5; DESIGN 3).

The owner's role migrates; the application's role serves and owns nothing. With a single
role (the application owning its tables, as before) an insider with the application's
credentials disables the audit triggers and rewrites the log; with two, every such
statement is refused by PostgreSQL itself, and normal work goes on.

Roles are cluster-wide: the tests create ``qorgau_test_owner`` and ``qorgau_test_app``
idempotently (safe when runs overlap), never drop them, and use them only in databases of
their own, which they drop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

import leakguard
from qorgau.bootstrap import initialise
from qorgau.catalog import make_iin
from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.db import Database, make_null_pool_engine
from qorgau.db_roles import (
    APPEND,
    CRUD,
    RoleError,
    effective_table_privileges,
    grant_app_role,
    owned_by,
    privileges_for,
)
from qorgau.intake.model import TRANSFER, LeadConfirmed, LeadSubmission
from qorgau.intake.service import SITE_ACTOR
from qorgau.migrate import upgrade
from qorgau.security.actors import Actor

pytestmark = pytest.mark.pg

OWNER = "qorgau_test_owner"
APP = "qorgau_test_app"
#: Test roles only, on a test server; with trust authentication it is not even asked.
PASSWORD = "qorgau-test-only"
PARTITIONS = 8
QORGAU = Path(sys.executable).with_name("qorgau")


def _ensure_role(conn: Connection, name: str) -> None:
    # Two processes creating the same role at once: one gets duplicate_object, or the
    # unique index on pg_authid (unique_violation); both mean it exists.
    conn.execute(
        text(
            f"DO $$ BEGIN CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    )


def _as(admin_url: str, role: str, database: str) -> str:
    url = make_url(admin_url).set(
        drivername="postgresql", username=role, password=PASSWORD, database=database
    )
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def admin(pg_template: str) -> Iterator[Engine]:
    """The cluster's superuser (``postgres``), with the two roles in place."""
    engine = create_engine(
        make_url(pg_template).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        for role in (OWNER, APP):
            _ensure_role(conn, role)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def owner_template(admin: Engine) -> Iterator[str]:
    """A database owned by the owner's role and migrated by it: no grants yet, no heads."""
    name = f"qorgau_lptpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER}'))
    db = Database(_as(str(admin.url.render_as_string(hide_password=False)), OWNER, name))
    upgrade(db.engine)
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass(frozen=True)
class Urls:
    owner: str
    app: str


@pytest.fixture
def urls(admin: Engine, owner_template: str) -> Iterator[Urls]:
    """A database of this test's own, a copy of the owner's template."""
    name = f"qorgau_lp_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{owner_template}" OWNER {OWNER}'))
    base = admin.url.render_as_string(hide_password=False)
    try:
        yield Urls(owner=_as(base, OWNER, name), app=_as(base, APP, name))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _settings(tmp_path: Path, database_url: str, owner_url: str | None) -> Settings:
    return Settings(
        home=tmp_path / "var",
        database_url=database_url,
        owner_database_url=owner_url,
        audit_partitions=PARTITIONS,
    )


@pytest.fixture
def split(tmp_path: Path, urls: Urls) -> Settings:
    """``qorgau init`` with both URLs: migrated and heads inserted as the owner, the
    application's role granted."""
    settings = _settings(tmp_path, urls.app, urls.owner)
    done = initialise(settings)
    assert any(line.startswith(f"granted {APP} (owner {OWNER}") for line in done)
    assert f"  {APP} owns nothing and is no member of {OWNER}" in done
    return settings


@pytest.fixture
def app_engine(split: Settings) -> Iterator[Engine]:
    engine = make_null_pool_engine(split.resolved_database_url)
    yield engine
    engine.dispose()


def _refused(engine: Engine, sql: str, message: str) -> None:
    """``sql`` fails as a privilege error of PostgreSQL's own (not the audit triggers',
    whose message says "append-only")."""
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(sql))
    assert getattr(caught.value.orig, "sqlstate", None) == "42501", caught.value
    assert message in str(caught.value.orig)


# -- before: one role, the owner -----------------------------------------------------------


def test_with_one_url_the_application_disables_the_triggers_and_rewrites(
    tmp_path: Path, urls: Urls
) -> None:
    """The attack as it stood: the application's credentials are the owner's, so it may
    switch the append-only triggers off, delete an event and switch them on again."""
    settings = _settings(tmp_path, urls.owner, None)
    done = initialise(settings)
    assert any("connects as the owner" in line for line in done)
    engine = make_null_pool_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER ALL"))
            gone = conn.execute(text("DELETE FROM audit_event")).rowcount
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER ALL"))
            conn.rollback()  # a test database: the attack is shown, not kept
        assert gone >= 1
    finally:
        engine.dispose()


# -- after: the application's role ----------------------------------------------------------


def _code(settings: Settings, challenge: str) -> str:
    for line in settings.outbox_path.read_text(encoding="utf-8").splitlines():
        sent = json.loads(line)
        if sent["challenge"] == challenge:
            return str(sent["code"])
    raise AssertionError("no code sent")


def test_the_application_role_serves(split: Settings) -> None:
    """A lead through the form and its code, a read, a clarification, a checkpoint and
    ``verify``, all on the application's URL."""
    services = build_container(split)
    try:
        assert services.db.url == split.database_url
        with services.db.engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar_one() == APP
        form = {
            "last_name": "Тестова",
            "first_name": "Айгерім",
            "patronymic": "",
            "phone": "+7 705 555 07 07",
            "iin": make_iin(date(1992, 6, 14), "female", 707),
            "email": "aigerim.lp@example.com",
            "city": "Алматы",
            "loan_amount": "150 000",
            "loan_term_days": "30",
            "income": "320000",
            "employment": "employed",
            "note": "",
        }
        leakguard.register(form["last_name"], form["iin"], form["email"])
        sub = LeadSubmission(form, frozenset({"offers", TRANSFER}), "phone", "ru")
        with services.db.unit_of_work() as conn:
            pending = services.intake.submit_lead(conn, SITE_ACTOR, sub)
        services.intake.deliver(pending)
        with services.db.unit_of_work() as conn:
            done = services.intake.confirm_code(
                conn,
                SITE_ACTOR,
                pending.challenge_id,
                _code(split, pending.challenge_id),
                ip="203.0.113.9",
                user_agent="test",
            )
        assert isinstance(done, LeadConfirmed)
        operator = Actor(role="operator", id="test:operator")
        with services.db.unit_of_work() as conn:
            got = services.gate.read(conn, operator, done.subject_id, "contract", ["phone"])
            assert got.values["phone"] == "+77055550707"
            services.gate.clarify(
                conn, operator, done.subject_id, "contract", {"phone": "+77055550708"}, "staff:test"
            )
        assert services.checkpoint() is not None
        assert services.verify_audit().ok
    finally:
        services.close()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DELETE FROM audit_event", "permission denied for table audit_event"),
        ("UPDATE audit_event SET action = 'x'", "permission denied for table audit_event"),
        ("TRUNCATE audit_event", "permission denied for table audit_event"),
        ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner of table audit_event"),
        ("ALTER TABLE audit_event DISABLE TRIGGER USER", "must be owner of table audit_event"),
        ("DROP TABLE audit_event", "must be owner of table audit_event"),
        ("DELETE FROM audit_checkpoint", "permission denied for table audit_checkpoint"),
        (
            "UPDATE audit_checkpoint SET key_id = 'x'",
            "permission denied for table audit_checkpoint",
        ),
        (
            "INSERT INTO audit_head VALUES (999, 0, '\\x00')",
            "permission denied for table audit_head",
        ),
        ("DELETE FROM audit_head", "permission denied for table audit_head"),
        ("TRUNCATE audit_head", "permission denied for table audit_head"),
        ("DROP TABLE subject", "must be owner of table subject"),
        ("ALTER TABLE consent DISABLE TRIGGER ALL", "must be owner of table consent"),
        ("SELECT setval('audit_event_id_seq', 1)", "permission denied for sequence"),
        ("SET session_replication_role = replica", "permission denied to set parameter"),
        (f"SET ROLE {OWNER}", "permission denied to set role"),
        ("CREATE TABLE audit_forged (x int)", "permission denied for schema public"),
        (
            "CREATE TRIGGER t BEFORE INSERT ON audit_event FOR EACH ROW "
            "EXECUTE FUNCTION qorgau_audit_append_only()",
            "permission denied for table audit_event",
        ),
    ],
)
def test_the_application_role_cannot_rewrite_the_log(
    app_engine: Engine, sql: str, message: str
) -> None:
    _refused(app_engine, sql, message)


def test_the_owner_still_can(split: Settings, app_engine: Engine) -> None:
    """The same statement the application is refused is the owner's to make (the map is
    about the application's role, not the schema)."""
    _refused(app_engine, "ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner")
    engine = make_null_pool_engine(split.resolved_owner_database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER ALL"))
            conn.rollback()
    finally:
        engine.dispose()


def test_privileges_in_force_are_the_map(split: Settings) -> None:
    engine = make_null_pool_engine(split.resolved_owner_database_url)
    try:
        with engine.connect() as conn:
            tables = (
                conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
                .scalars()
                .all()
            )
            assert {"audit_event", "audit_checkpoint", "audit_head", "subject"} <= set(tables)
            for table in tables:
                assert effective_table_privileges(conn, APP, table) == privileges_for(table)
            assert privileges_for("audit_event") == APPEND
            assert privileges_for("audit_head") == {"SELECT", "UPDATE"}
            assert privileges_for("subject") == CRUD
            assert owned_by(conn, APP, "public") == []
            chain = "qorgau_chain(bytea,integer,bigint,text,text,bytea,bytea)"
            assert conn.execute(
                text("SELECT has_function_privilege(:r, :f, 'EXECUTE')"), {"r": APP, "f": chain}
            ).scalar_one()
    finally:
        engine.dispose()


def test_grant_is_idempotent_revokes_extras_and_covers_new_audit_tables(
    split: Settings, app_engine: Engine
) -> None:
    """Run again (as ``qorgau db grant`` does): the same map; a privilege given beyond it,
    on the table or on a column, is taken back; a table a later migration adds is covered
    by its prefix."""
    owner = make_null_pool_engine(split.resolved_owner_database_url)
    try:
        with owner.begin() as conn:
            conn.execute(text(f"GRANT DELETE, TRUNCATE ON audit_event TO {APP}"))
            conn.execute(text(f"GRANT UPDATE (action) ON audit_event TO {APP}"))
            conn.execute(text(f"GRANT INSERT, DELETE ON audit_head TO {APP}"))
            conn.execute(text("CREATE TABLE audit_later (id bigserial PRIMARY KEY, x int)"))
            conn.execute(text("CREATE TABLE later_plain (id int PRIMARY KEY)"))
        with owner.begin() as conn:
            first = grant_app_role(conn, APP)
        with owner.begin() as conn:
            second = grant_app_role(conn, APP)
        assert first.tables == second.tables
        assert first.tables["audit_later"] == APPEND
        assert first.tables["later_plain"] == CRUD
        assert "audit_later_id_seq" in first.sequences
        with owner.connect() as conn:
            for table in ("audit_event", "audit_head", "audit_later", "later_plain"):
                assert effective_table_privileges(conn, APP, table) == privileges_for(table)
    finally:
        owner.dispose()
    with app_engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_later (x) VALUES (1)"))
        conn.execute(text("INSERT INTO later_plain VALUES (1)"))
        conn.execute(text("DELETE FROM later_plain"))
    _refused(app_engine, "DELETE FROM audit_later", "permission denied for table audit_later")
    _refused(app_engine, "UPDATE audit_event SET action = 'x'", "permission denied")
    _refused(app_engine, "DELETE FROM audit_head", "permission denied for table audit_head")


def test_grant_refuses_a_role_that_owns_or_is_the_owner(split: Settings, admin: Engine) -> None:
    owner = make_null_pool_engine(split.resolved_owner_database_url)
    database = make_url(split.resolved_owner_database_url).database
    try:
        with owner.begin() as conn, pytest.raises(RoleError, match="is the owner"):
            grant_app_role(conn, OWNER)
        with owner.begin() as conn, pytest.raises(RoleError, match="no role"):
            grant_app_role(conn, "qorgau_test_nobody")
        # A privilege PUBLIC holds is the application's too, beyond what it can revoke.
        with owner.begin() as conn:
            conn.execute(text("GRANT TRUNCATE ON audit_event TO PUBLIC"))
        with owner.begin() as conn, pytest.raises(RoleError, match="TRUNCATE on audit_event"):
            grant_app_role(conn, APP)
        with owner.begin() as conn:
            conn.execute(text("REVOKE TRUNCATE ON audit_event FROM PUBLIC"))
            conn.execute(text("CREATE TABLE handed_over (id int)"))
        # Only a superuser can give a table away to a role the owner is no member of.
        su = create_engine(make_url(admin.url).set(database=database), isolation_level="AUTOCOMMIT")
        try:
            with su.connect() as conn:
                conn.execute(text(f"ALTER TABLE handed_over OWNER TO {APP}"))
        finally:
            su.dispose()
        with owner.begin() as conn, pytest.raises(RoleError, match="relation handed_over"):
            grant_app_role(conn, APP)
    finally:
        owner.dispose()


def _qorgau(tmp_path: Path, urls: Urls, *args: str, owner: bool = True) -> CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env |= {
        "COLUMNS": "200",  # one line per grant, as the console shows it unwrapped
        "QORGAU_HOME": str(tmp_path / "var"),
        "QORGAU_DATABASE_URL": urls.app,
        "QORGAU_AUDIT_PARTITIONS": str(PARTITIONS),
    }
    if owner:
        env["QORGAU_OWNER_DATABASE_URL"] = urls.owner
    return subprocess.run(
        [str(QORGAU), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_cli_init_and_db_grant(tmp_path: Path, urls: Urls) -> None:
    """``qorgau init`` with both URLs says what it granted; ``qorgau db grant`` does it
    again; a wrong role or a missing owner URL is a plain error."""
    init = _qorgau(tmp_path, urls, "init")
    assert init.returncode == 0, init.stderr
    assert f"granted {APP} (owner {OWNER}, schema public):" in init.stdout
    assert "  SELECT, INSERT on audit_checkpoint, audit_cosignature, audit_event," in init.stdout
    assert "  SELECT, UPDATE on audit_head" in init.stdout
    again = _qorgau(tmp_path, urls, "db", "grant")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        line for line in init.stdout.splitlines() if line.startswith(("granted", "  "))
    ]
    wrong = _qorgau(tmp_path, urls, "db", "grant", "--role", OWNER)
    assert wrong.returncode == 1
    assert f"error: {OWNER} is the owner" in wrong.stderr
    single = _qorgau(tmp_path, urls, "db", "grant", owner=False)
    assert single.returncode == 1
    assert "QORGAU_OWNER_DATABASE_URL is not set" in single.stderr
