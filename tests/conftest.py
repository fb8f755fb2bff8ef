"""Shared fixtures: every integration test runs on SQLite and on PostgreSQL.

PostgreSQL comes from QORGAU_TEST_DATABASE_URL, or the local server at 127.0.0.1:5432 when
reachable. With QORGAU_REQUIRE_PG=1 (set by .ci/run) an unreachable server fails the run
instead of skipping. Each test gets a fresh database: a copy of a migrated SQLite file, or
a PostgreSQL database created from a migrated template.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qorgau.audit.log import AuditLog
from qorgau.audit.mac import MacKey
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.crypto.keyring import LocalKeyring
from qorgau.crypto.signer import Signer
from qorgau.db import Database
from qorgau.migrate import upgrade
from qorgau.security.actors import Actor

# Fails the session if any captured log line holds a registered personal value or an IIN.
pytest_plugins = ["leakguard"]

PARTITIONS = 16
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_base_url() -> str | None:
    url = os.environ.get("QORGAU_TEST_DATABASE_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return LOCAL_PG
    except OSError:
        return None


def _admin_url(url: str) -> str:
    u = make_url(url).set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def _with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _migrate(url: str) -> None:
    db = Database(url)
    upgrade(db.engine)
    with db.unit_of_work() as conn:
        AuditLog.initialise(conn, PARTITIONS)
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    base = _pg_base_url()
    if base is None:
        if os.environ.get("QORGAU_REQUIRE_PG"):
            pytest.fail("PostgreSQL required (QORGAU_REQUIRE_PG=1) but not reachable")
        pytest.skip("PostgreSQL not reachable")
    admin = create_engine(_admin_url(base), isolation_level="AUTOCOMMIT")
    name = f"qorgau_tpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _with_db(_admin_url(base), name)
    _migrate(url)
    # A template must have no open connections when it is copied.
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "qorgau.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    tpl: str = request.getfixturevalue("pg_template")
    admin = create_engine(make_url(tpl).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"qorgau_t_{uuid.uuid4().hex[:10]}"
    tpl_name = make_url(tpl).database
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tpl_name}"'))
    try:
        yield _with_db(tpl, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    home = tmp_path / "var"
    home.mkdir(mode=0o700)
    LocalKeyring.create(home / "keyring.json")
    Signer.create(home / "audit-signing.key")
    MacKey.create(home / "audit-mac.key")
    return Settings(home=home, database_url=database_url, audit_partitions=PARTITIONS)


@pytest.fixture
def services(settings: Settings) -> Iterator[Container]:
    svc = build_container(settings)
    yield svc
    svc.close()


@pytest.fixture
def dpo() -> Actor:
    return Actor(role="dpo", id="test:dpo")


@pytest.fixture
def operator() -> Actor:
    return Actor(role="operator", id="test:operator")


@pytest.fixture
def analyst() -> Actor:
    return Actor(role="analyst", id="test:analyst")
