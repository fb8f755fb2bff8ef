"""End-to-end fixtures: one fresh, migrated database per module and backend.

The shared ``settings`` fixture (tests/conftest.py) is function-scoped; the HTTP tests start
one real server per database per module, so they need a module-scoped equivalent. It is
built the same way: a copy of the migrated SQLite template, or a PostgreSQL database
created from the migrated template, plus a keyring and an audit signing key in a private
home directory.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qorgau.audit.mac import MacKey
from qorgau.config import Settings
from qorgau.crypto.keyring import LocalKeyring
from qorgau.crypto.signer import Signer

#: Same partition count as the templates in tests/conftest.py.
PARTITIONS = 16


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh migrated database for the whole module (SQLite and PostgreSQL)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("e2e-db") / "qorgau.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    tpl: str = request.getfixturevalue("pg_template")
    admin = create_engine(make_url(tpl).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"qorgau_e2e_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(tpl).database}"'))
    try:
        yield make_url(tpl).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def module_settings(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Like ``settings`` in tests/conftest.py, but shared by every test of a module."""
    home = tmp_path_factory.mktemp("e2e-home") / "var"
    home.mkdir(mode=0o700)
    LocalKeyring.create(home / "keyring.json")
    Signer.create(home / "audit-signing.key")
    MacKey.create(home / "audit-mac.key")
    return Settings(home=home, database_url=module_database_url, audit_partitions=PARTITIONS)
